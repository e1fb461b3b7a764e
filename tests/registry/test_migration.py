"""Migration 0007 creates exactly the registry tables the ORM models describe, on SQLite
and PostgreSQL, and its downgrade removes them and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
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


@pytest.fixture(params=["sqlite", "postgres"])
def metadata_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'meta.db'}"
    return request.getfixturevalue("postgres_url")


def _registry_only(obj, name, kind, reflected, compare_to) -> bool:  # noqa: ANN001
    table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table in REGISTRY


def test_registry_tables_match_the_orm_models(metadata_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from lakeworks.meta.models import Base

    engine = meta_engine.make_engine(metadata_url)
    meta_engine.upgrade(engine)
    with engine.connect() as conn:
        assert set(sqlalchemy.inspect(conn).get_table_names()) >= REGISTRY
        context = MigrationContext.configure(conn, opts={"include_object": _registry_only})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_of_0007_drops_only_the_registry(tmp_path: Path) -> None:
    from alembic import command

    engine = meta_engine.make_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    meta_engine.upgrade(engine)
    before = set(sqlalchemy.inspect(engine).get_table_names())
    command.downgrade(meta_engine.alembic_config(engine), "0007@0004")
    after = set(sqlalchemy.inspect(engine).get_table_names())
    engine.dispose()
    assert before - after == REGISTRY | {"endpoints", "endpoint_configs"}  # 0009 builds on it
