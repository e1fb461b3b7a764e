"""Migrations are safe under concurrency and under kill -9: processes opening a new home at
once all succeed, and a first migration killed half-way leaves a home the next open completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.errors import InvalidInputError
from lakeworks.meta import engine as meta_engine

SRC = str(Path(lw.__file__).resolve().parents[1])

# Imports first, says it is ready, then opens when argv[2] appears: the processes' first
# opens overlap as much as they can.
OPEN_TOGETHER = """
import os, sys, time
from pathlib import Path
import lakeworks as lw
Path(sys.argv[2] + f".ready-{os.getpid()}").touch()
while not os.path.exists(sys.argv[2]):
    time.sleep(0.001)
ws = lw.connect(home=sys.argv[1], progress=False)
ws.platform.close()
"""

# Kills itself with SIGKILL just before the statement that starts with argv[2] runs: a real
# first open, stopped at a chosen point of its migration (no hook in lakeworks itself).
KILLED_OPEN = """
import os, signal, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
import lakeworks as lw

@event.listens_for(Engine, "before_cursor_execute")
def _die(conn, cursor, statement, *args):
    if statement.lstrip().startswith(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)

lw.connect(home=sys.argv[1], progress=False)
"""


def _env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("LAKEWORKS_")}
    return {**keep, "PYTHONPATH": SRC, "LAKEWORKS_CONFIG": os.devnull, **extra}


def _error(stderr: str) -> str:
    return next((line for line in reversed(stderr.splitlines()) if "Error" in line), stderr)


def _start(code: str, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _tables(url: str) -> set[str]:
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            return set(sqlalchemy.inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_six_processes_opening_one_new_home_at_once_all_succeed(tmp_path: Path) -> None:
    home, go = tmp_path / "lw", tmp_path / "go"
    procs = [_start(OPEN_TOGETHER, str(home), str(go)) for _ in range(6)]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("go.ready-*"))) < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert [rc for rc, _ in results] == [0] * 6, [_error(e) for rc, e in results if rc]
    engine = meta_engine.make_engine(f"sqlite:///{home / 'metadata.db'}")
    try:
        assert meta_engine.revisions(engine) == meta_engine.HEADS
    finally:
        engine.dispose()
    assert (home / "metadata.db.lock").exists()


@pytest.mark.parametrize(
    "before",
    [
        "CREATE TABLE tables",  # the first table of 0001 created
        "CREATE TABLE pipelines",  # 0001 done and recorded in alembic_version
        "ALTER TABLE quality_checks",  # in the middle of 0005
        "COMMIT",  # every migration run, not yet committed
    ],
)
def test_a_first_migration_killed_half_way_is_completed_by_the_next_open(
    tmp_path: Path, before: str
) -> None:
    home = tmp_path / "lw"
    killed = _start(KILLED_OPEN, str(home), before)
    assert killed.wait(timeout=120) == -signal.SIGKILL, killed.stderr.read()
    url = f"sqlite:///{home / 'metadata.db'}"
    assert _tables(url) == set()  # rolled back whole: no table without its revision

    ws = lw.connect(settings=Settings.load(home=home, progress=False), user="ann")
    try:
        ws.platform.catalog.create_workspace("sales", "ann")
        assert meta_engine.revisions(ws.platform.engine) == meta_engine.HEADS
    finally:
        ws.platform.close()


def test_catalog_connections_stay_transactional_after_a_sqlite_upgrade(tmp_path: Path) -> None:
    """The upgrade's connection runs its driver in autocommit to begin its own transaction;
    back in the pool it must not leave later catalog writes committing statement by statement."""
    engine = meta_engine.make_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    try:
        meta_engine.upgrade(engine)
        insert = "INSERT INTO workspaces (name, created_at, created_by) VALUES ('x', 0, 'ann')"
        with engine.connect() as conn:
            conn.exec_driver_sql(insert)
            conn.rollback()
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM workspaces").scalar() == 0
    finally:
        engine.dispose()


def test_a_home_left_half_migrated_by_an_older_lakeworks_is_refused_naming_the_fix(
    tmp_path: Path,
) -> None:
    """Before this fix a killed first open committed its first tables without a revision."""
    home = tmp_path / "lw"
    home.mkdir()
    url = f"sqlite:///{home / 'metadata.db'}"
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.exec_driver_sql("CREATE TABLE workspaces (id INTEGER PRIMARY KEY)")
    engine.dispose()
    with pytest.raises(InvalidInputError) as caught:
        lw.connect(settings=Settings.load(home=home, progress=False))
    assert "has lakeworks tables (workspaces) but no recorded migration" in str(caught.value)
    assert f"delete {home / 'metadata.db'} and open it again" in str(caught.value)
    assert _tables(url) == {"alembic_version", "workspaces"}  # left as found


def test_db_upgrade_run_concurrently_on_postgresql_migrates_once(
    postgres_url: str, tmp_path: Path
) -> None:
    cli = "from lakeworks.cli.app import main; main()"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", cli, "--home", str(tmp_path / "lw"), "db", "upgrade"],
            env=_env(LAKEWORKS_METADATA_URL=postgres_url, LAKEWORKS_PROGRESS="false"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]
    assert [rc for rc, _, _ in results] == [0, 0, 0], [err for rc, _, err in results if rc]
    outputs = sorted(out for _, out, _ in results)
    assert sum("upgraded from empty to" in out for out in outputs) == 1, outputs
    assert sum(" is current " in out for out in outputs) == 2, outputs
    engine = meta_engine.make_engine(postgres_url)
    try:
        assert meta_engine.revisions(engine) == meta_engine.HEADS
    finally:
        engine.dispose()


def test_a_postgresql_upgrade_killed_half_way_leaves_the_catalog_as_it_was(
    postgres_url: str,
) -> None:
    code = KILLED_OPEN.replace(
        "lw.connect(home=sys.argv[1], progress=False)",
        "from lakeworks.meta import engine as e\ne.upgrade(e.make_engine(sys.argv[1]))",
    )
    killed = _start(code, postgres_url, "ALTER TABLE quality_checks")
    assert killed.wait(timeout=120) == -signal.SIGKILL, killed.stderr.read()
    assert _tables(postgres_url) == set()  # PostgreSQL DDL rolled back with the transaction
    engine = meta_engine.make_engine(postgres_url)
    try:  # the killed holder's advisory lock died with its connection: this does not wait
        assert meta_engine.upgrade(engine) == frozenset()
        assert meta_engine.revisions(engine) == meta_engine.HEADS
    finally:
        engine.dispose()
