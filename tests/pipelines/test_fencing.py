"""A timed-out or cancelled attempt can no longer commit (issue 13, section 3)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.errors import FencedError
from lakeworks.lake.fence import fenced
from lakeworks.pipelines.fencing import AttemptFence
from lakeworks.platform import Platform

SLOW_WRITE = """
import pyarrow as pa
p = Pipeline("slow_write")

@p.task(timeout=2, retries=1, retry_delay=0)
def load(context):
    time.sleep(3)
    try:
        context.write("out", pa.table({"attempt": [context.attempt]}))
    finally:
        open(f"ENDED/ended-{context.attempt}", "w").close()
"""


def _versions(platform: Platform, ctx: Context, table: str) -> int:
    return len(platform.tables.history(ctx, table)) if platform.tables.exists(ctx, table) else 0


@pytest.fixture
def processes_platform(settings: Settings) -> Iterator[Platform]:
    platform = Platform.open(settings.model_copy(update={"executor": "processes"}))
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    yield platform
    platform.pipelines.close()
    platform.close()


def test_timed_out_attempts_on_threads_write_nothing(
    platform: Platform, ctx: Context, register: Callable[[str], None], tmp_path: Path
) -> None:
    register(SLOW_WRITE.replace("ENDED", str(tmp_path)))
    started = time.monotonic()
    run = platform.pipelines.run(ctx, "slow_write")
    assert run.state == "failed" and run.task("load").attempts == 2
    assert "exceeded its timeout of 2s" in run.task("load").error
    assert time.monotonic() - started < 6
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ended-*"))) < 2:  # both bodies have returned
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert not platform.tables.exists(ctx, "out")
    assert _versions(platform, ctx, "out") == 0


def test_timed_out_attempts_in_processes_are_killed_with_their_children(
    processes_platform: Platform, define: Callable[[str], Path], tmp_path: Path
) -> None:
    ctx = Context("default", "tester")
    pids = tmp_path / "pids"
    pids.mkdir()
    source = f"""
    import os, subprocess
    import pyarrow as pa
    p = Pipeline("killed")

    @p.task(timeout=4, retries=1, retry_delay=0)
    def load(context):
        child = subprocess.Popen(["sleep", "60"])
        open(os.path.join({str(pids)!r}, f"{{os.getpid()}}-{{child.pid}}"), "w").close()
        time.sleep(6)
        context.write("out", pa.table({{"attempt": [context.attempt]}}))
    """
    processes_platform.pipelines.register(ctx, define(source))
    started = time.monotonic()
    run = processes_platform.pipelines.run(ctx, "killed")
    assert run.state == "failed" and run.task("load").attempts == 2
    time.sleep(max(0.0, started + 10.5 - time.monotonic()))  # past a body's natural end
    assert not processes_platform.tables.exists(ctx, "out")
    seen = [int(pid) for name in os.listdir(pids) for pid in name.split("-")]
    # a worker and its child per attempt that got to start (a loaded machine may take
    # most of the timeout to spawn a worker); each of them is gone
    assert len(seen) in (2, 4)
    assert not [pid for pid in seen if _alive(pid)]


def test_a_cancelled_run_on_threads_writes_nothing(
    platform: Platform, ctx: Context, register: Callable[[str], None]
) -> None:
    register(
        """
        p = Pipeline("cancel_me")

        @p.task
        def load(context):
            time.sleep(1.5)
            steps.sql("create table made as select 1 as x")(context)
        """
    )
    run = platform.pipelines.run(ctx, "cancel_me", wait=False)
    time.sleep(0.5)
    assert platform.pipelines.cancel(ctx, run.id).id == run.id
    ended = platform.pipelines.wait(ctx, run.id, timeout=10)
    assert ended.state == "cancelled"
    time.sleep(2)
    assert not platform.tables.exists(ctx, "made")


def test_a_later_attempt_fences_an_earlier_one_through_the_catalog(
    platform: Platform, ctx: Context, register: Callable[[str], None]
) -> None:
    """What a Dask worker or worker process does: ask the catalog inside the write."""
    register(
        """
        p = Pipeline("asks")
        p.add("one", lambda: 1)
        """
    )
    run = platform.pipelines.run(ctx, "asks")
    store = platform.pipelines.store
    assert not store.attempt_current(run.id, "one", 1)  # the run is over
    store.requeue_run(run.id, ["succeeded"])
    store.take(run.id, "me")
    assert store.attempt_current(run.id, "one", 2)  # the start of 2 is not written yet
    fence = AttemptFence(run.id, "one", 1, ask=lambda: store.attempt_current(run.id, "one", 1))
    with pytest.raises(FencedError, match="attempt 1 of task 'one'"), fenced(fence):
        platform.tables.write(ctx, "t", pa.table({"x": [1]}))
    assert fence.cancelled.is_set() and not platform.tables.exists(ctx, "t")


@pytest.mark.parametrize("operation", ["create", "append", "overwrite", "upsert", "delete"])
def test_every_write_path_checks_the_fence(
    platform: Platform, ctx: Context, operation: str
) -> None:
    tables = platform.tables
    if operation != "create":
        tables.write(ctx, "t", pa.table({"id": [1, 2]}))
    stop = threading.Event()
    stop.set()
    with pytest.raises(FencedError) as raised, fenced(AttemptFence(7, "load", 1, stop)):
        if operation == "create":
            tables.create(ctx, "t", pa.table({"id": [1]}))
        elif operation == "upsert":
            tables.upsert(ctx, "t", pa.table({"id": [2, 3]}), keys=["id"])
        elif operation == "delete":
            tables.delete(ctx, "t", "id = 1")
        else:
            tables.write(ctx, "t", pa.table({"id": [9]}), mode=operation)
    assert raised.value.fields == {"run_id": 7, "task": "load", "attempt": 1}
    if operation == "create":
        assert not tables.exists(ctx, "t")
    else:
        assert len(tables.history(ctx, "t")) == 1
        assert tables.read(ctx, "t").column("id").to_pylist() == [1, 2]


def test_a_write_outside_a_task_or_of_a_current_attempt_is_not_fenced(
    platform: Platform, ctx: Context
) -> None:
    platform.tables.write(ctx, "free", pa.table({"x": [1]}))
    with fenced(AttemptFence(1, "t", 1)):
        assert platform.tables.write(ctx, "free", pa.table({"x": [2]})).version == 1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie left for its parent to reap is not running
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return True


def test_the_cli_does_not_wait_for_a_timed_out_body(tmp_path: Path) -> None:
    """A timed-out attempt's thread sleeping 40 s does not keep `pipelines run` open."""
    exe = Path(sys.executable).parent / "lakeworks"
    source = tmp_path / "sleepy.py"
    source.write_text(
        "import time\nfrom lakeworks.pipelines import Pipeline\np = Pipeline('sleepy')\n"
        "p.add('nap', lambda: time.sleep(40), timeout=1)\n"
    )
    base = [str(exe), "--home", str(tmp_path / "lw")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([*base, "pipelines", "register", str(source)], check=True, env=env)
    started = time.monotonic()
    done = subprocess.run(
        [*base, "pipelines", "run", "sleepy"], capture_output=True, text=True, env=env, timeout=60
    )
    assert time.monotonic() - started < 20, "the CLI waited for the abandoned body"
    assert "failed" in done.stdout + done.stderr
