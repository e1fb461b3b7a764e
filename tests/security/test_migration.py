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
