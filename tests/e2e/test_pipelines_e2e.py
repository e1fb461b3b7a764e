"""A pipeline file registered and run with the real CLI, then read over HTTP from a real
``lakeworks server`` whose scheduler starts the pipeline's due runs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx

from tests.conftest import free_port
from tests.e2e.test_server_process import _wait_healthy

EXE = Path(sys.executable).parent / "lakeworks"
SOURCE = """
from lakeworks.pipelines import Param, Pipeline, steps

p = Pipeline("numbers", schedule="1s", start="2020-01-01", params={"n": Param(int, 5)})
p.add("make", steps.sql("select range as x from range(10)", table="numbers"))


@p.task(deps=["make"])
def report(n, context):
    print("n is", n)
    return n * 2
"""


def lakeworks(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(EXE), "--home", str(home), *args], capture_output=True, text=True, timeout=60
    )


def test_cli_registers_and_runs_the_server_schedules_and_serves(tmp_path: Path) -> None:
    home = tmp_path / "lw"
    path = tmp_path / "numbers.py"
    path.write_text(textwrap.dedent(SOURCE))
    done = lakeworks(home, "pipelines", "register", str(path))
    assert done.returncode == 0, done.stderr
    run = lakeworks(home, "pipelines", "run", "numbers", "--param", "n=7")
    assert run.returncode == 0 and "run 1 of numbers succeeded" in run.stdout, run.stderr
    bad = lakeworks(home, "pipelines", "run", "numbers", "--param", "n=x")
    assert bad.returncode == 1 and bad.stderr.startswith("error: parameter 'n' expects int")

    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [str(EXE), "--home", str(home), "server", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    api = "/api/v1/workspaces/default"
    try:
        _wait_healthy(url, server, tmp_path / "server.log")
        with httpx.Client(base_url=url, timeout=30) as http:
            manual = http.get(f"{api}/pipeline-runs/1").json()
            assert manual["state"] == "succeeded" and manual["params"] == {"n": 7}
            assert [t["task"] for t in manual["tasks"]] == ["make", "report"]
            log_text = http.get(f"{api}/pipeline-runs/1/tasks/report/log").json()["log"]
            assert log_text == "n is 7\n"
            scheduled = _wait_for_scheduled_run(http, f"{api}/pipelines/numbers/runs")
            assert scheduled["trigger"] == "schedule" and scheduled["interval_start"]
            assert http.get(f"{api}/pipelines/nope/runs").status_code == 404
            assert "lakeworks_pipeline_runs_succeeded_total" in http.get("/metrics").text
    finally:
        server.terminate()
        server.wait(20)
        log.close()
    assert server.returncode == 0 or server.returncode < 0


def _wait_for_scheduled_run(http: httpx.Client, runs_url: str) -> dict:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for run in http.get(runs_url, params={"state": "succeeded"}).json():
            if run["trigger"] == "schedule":
                return run
        time.sleep(0.3)
    raise AssertionError(f"no scheduled run succeeded within 20 s: {http.get(runs_url).text}")
