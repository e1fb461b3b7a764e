"""Runs across processes: a run killed -9 is failed by its heartbeat, two processes log
to one run at once. Real subprocesses on the embedded SQLite catalog."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import lakeworks as lw
from lakeworks.config import Settings

pytestmark = pytest.mark.slow  # real subprocesses: about 30 s together on a loaded box

_CHILD = """
import sys, time
import pytest

import lakeworks as lw
ws = lw.connect(home=sys.argv[1], user="child", progress=False,
                tracking_heartbeat_interval=0.2, tracking_flush_interval=0.05)
run = ws.start_run("crash")
run.log_param("lr", 0.1)
for step in range(100):
    run.log_metric("loss", 1 / (step + 1), step=step)
run.flush()
print(run.id, flush=True)
time.sleep(600)
"""

_WRITER = """
import sys
import pytest

import lakeworks as lw
from lakeworks.tracking.records import Metric
ws = lw.connect(home=sys.argv[1], user="writer", progress=False)
run_id, key = sys.argv[2], sys.argv[3]
for start in range(0, 1000, 50):
    points = [Metric(key, float(s), s, 1) for s in range(start, start + 50)]
    ws.platform.tracking.log_batch(ws.ctx, run_id, metrics=points, params={"shared": "same"})
"""


def _env() -> dict[str, str]:
    src = str(Path(lw.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_run_killed_9_is_marked_failed_and_keeps_flushed_data(tmp_path: Path) -> None:
    home = str(tmp_path / "lw")
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, home], stdout=subprocess.PIPE, text=True, env=_env()
    )
    try:
        run_id = child.stdout.readline().strip()  # type: ignore[union-attr]
        assert len(run_id) == 32, run_id
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    settings = Settings.load(home=home, progress=False, tracking_heartbeat_timeout=1)
    ws = lw.connect(settings=settings, user="parent")
    try:
        assert ws.runs.get(run_id).info.status in {"RUNNING", "FAILED"}
        deadline = time.monotonic() + 10
        while ws.runs.get(run_id).info.status == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.2)
        run = ws.runs.get(run_id)
        assert run.info.status == "FAILED"
        assert run.info.end_time is not None and run.info.end_time <= time.time() * 1000
        assert run.params == {"lr": "0.1"}
        assert len(ws.runs.metric_history(run_id, "loss")) == 100
    finally:
        ws.platform.close()


def test_an_open_run_that_heartbeats_is_not_reaped(tmp_path: Path) -> None:
    settings = Settings.load(
        home=tmp_path / "lw",
        progress=False,
        tracking_heartbeat_interval=0.1,
        tracking_heartbeat_timeout=0.5,
    )
    ws = lw.connect(settings=settings, user="u")
    try:
        with ws.start_run("alive") as run:
            time.sleep(1.2)
            assert ws.runs.get(run.id).info.status == "RUNNING"
        assert ws.runs.get(run.id).info.status == "FINISHED"
        # a run made without a heartbeat (an MLflow client's) is never reaped
        exp = ws.platform.tracking.get_experiment_by_name(ws.ctx, "alive")
        quiet = ws.platform.tracking.create_run(ws.ctx, exp.id)
        time.sleep(0.7)
        assert ws.runs.get(quiet.id).info.status == "RUNNING"
    finally:
        ws.platform.close()


def test_two_processes_log_to_one_run_at_once(tmp_path: Path) -> None:
    home = str(tmp_path / "lw")
    ws = lw.connect(home=home, user="parent", progress=False)
    try:
        run = ws.start_run("shared")
        writers = [
            subprocess.Popen([sys.executable, "-c", _WRITER, home, run.id, key], env=_env())
            for key in ("a", "b")
        ]
        for step in range(1000):
            run.log_metric("c", float(step), step=step, timestamp=1)
        codes = [w.wait(120) for w in writers]
        run.end()
        assert codes == [0, 0]
        for key in ("a", "b", "c"):
            history = ws.runs.metric_history(run.id, key)
            assert [m.step for m in history] == list(range(1000)), key
        assert ws.runs.get(run.id).params == {"shared": "same"}
    finally:
        ws.platform.close()


_EXITS = """
import sys
import pytest

import lakeworks as lw
ws = lw.connect(home=sys.argv[1], user="child", progress=False, tracking_flush_interval=60)
run = ws.start_run("exits")  # never ended, never flushed by the program
print(run.id, flush=True)
for step in range(500):
    run.log_metric("loss", 1.0, step=step)
if sys.argv[2] == "raise":
    raise SystemError("the program dies of an uncaught exception")
"""


@pytest.mark.parametrize(("how", "status"), [("return", "FINISHED"), ("raise", "FAILED")])
def test_interpreter_exit_flushes_and_ends_open_runs(tmp_path: Path, how: str, status: str) -> None:
    home = str(tmp_path / "lw")
    done = subprocess.run(
        [sys.executable, "-c", _EXITS, home, how], capture_output=True, text=True, env=_env()
    )
    assert (done.returncode != 0) == (how == "raise"), done.stderr
    run_id = done.stdout.strip()
    ws = lw.connect(home=home, user="parent", progress=False)
    try:
        assert ws.runs.get(run_id).info.status == status
        assert len(ws.runs.metric_history(run_id, "loss")) == 500
    finally:
        ws.platform.close()
