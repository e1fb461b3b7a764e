"""Migration 0009's downgrade removes the serving tables and nothing else (that the
migrations match the ORM models is checked for every table in tests/meta)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy

from lakeworks.meta import engine as meta_engine

SERVING = {"endpoints", "endpoint_configs"}


def test_downgrade_of_0009_drops_only_serving(tmp_path: Path) -> None:
    from alembic import command

    engine = meta_engine.make_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    meta_engine.upgrade(engine)
    command.downgrade(meta_engine.alembic_config(engine), "0009")  # later ones revise it
    before = set(sqlalchemy.inspect(engine).get_table_names())
    command.downgrade(meta_engine.alembic_config(engine), "0009@0007")
    after = set(sqlalchemy.inspect(engine).get_table_names())
    engine.dispose()
    assert before - after == SERVING
