"""Every executor (threads, local processes, a Dask cluster) passes the same contract:
ordering, retries, timeouts, cancel, a killed worker, a result that is not JSON."""

from __future__ import annotations

import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.pipelines.records import RunInfo
from lakeworks.platform import Platform
from tests.pipelines import dask_cluster

pytestmark = pytest.mark.slow
cluster = dask_cluster.cluster  # module-scoped: started only when a dask case runs
CTX = Context("default", "tester")


class Pipelines:
    """The platform under test, with a helper to register source and run it."""

    def __init__(self, platform: Platform, folder: Path, kind: str) -> None:
        self.platform, self.folder, self.kind = platform, folder, kind

    def run(self, source: str, name: str, wait: bool = True) -> RunInfo:
        path = self.folder / f"p_{uuid.uuid4().hex[:8]}.py"
        header = "import os, time\nimport pyarrow as pa\nfrom lakeworks.pipelines import Pipeline\n"
        path.write_text(header + textwrap.dedent(source))
        self.platform.pipelines.register(CTX, path)
        return self.platform.pipelines.run(CTX, name, wait=wait)

    def settle(self, done: Callable[[], bool], killed_after: float) -> None:
        """Wait until abandoned attempts ended (``done()``); where they are killed (so
        ``done`` never comes true), for ``killed_after`` s."""
        if self.kind == "processes":
            time.sleep(killed_after)
        else:
            wait_for(done)

    def rows(self, table: str) -> int:
        tables = self.platform.tables
        return tables.read(CTX, table).num_rows if tables.exists(CTX, table) else 0


@pytest.fixture(params=["threads", "processes", "dask"])
def pipelines(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path
) -> Iterator[Pipelines]:
    spec = {"threads": "local", "processes": "processes"}.get(request.param)
    if spec is None:
        spec = request.getfixturevalue("cluster")[0]
    platform = Platform.open(settings.model_copy(update={"executor": spec}))
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    yield Pipelines(platform, tmp_path, request.param)
    platform.pipelines.close()
    platform.close()


def test_tasks_start_after_their_upstream_and_get_its_results(pipelines: Pipelines) -> None:
    run = pipelines.run(
        """
        p = Pipeline("order")

        def stamp(value):
            start = time.time()
            time.sleep(0.2)
            return {"value": value, "start": start, "end": time.time()}

        p.add("a", lambda: stamp(1))
        p.add("b", lambda a: stamp(a["value"] + 1))
        p.add("c", lambda a: stamp(a["value"] + 2))
        p.add("d", lambda b, c: stamp(b["value"] * c["value"]))
        """,
        "order",
    )
    assert run.state == "succeeded", run.error
    got = {t.task: t.result["value"] for t in run.tasks}
    assert got["d"]["value"] == 6
    for up, down in [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]:
        assert got[down]["start"] >= got[up]["end"], (up, down)


def test_a_failed_attempt_is_retried_and_retries_end(pipelines: Pipelines, tmp_path: Path) -> None:
    marker = tmp_path / "tried"
    run = pipelines.run(
        f"""
        p = Pipeline("retries")

        @p.task(retries=2, retry_delay=0)
        def flaky():
            if not os.path.exists({str(marker)!r}):
                open({str(marker)!r}, "w").close()
                raise ValueError("first attempt fails")
            return "ok"

        @p.task(retries=1, retry_delay=0)
        def always():
            raise ValueError("never works")
        """,
        "retries",
    )
    assert run.state == "failed"
    assert (run.task("flaky").state, run.task("flaky").attempts) == ("succeeded", 2)
    assert run.task("flaky").result["value"] == "ok"
    assert (run.task("always").state, run.task("always").attempts) == ("failed", 2)
    assert "ValueError: never works" in run.task("always").error


def test_timed_out_attempts_never_write(pipelines: Pipelines, tmp_path: Path) -> None:
    ended = tmp_path / "ended"
    ended.mkdir()
    run = pipelines.run(
        f"""
        p = Pipeline("slow")

        @p.task(timeout=2, retries=1, retry_delay=0)
        def load(context):
            time.sleep(3)
            try:
                context.write("out", pa.table({{"attempt": [context.attempt]}}))
            finally:
                open(os.path.join({str(ended)!r}, str(context.attempt)), "w").close()
        """,
        "slow",
    )
    assert run.state == "failed" and run.task("load").attempts == 2
    assert "exceeded its timeout of 2s" in run.task("load").error
    # the bodies of both attempts are over (a killed process never gets there)
    pipelines.settle(lambda: len(list(ended.iterdir())) == 2, 6)
    assert pipelines.rows("out") == 0


def test_a_cancelled_run_ends_cancelled_and_writes_nothing(
    pipelines: Pipelines, tmp_path: Path
) -> None:
    started, ended = tmp_path / "started", tmp_path / "ended"
    run = pipelines.run(
        f"""
        p = Pipeline("cancelled")

        @p.task
        def load(context):
            open({str(started)!r}, "w").close()
            time.sleep(2)
            try:
                context.write("out", pa.table({{"x": [1]}}))
            finally:
                open({str(ended)!r}, "w").close()

        p.add("after", lambda load: 1)
        """,
        "cancelled",
        wait=False,
    )
    wait_for(started.exists)
    pipelines.platform.pipelines.cancel(CTX, run.id)
    done = pipelines.platform.pipelines.wait(CTX, run.id, timeout=20)
    assert done.state == "cancelled"
    assert done.task("after").state == "cancelled"
    pipelines.settle(ended.exists, 3)
    assert pipelines.rows("out") == 0


def test_a_result_that_is_not_json_reaches_downstream_and_is_kept_as_text(
    pipelines: Pipelines,
) -> None:
    run = pipelines.run(
        """
        from fractions import Fraction
        p = Pipeline("not_json")
        p.add("make", lambda: Fraction(1, 3))
        p.add("use", lambda make: [str(make), make.denominator])
        """,
        "not_json",
    )
    assert run.state == "succeeded", run.error
    assert run.task("make").result == {"repr": "Fraction(1, 3)", "stored": False}
    assert run.task("use").result["value"] == ["1/3", 3]


# a thread shares the runner's process: killing it is not part of the threads contract.
# Dask last: it leaves the module's cluster with one worker
KILLABLE = ["processes", "dask"]


@pytest.mark.parametrize("pipelines", KILLABLE, indirect=True)
def test_a_killed_worker_fails_only_its_attempt(pipelines: Pipelines, tmp_path: Path) -> None:
    marker = tmp_path / "killed"
    run = pipelines.run(
        f"""
        import signal
        p = Pipeline("killed")

        @p.task(retries=1, retry_delay=0, timeout=60)
        def victim():
            if not os.path.exists({str(marker)!r}):
                open({str(marker)!r}, "w").close()
                os.kill(os.getpid(), signal.SIGKILL)
            return os.getpid()

        p.add("after", lambda victim: victim)
        p.add("other", lambda: "fine")
        """,
        "killed",
    )
    assert run.state == "succeeded", run.error
    assert marker.exists()
    assert run.task("after").result["value"] == run.task("victim").result["value"]
    assert run.task("other").result["value"] == "fine"


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {seconds} s"
        time.sleep(0.05)
