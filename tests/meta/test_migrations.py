"""The catalog schema comes from Alembic migrations, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

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


def test_checks_revision_upgrade_keeps_the_checks_of_a_catalog_at_the_previous_heads(
    metadata_url: str,
) -> None:
    """0005 adds the checks revision to a catalog that has workspaces and checks: they are
    all kept, start at revision 0, and the next change of checks moves the revision."""
    from lakeworks.quality import checks as qc
    from lakeworks.quality.store import QualityStore

    engine = meta_engine.make_engine(metadata_url)
    config = meta_engine.alembic_config(engine)
    command.upgrade(config, "0003")
    command.upgrade(config, "0004")
    spec = json.dumps(qc.not_null("id").to_spec())
    with engine.begin() as conn:
        conn.execute(
            sqlalchemy.text(
                "insert into workspaces (name, created_at, created_by) "
                "values ('sales', CURRENT_TIMESTAMP, 'ann')"
            )
        )
        conn.execute(
            sqlalchemy.text(
                "insert into quality_checks "
                "(workspace_id, table_name, name, kind, spec, created_at, created_by) "
                "select id, 'orders', 'not_null(id)', 'not_null', :spec, CURRENT_TIMESTAMP, "
                "'ann' from workspaces"
            ),
            {"spec": spec},
        )
    meta_engine.upgrade(engine)
    with engine.connect() as conn:
        versions = conn.execute(sqlalchemy.text("select version_num from alembic_version"))
        assert set(versions.scalars()) == meta_engine.HEADS
        revisions = conn.execute(sqlalchemy.text("select checks_revision from workspaces"))
        assert list(revisions.scalars()) == [0]
    store = QualityStore(Catalog(engine))
    (kept,) = store.checks_of("sales", None)["orders"]
    assert (kept.name, kept.check) == ("not_null(id)", qc.not_null("id"))
    store.add_checks("sales", "orders", [qc.unique("id")], "ann")
    with engine.connect() as conn:
        revisions = conn.execute(sqlalchemy.text("select checks_revision from workspaces"))
        assert list(revisions.scalars()) == [1]
    assert [i.name for i in store.checks_of("sales", None)["orders"]] == [
        "not_null(id)",
        "unique(id)",
    ]
    engine.dispose()


def test_every_orm_model_matches_the_migrations_at_head(metadata_url: str) -> None:
    """The migrations at the heads create exactly the schema the ORM models describe: every
    domain's tables (tracking, registry, logged models, serving, ...), on both databases."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from lakeworks.meta.models import Base

    engine = meta_engine.make_engine(metadata_url)
    meta_engine.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_usage_days_upgrade_rolls_up_the_usage_recorded_before_it(metadata_url: str) -> None:
    """0012 fills ``usage_days`` from the usage already recorded (per UTC day, workspace,
    user, pipeline and kind: sum and largest); a downgrade drops it, an upgrade fills it
    again."""
    engine = meta_engine.make_engine(metadata_url)
    config = meta_engine.alembic_config(engine)
    command.upgrade(config, "0011_serve_agreement")
    usage = [  # (hour of 2026-06-01 UTC, pipeline, amount): two days, two groups
        (1, None, 2.0), (5, None, 3.0), (5, "daily", 7.0), (25, None, 4.0),
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            sqlalchemy.text(
                "insert into workspaces (name, created_at, created_by) "
                "values ('sales', CURRENT_TIMESTAMP, 'ann')"
            )
        )
        for hour, pipeline, amount in usage:
            conn.execute(
                sqlalchemy.text(
                    'insert into usage (workspace_id, "user", pipeline, kind, amount, '
                    "recorded_at) select id, 'ann', :pipeline, 'task_cpu_seconds', :amount, "
                    ":at from workspaces"
                ),
                {"pipeline": pipeline, "amount": amount,
                 "at": datetime(2026, 6, 1, tzinfo=UTC) + timedelta(hours=hour)},
            )  # fmt: skip
    expected = {("2026-06-01", None, 5.0, 3.0), ("2026-06-01", "daily", 7.0, 7.0),
                ("2026-06-02", None, 4.0, 4.0)}  # fmt: skip

    def rolled_up() -> set[tuple]:
        query = sqlalchemy.text("select day, pipeline, total, largest from usage_days")
        with engine.connect() as conn:
            return {(str(d)[:10], p, t, m) for d, p, t, m in conn.execute(query)}

    meta_engine.upgrade(engine)
    assert rolled_up() == expected
    command.downgrade(config, "0011_serve_agreement")
    assert "usage_days" not in sqlalchemy.inspect(engine).get_table_names()
    meta_engine.upgrade(engine)
    assert rolled_up() == expected
    engine.dispose()


def test_task_runs_finished_index_goes_down_and_up(tmp_path) -> None:  # noqa: ANN001
    engine = meta_engine.make_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    meta_engine.upgrade(engine)

    def indexes() -> set[str]:
        return {i["name"] for i in sqlalchemy.inspect(engine).get_indexes("pipeline_task_runs")}

    assert "ix_pipeline_task_runs_finished" in indexes()
    command.downgrade(meta_engine.alembic_config(engine), "0012_usage_days")
    assert "ix_pipeline_task_runs_finished" not in indexes()
    meta_engine.upgrade(engine)
    assert "ix_pipeline_task_runs_finished" in indexes()
    engine.dispose()
