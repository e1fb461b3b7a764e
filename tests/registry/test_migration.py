"""Migration 0007's downgrade removes the registry tables and nothing else (that the
migrations match the ORM models is checked for every table in tests/meta)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy

from lakeworks.meta import engine as meta_engine

REGISTRY = {
    "registered_models",
    "registered_model_tags",
    "model_versions",
    "model_version_tags",
    "model_aliases",
    "model_approvals",
    "model_alias_events",
    "model_reports",
}


def test_downgrade_of_0007_drops_only_the_registry(tmp_path: Path) -> None:
    from alembic import command

    engine = meta_engine.make_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    meta_engine.upgrade(engine)
    # the later migrations of its branch (serving, security) build on it: down to it first
    command.downgrade(meta_engine.alembic_config(engine), "0007")
    before = set(sqlalchemy.inspect(engine).get_table_names())
    command.downgrade(meta_engine.alembic_config(engine), "0007@0004")
    after = set(sqlalchemy.inspect(engine).get_table_names())
    engine.dispose()
    assert before - after == REGISTRY
