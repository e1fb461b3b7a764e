"""Migration 0009 creates exactly the serving tables the ORM models describe, on SQLite and
PostgreSQL, and its downgrade removes them and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy

from lakeworks.meta import engine as meta_engine

SERVING = {"endpoints", "endpoint_configs"}


@pytest.fixture(params=["sqlite", "postgres"])
def metadata_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'meta.db'}"
    return request.getfixturevalue("postgres_url")


def _serving_only(obj, name, kind, reflected, compare_to) -> bool:  # noqa: ANN001
    table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table in SERVING


def test_serving_tables_match_the_orm_models(metadata_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from lakeworks.meta.models import Base

    engine = meta_engine.make_engine(metadata_url)
    meta_engine.upgrade(engine)
    with engine.connect() as conn:
        assert set(sqlalchemy.inspect(conn).get_table_names()) >= SERVING
        context = MigrationContext.configure(conn, opts={"include_object": _serving_only})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []
    assert "0009" in meta_engine.HEADS  # serving is a head of the catalog's migrations


def test_downgrade_of_0009_drops_only_serving(tmp_path: Path) -> None:
    from alembic import command

    engine = meta_engine.make_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    meta_engine.upgrade(engine)
    before = set(sqlalchemy.inspect(engine).get_table_names())
    command.downgrade(meta_engine.alembic_config(engine), "0009@0007")
    after = set(sqlalchemy.inspect(engine).get_table_names())
    engine.dispose()
    assert before - after == SERVING
