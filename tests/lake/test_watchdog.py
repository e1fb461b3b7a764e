"""The one watchdog thread of a process: deadlines fire in order, once, unless cleared."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.lake import watchdog as watchdog_module
from lakeworks.lake.watchdog import Watchdog, watchdog

pytestmark = pytest.mark.timeout(60, method="thread")


def test_deadlines_fire_in_time_order_whatever_order_they_were_set() -> None:
    dog, fired, done = Watchdog(), [], threading.Event()
    dog.schedule(0.30, lambda: (fired.append("late"), done.set()))
    dog.schedule(0.05, lambda: fired.append("early"))  # earlier than the one it waits for
    assert done.wait(5)
    assert fired == ["early", "late"]
    assert dog.pending == 0


def test_a_cleared_deadline_never_fires_and_clearing_twice_is_harmless() -> None:
    dog, fired, later = Watchdog(), [], threading.Event()
    cleared = dog.schedule(0.05, lambda: fired.append("cleared"))
    dog.clear(cleared)
    dog.clear(cleared)
    dog.schedule(0.15, later.set)
    assert later.wait(5)
    assert fired == []


def test_a_failing_call_does_not_stop_the_deadlines_after_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dog, after = Watchdog(), threading.Event()

    def broken() -> None:
        raise RuntimeError("boom")

    dog.schedule(0.01, broken)
    dog.schedule(0.05, after.set)
    assert after.wait(5)
    assert "watchdog failed" in caplog.text and "boom" in caplog.text


def test_cleared_deadlines_do_not_pile_up() -> None:
    dog = Watchdog()
    for _ in range(10_000):  # statements that finish long before their limit
        dog.clear(dog.schedule(300, lambda: None))
    assert dog.pending == 0
    assert len(dog._heap) <= 2 * watchdog_module._REBUILD_ABOVE


def test_many_timed_statements_share_one_thread(tmp_path: Path) -> None:
    settings = Settings.load(home=tmp_path / "lw", progress=False, duckdb_threads=1)
    ws = lw.connect(settings=settings, user="tester")
    try:
        assert ws.sql("select 42", timeout=30).fetchall() == [(42,)]
        before = set(threading.enumerate())
        for _ in range(30):
            assert ws.sql("select 42", timeout=30).fetchall() == [(42,)]
        assert set(threading.enumerate()) - before == set()  # no thread per statement
        assert watchdog()._thread in before and watchdog()._thread.is_alive()
        assert watchdog().pending == 0  # every finished statement cleared its deadline
    finally:
        ws.platform.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_its_own_watchdog() -> None:
    fired = threading.Event()
    watchdog().schedule(0.01, fired.set)  # the parent's thread runs
    assert fired.wait(5)
    pid = os.fork()
    if pid == 0:  # the child: no watchdog thread was inherited, a new one starts
        child_fired = threading.Event()
        watchdog().schedule(0.01, child_fired.set)
        os._exit(0 if child_fired.wait(5) else 1)
    started = time.monotonic()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert time.monotonic() - started < 5
