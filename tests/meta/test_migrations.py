"""The catalog schema comes from Alembic migrations, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy
from alembic import command
from alembic.script import ScriptDirectory

from lakeworks.errors import UnavailableError
from lakeworks.meta import engine as meta_engine
from lakeworks.meta.catalog import Catalog


def _heads() -> set[str]:
    config = meta_engine.alembic_config(sqlalchemy.create_engine("sqlite://"))
    return set(ScriptDirectory.from_config(config).get_heads())


@pytest.fixture(params=["sqlite", "postgres"])
def metadata_url(request: pytest.FixtureRequest, tmp_path) -> str:  # noqa: ANN001
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'meta.db'}"
    return request.getfixturevalue("postgres_url")


def test_upgrade_creates_the_schema_at_head(metadata_url: str) -> None:
    engine = meta_engine.make_engine(metadata_url)
    meta_engine.upgrade(engine)
    tables = set(sqlalchemy.inspect(engine).get_table_names())
    assert {"workspaces", "tables", "loads", "alembic_version"} <= tables
    with engine.connect() as conn:
        versions = conn.execute(sqlalchemy.text("select version_num from alembic_version"))
        assert set(versions.scalars()) == _heads()
    engine.dispose()


def test_heads_constant_is_alembics_heads() -> None:
    # upgrade() decides "current" from HEADS without importing Alembic; a new migration
    # that forgets to update it would leave databases unmigrated
    assert _heads() == meta_engine.HEADS


def test_upgrade_twice_keeps_data(metadata_url: str) -> None:
    engine = meta_engine.make_engine(metadata_url)
    meta_engine.upgrade(engine)
    Catalog(engine).create_workspace("sales", "ann")
    meta_engine.upgrade(engine)
    assert [w.name for w in Catalog(engine).workspaces()] == ["sales"]
    engine.dispose()


def test_downgrade_then_upgrade_round_trips(tmp_path) -> None:  # noqa: ANN001
    engine = meta_engine.make_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    meta_engine.upgrade(engine)
    config = meta_engine.alembic_config(engine)
    command.downgrade(config, "base")
    assert "workspaces" not in sqlalchemy.inspect(engine).get_table_names()
    meta_engine.upgrade(engine)
    assert "workspaces" in sqlalchemy.inspect(engine).get_table_names()
    engine.dispose()


def test_unreachable_database_is_a_clear_error() -> None:
    engine = meta_engine.make_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    )
    with pytest.raises(UnavailableError, match="cannot reach the metadata database") as info:
        meta_engine.upgrade(engine)
    assert "LAKEWORKS_METADATA_URL" in info.value.hint
