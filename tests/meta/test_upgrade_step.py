"""Migrations run from an explicit step (``lakeworks init``, ``lakeworks db upgrade``, and
the first open of the embedded default), never as a side effect of opening a catalog."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy
from typer.testing import CliRunner

import lakeworks as lw
from lakeworks.cli.app import app
from lakeworks.config import Settings
from lakeworks.errors import UpgradeRequiredError
from lakeworks.meta import engine as meta_engine
from lakeworks.platform import Platform
from lakeworks.server.app import create_app


@pytest.fixture(params=["postgres", "sqlite-file"])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A catalog a team points lakeworks at, with no lakeworks schema yet."""
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'team' / 'catalog.db'}"


def _tables(url: str) -> set[str]:
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            return set(sqlalchemy.inspect(conn).get_table_names())
    finally:
        engine.dispose()


def _cli(home: Path, url: str, *args: str):  # noqa: ANN202
    env = {"LAKEWORKS_METADATA_URL": url, "LAKEWORKS_PROGRESS": "false"}
    return CliRunner().invoke(app, ["--home", str(home), *args], env=env)


def test_a_catalog_needing_an_upgrade_is_refused_then_db_upgrade_fixes_it(
    catalog_url: str, tmp_path: Path
) -> None:
    settings = Settings.load(home=tmp_path / "lw", metadata_url=catalog_url, progress=False)
    with pytest.raises(UpgradeRequiredError, match=r"run: lakeworks db upgrade$") as caught:
        Platform.open(settings)
    assert "needs an upgrade (it is at no lakeworks schema" in str(caught.value)
    assert caught.value.fields["expected"] == ", ".join(sorted(meta_engine.HEADS))
    assert "alembic_version" not in _tables(catalog_url)  # opening migrated nothing
    with pytest.raises(UpgradeRequiredError):
        create_app(settings)  # a server says so too, before it serves anything

    refused = _cli(tmp_path / "lw", catalog_url, "workspaces", "list")
    assert refused.exit_code == 1
    assert refused.stderr.strip().endswith("run: lakeworks db upgrade")
    assert len(refused.stderr.strip().splitlines()) == 1

    done = _cli(tmp_path / "lw", catalog_url, "db", "upgrade")
    assert done.exit_code == 0, done.output
    assert "upgraded from empty to " in done.stdout
    again = _cli(tmp_path / "lw", catalog_url, "db", "upgrade")
    assert again.exit_code == 0 and " is current " in again.stdout

    platform = Platform.open(settings)
    try:
        platform.catalog.create_workspace("team", "ann")
        assert [w.name for w in platform.catalog.workspaces()] == ["team"]
    finally:
        platform.close()


def test_a_partly_migrated_catalog_is_refused_naming_its_revision(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = meta_engine.make_engine(url)
    command.upgrade(meta_engine.alembic_config(engine), "0001")
    engine.dispose()
    settings = Settings.load(home=tmp_path / "lw", metadata_url=url, progress=False)
    with pytest.raises(UpgradeRequiredError, match="it is at 0001; this lakeworks needs"):
        Platform.open(settings)
    Platform.open(settings, migrate=True).close()  # what `lakeworks db upgrade` runs
    Platform.open(settings).close()


def test_init_runs_the_migrations_of_a_team_catalog(catalog_url: str, tmp_path: Path) -> None:
    done = _cli(tmp_path / "lw", catalog_url, "init", "--workspace", "team")
    assert done.exit_code == 0, done.output
    assert "alembic_version" in _tables(catalog_url)


def test_the_embedded_default_upgrades_on_first_open(tmp_path: Path) -> None:
    home = tmp_path / "lw"
    ws = lw.connect(settings=Settings.load(home=home, progress=False))
    ws.platform.close()
    engine = meta_engine.make_engine(f"sqlite:///{home / 'metadata.db'}")
    try:
        assert meta_engine.revisions(engine) == meta_engine.HEADS
    finally:
        engine.dispose()
