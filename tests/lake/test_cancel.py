"""Runaway SQL is stopped: statement timeouts, cancelling one caller, cancelling all."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pytest

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.errors import CancelledError, InvalidInputError, StatementTimeoutError
from lakeworks.lake.cancel import Reason, Scope, bounded
from lakeworks.lake.sql import Query

# a regression would run forever: fail the test instead (the thread method works while
# the main thread is inside DuckDB)
pytestmark = pytest.mark.timeout(60, method="thread")

RUNAWAY = "select count(*) from range(1e14::bigint) a(x) where x % 7 = 3"
ENDLESS_ROWS = "select x from range(1e14::bigint) a(x) where x % 7 = 3"
STOPS_WITHIN_S = 5  # generous: the machine running the tests may be busy


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[lw.Workspace]:
    settings = Settings.load(home=tmp_path / "lw", progress=False, duckdb_threads=1)
    workspace = lw.connect(settings=settings, user="tester")
    yield workspace
    workspace.platform.close()


def _drain(result: Query) -> None:
    for _ in result.batches(rows_per_batch=10_000):
        pass


RESULTS: dict[str, Callable[[Query], object]] = {
    "arrow": lambda q: q.arrow(),
    "fetchall": lambda q: q.fetchall(),
    "to_pandas": lambda q: q.to_pandas(),
    "batches": _drain,
}


@pytest.mark.parametrize("result", sorted(RESULTS))
def test_timeout_stops_a_runaway_query(ws: lw.Workspace, result: str) -> None:
    started = time.monotonic()
    with pytest.raises(StatementTimeoutError, match=r"stopped after 0.5 s") as info:
        RESULTS[result](ws.sql(RUNAWAY, timeout=0.5))
    assert time.monotonic() - started < STOPS_WITHIN_S
    assert info.value.fields == {"sql": RUNAWAY, "timeout": 0.5}
    assert "statement_timeout" in (info.value.hint or "")  # names the setting to raise
    assert ws.platform.sql.statements.running == 0
    assert ws.sql("select 42", timeout=0.5).fetchall() == [(42,)]  # the engine still works


def test_timeout_covers_a_stream_being_read(ws: lw.Workspace) -> None:
    reader = ws.sql(ENDLESS_ROWS, timeout=0.5).batches(rows_per_batch=1000)
    assert next(iter(reader)).num_rows > 0  # rows arrive, then the limit ends the stream
    with pytest.raises(StatementTimeoutError):
        for _ in reader:
            pass


def test_setting_is_the_default_and_a_call_overrides_it(tmp_path: Path) -> None:
    settings = Settings.load(home=tmp_path / "lw", statement_timeout=0.5, duckdb_threads=1)
    ws = lw.connect(settings=settings)
    try:
        assert ws.sql("select 1").timeout == 0.5
        assert ws.sql("select 1", timeout=0).timeout == 0  # 0: no limit
        with pytest.raises(StatementTimeoutError, match="0.5 s"):
            ws.sql(RUNAWAY).fetchall()
    finally:
        ws.platform.close()
    assert Settings.load().statement_timeout == 300


def test_a_timed_out_write_leaves_the_tables_as_they_were(ws: lw.Workspace) -> None:
    ws.write("kept", pa.table({"x": [1, 2]}))
    with pytest.raises(StatementTimeoutError):
        ws.sql(f"create table made as {ENDLESS_ROWS}", timeout=0.5)
    with pytest.raises(StatementTimeoutError):
        ws.sql(f"insert into kept {ENDLESS_ROWS}", timeout=0.5)
    assert [t.name for t in ws.tables()] == ["kept"]
    assert ws.read("kept").num_rows == 2 and len(ws.history("kept")) == 1


def test_a_quick_statement_is_untouched_by_its_timeout(ws: lw.Workspace) -> None:
    query = ws.sql("select sum(x) from range(1000) a(x)", timeout=0.5)
    assert query.fetchall() == [(499500,)]
    time.sleep(0.7)  # past the deadline of the finished run: the next run has its own
    assert query.fetchall() == [(499500,)]


def _in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, dict[str, BaseException]]:
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            fn()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _wait_running(ws: lw.Workspace, count: int) -> None:
    deadline = time.monotonic() + STOPS_WITHIN_S
    while ws.platform.sql.statements.running < count:
        assert time.monotonic() < deadline, "the statements never started"
        time.sleep(0.02)
    time.sleep(0.2)  # inside DuckDB by now


def test_cancelling_a_scope_stops_only_its_statement(ws: lw.Workspace) -> None:
    mine, other = Scope(), Scope()
    engine, ctx = ws.platform.sql, ws.ctx
    first, stopped = _in_thread(lambda: engine.execute(ctx, RUNAWAY, 0, mine).fetchall())
    second, still = _in_thread(lambda: engine.execute(ctx, RUNAWAY, 0, other).fetchall())
    _wait_running(ws, 2)
    mine.cancel(Reason.CLIENT_GONE)
    first.join(STOPS_WITHIN_S)
    assert not first.is_alive()
    assert isinstance(stopped["error"], CancelledError)
    assert stopped["error"].fields["reason"] == "client_gone"
    assert second.is_alive() and ws.platform.sql.statements.running == 1
    other.cancel(Reason.CLIENT_GONE)
    second.join(STOPS_WITHIN_S)
    assert not second.is_alive() and isinstance(still["error"], CancelledError)


def test_cancel_all_stops_every_statement_and_refuses_new_ones(ws: lw.Workspace) -> None:
    threads = [_in_thread(lambda: ws.sql(RUNAWAY, timeout=0).fetchall()) for _ in range(2)]
    _wait_running(ws, 2)
    assert ws.platform.sql.statements.cancel_all(Reason.SHUTDOWN, refuse_new=True) == 2
    for thread, outcome in threads:
        thread.join(STOPS_WITHIN_S)
        assert not thread.is_alive()
        error = outcome["error"]
        assert isinstance(error, CancelledError) and not isinstance(error, StatementTimeoutError)
        assert error.fields["reason"] == "shutdown" and error.transient
    with pytest.raises(CancelledError, match="shutting down"):
        ws.sql("select 1").fetchall()
    ws.platform.sql.statements.accept()  # the app started again
    assert ws.sql("select 1 as n").fetchall() == [(1,)]


def test_a_remote_timeout_may_shorten_but_not_lift_the_limit() -> None:
    assert bounded(None, 300) == 300
    assert bounded(2.5, 300) == 2.5
    assert bounded(900, 0) == 900  # the server sets no limit
    for asked in (0, 301):
        with pytest.raises(InvalidInputError, match="statement_timeout is 300 s") as info:
            bounded(asked, 300)
        assert info.value.fields["found"] == asked
