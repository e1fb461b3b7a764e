"""Real sink processes: one killed with SIGKILL between its commit and its acknowledgement
(held there by the sink's AFTER_COMMIT seam), then restarted; and the CLI sink stopped with
SIGTERM, which finishes its batch and exits cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import lakeworks as lw
from lakeworks.config import Settings

from .conftest import clicks

SRC = Path(__file__).parents[2] / "src"
PAUSED_SINK = textwrap.dedent(
    """
    import sys, time
    import lakeworks as lw
    from lakeworks.config import Settings
    from lakeworks.streams import sink

    def pause(position):
        print(f"committed {position}", flush=True)
        time.sleep(120)  # killed here, after the commit, before the ack

    sink.AFTER_COMMIT.append(pause)
    home, url, workspace, max_batch = sys.argv[1:5]
    settings = Settings.load(home=home, events_url=url or None, progress=False)
    ws = lw.connect(settings=settings, workspace=workspace, user="tester")
    ws.streams.ingest("clicks", "clicks", once=True, max_batch=int(max_batch))
    """
)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), *sys.path])}


def test_a_sink_killed_between_commit_and_ack_neither_loses_nor_duplicates(
    sws: lw.Workspace, backend: tuple[Settings, str]
) -> None:
    settings, name = backend
    sws.streams.publish("clicks", clicks(500))
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            PAUSED_SINK,
            str(settings.home),
            settings.events_url or "",
            name,
            "200",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("committed"), process.stderr.read()
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        process.kill()
    assert sws.read("clicks").num_rows == 200  # committed ...
    assert sws.streams.lag("clicks", "clicks_sink").pending == 200  # ... not acknowledged
    sws.streams.publish("clicks", clicks(300, 500))
    result = sws.streams.ingest("clicks", "clicks", once=True, max_batch=200)
    assert (result.skipped, result.written) == (200, 600)
    rows = sws.read("clicks", columns=["id"]).column("id").to_pylist()
    assert len(rows) == len(set(rows)) == 800
    assert sorted(rows) == list(range(800))
    info = sws.streams.lag("clicks", "clicks_sink")
    assert (info.lag, info.pending) == (0, 0)


def test_the_cli_sink_stops_on_sigterm_after_its_batch(tmp_path: Path) -> None:
    home = tmp_path / "lw"
    ws = lw.connect(settings=Settings.load(home=home, progress=False), user="tester")
    ws.streams.publish("clicks", clicks(50))
    command = [
        sys.executable,
        "-m",
        "lakeworks.cli.app",
        "--home",
        str(home),
        "stream",
        "ingest",
        "clicks",
        "--table",
        "clicks",
        "--every",
        "100ms",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _rows(ws, "clicks"):
            time.sleep(0.1)
        ws.streams.publish("clicks", clicks(10, 50))
        while time.monotonic() < deadline and _rows(ws, "clicks") < 60:
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "ingested 60 events from clicks into clicks: 60 written" in out
    assert _rows(ws, "clicks") == 60
    assert ws.streams.lag("clicks", "clicks_sink").pending == 0
    ws.platform.close()


def _rows(ws: lw.Workspace, table: str) -> int:
    if not ws.platform.tables.exists(ws.ctx, table):
        return 0
    return ws.read(table, columns=["id"]).num_rows
