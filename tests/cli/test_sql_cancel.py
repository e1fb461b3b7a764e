"""``lakeworks sql`` stops runaway statements: ``--timeout``, and Ctrl-C in a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import lakeworks
from tests.cli.conftest import Cli

# a regression would run forever: fail the test instead (the thread method works while
# the main thread is inside DuckDB)
pytestmark = pytest.mark.timeout(60, method="thread")

RUNAWAY = "select count(*) from range(1e14::bigint) a(x) where x % 7 = 3"


def test_timeout_option_stops_the_query(cli: Cli) -> None:
    started = time.monotonic()
    result = cli("sql", RUNAWAY, "--timeout", "0.5")
    assert result.exit_code == 1
    assert "error: the statement was stopped after 0.5 s" in result.output
    assert "LAKEWORKS_STATEMENT_TIMEOUT" in result.output
    assert time.monotonic() - started < 10


def test_a_negative_timeout_is_a_usage_error(cli: Cli) -> None:
    result = cli("sql", "select 1", "--timeout=-1")
    assert result.exit_code == 2 and "--timeout" in result.output


def test_a_quick_query_with_a_timeout_prints_its_rows(cli: Cli) -> None:
    result = cli("sql", "select 41 + 1 as answer", "--timeout", "5", "--format", "csv")
    assert result.exit_code == 0 and result.output == "answer\n42\n"


def test_ctrl_c_cancels_the_query_and_exits_130(tmp_path: Path) -> None:
    home = tmp_path / "lw"
    src = str(Path(lakeworks.__file__).parents[1])
    # two DuckDB threads: with one, DuckDB itself notices SIGINT; with more it never did
    env = dict(os.environ, LAKEWORKS_DUCKDB_THREADS="2", LAKEWORKS_PROGRESS="false")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    child = subprocess.Popen(
        [sys.executable, "-m", "lakeworks.cli.app", "--home", str(home), "sql", RUNAWAY],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (home / "tmp").exists():  # the spill folder: made as the query's DuckDB opens
            assert child.poll() is None and time.monotonic() < deadline, child.communicate()
            time.sleep(0.05)
        time.sleep(1.0)  # the statement is running
        child.send_signal(signal.SIGINT)
        started = time.monotonic()
        _, err = child.communicate(timeout=10)
    finally:
        child.kill()
    assert time.monotonic() - started < 5
    assert child.returncode == 130
    assert "error: the statement was stopped: it was interrupted (Ctrl-C)" in err
