"""Migration 0010_sec_auth's downgrade removes the security tables and nothing else
(that the migrations match the ORM models is checked for every table in tests/meta)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy

from lakeworks.meta import engine as meta_engine

SECURITY = {"principals", "group_members", "grants", "api_tokens", "audit_log", "audit_head"}


def test_downgrade_of_0010_sec_auth_drops_only_security(tmp_path: Path) -> None:
    from alembic import command

    engine = meta_engine.make_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    config = meta_engine.alembic_config(engine)
    meta_engine.upgrade(engine)
    everything = set(sqlalchemy.inspect(engine).get_table_names())
    # data protection, quotas and serving health build on it: down to it first
    command.downgrade(config, "0010_sec_auth")
    before = set(sqlalchemy.inspect(engine).get_table_names())
    command.downgrade(config, "0010_sec_auth@0009")
    after = set(sqlalchemy.inspect(engine).get_table_names())
    meta_engine.upgrade(engine)  # and back up again
    again = set(sqlalchemy.inspect(engine).get_table_names())
    engine.dispose()
    assert before - after == SECURITY
    assert again == everything


def _columns(engine: sqlalchemy.Engine) -> dict[str, set[str]]:
    inspector = sqlalchemy.inspect(engine)
    return {t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names()}


def test_downgrade_of_0011_run_principal_drops_only_the_principal_columns(tmp_path: Path) -> None:
    from alembic import command

    engine = meta_engine.make_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    meta_engine.upgrade(engine)
    before = _columns(engine)
    command.downgrade(meta_engine.alembic_config(engine), "0011_run_principal@0010_serve_health")
    after = _columns(engine)
    meta_engine.upgrade(engine)  # and back up again
    again = _columns(engine)
    engine.dispose()
    changed = {t: before[t] - after.get(t, set()) for t in before if before[t] != after.get(t)}
    # the chain is linear: 0011_serve_agreement and 0012_usage_days (after it) go down with it
    later = {"endpoint_windows": {"compared", "equal"}, "usage_days": before["usage_days"]}
    assert changed == {"pipelines": {"principal"}, "pipeline_runs": {"principal"}, **later}
    assert again == before
