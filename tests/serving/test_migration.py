"""Migrations 0009's, 0010_serve_health's and 0011_serve_agreement's downgrades remove
the serving tables (or columns) they added and nothing else (that the migrations match the
ORM models is checked for every table in tests/meta)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy

from lakeworks.meta import engine as meta_engine

SERVING = {"endpoints", "endpoint_configs"}  # 0010_serve_health adds endpoint_windows


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


def test_downgrade_of_0010_drops_only_the_windows(tmp_path: Path) -> None:
    from alembic import command

    engine = meta_engine.make_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    meta_engine.upgrade(engine)
    before = set(sqlalchemy.inspect(engine).get_table_names())
    command.downgrade(meta_engine.alembic_config(engine), "0010_serve_health@0010_sec_quota")
    after = set(sqlalchemy.inspect(engine).get_table_names())
    meta_engine.upgrade(engine)  # and up again
    again = set(sqlalchemy.inspect(engine).get_table_names())
    engine.dispose()
    assert before - after == {"endpoint_windows", "usage_days"}  # 0012 is later on the chain
    assert again == before


def test_downgrade_of_0011_drops_only_the_agreement_columns(tmp_path: Path) -> None:
    from alembic import command

    engine = meta_engine.make_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    meta_engine.upgrade(engine)

    def columns() -> set[str]:
        return {c["name"] for c in sqlalchemy.inspect(engine).get_columns("endpoint_windows")}

    before = columns()
    command.downgrade(meta_engine.alembic_config(engine), "0011_serve_agreement@0011_run_principal")
    after = columns()
    meta_engine.upgrade(engine)
    again = columns()
    engine.dispose()
    assert before - after == {"compared", "equal"}
    assert again == before
