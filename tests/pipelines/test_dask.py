"""The Dask executor against a real cluster: a scheduler and two workers on 127.0.0.1."""

from __future__ import annotations

import os
import queue
import signal
import time
from collections.abc import Iterator

import pytest

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.errors import UnavailableError
from lakeworks.pipelines.calls import Outcome, TaskCall
from lakeworks.pipelines.executors import make_executor
from lakeworks.platform import Platform
from tests.conftest import free_port
from tests.pipelines import dask_cluster

pytestmark = pytest.mark.slow
cluster = dask_cluster.cluster  # the module-scoped fixture


@pytest.fixture
def dask_platform(settings: Settings, cluster: tuple[str, list]) -> Iterator[Platform]:
    platform = Platform.open(settings.model_copy(update={"executor": cluster[0]}))
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    yield platform
    platform.pipelines.close()
    platform.close()


def test_a_run_on_the_cluster(dask_platform: Platform, define) -> None:  # noqa: ANN001
    ctx = Context("default", "tester")
    service = dask_platform.pipelines
    service.register(
        ctx,
        define(
            """
            import os
            p = Pipeline("on_dask", params={"n": Param(int, 4)})

            @p.task
            def square(n, context):
                print("on worker", context.attempt)
                return n * n

            @p.task(retries=1, retry_delay=0)
            def fails(square):
                raise ValueError(f"bad {square}")

            p.add("wide", lambda square: [square] * 3)
            """
        ),
    )
    run = service.run(ctx, "on_dask")
    assert run.state == "failed", run.tasks
    assert run.task("square").result["value"] == 16
    assert run.task("square").worker.startswith("tcp://127.0.0.1:")
    assert run.task("wide").state == "succeeded"
    assert run.task("fails").attempts == 2 and "ValueError: bad 16" in run.task("fails").error
    assert service.task_logs(ctx, run.id, "square") == "on worker 1\n"


def test_a_chain_submitted_ahead_handles_retries_and_skips(
    dask_platform: Platform,
    define,
    tmp_path,  # noqa: ANN001
) -> None:
    ctx = Context("default", "tester")
    service = dask_platform.pipelines
    flag = tmp_path / "tried"
    service.register(
        ctx,
        define(
            f"""
            import os
            p = Pipeline("ahead")
            p.add("a", lambda: 1)

            @p.task(retries=1, retry_delay=0)
            def b(a):
                if not os.path.exists({str(flag)!r}):
                    open({str(flag)!r}, "w").close()
                    raise RuntimeError("first try fails")
                return a + 1

            p.add("c", lambda b: b * 10)
            p.add("d", lambda c: c + 1)

            @p.task
            def quiet(a):
                raise Skip("nothing to do")

            p.add("after_quiet", lambda quiet: 1)
            """
        ),
    )
    run = service.run(ctx, "ahead")
    states = {t.task: (t.state, t.attempts) for t in run.tasks}
    assert states == {
        "a": ("succeeded", 1),
        "b": ("succeeded", 2),
        "c": ("succeeded", 1),
        "d": ("succeeded", 1),
        "quiet": ("skipped", 1),
        "after_quiet": ("skipped", 0),
    }
    assert run.task("d").result["value"] == 21 and run.state == "succeeded"


def test_a_worker_killed_mid_task_means_a_retry_elsewhere(
    dask_platform: Platform,
    cluster: tuple[str, list],
    define,
    tmp_path,  # noqa: ANN001
) -> None:
    ctx = Context("default", "tester")
    service = dask_platform.pipelines
    pids = tmp_path / "pids"
    service.register(
        ctx,
        define(
            f"""
            import os
            p = Pipeline("victim")

            @p.task(retries=1, retry_delay=0, timeout=60)
            def slow():
                with open({str(pids)!r}, "a") as f:
                    f.write(f"{{os.getpid()}}\\n")
                time.sleep(2)
                return os.getpid()

            p.add("after", lambda slow: slow)
            """
        ),
    )
    run = service.run(ctx, "victim", wait=False)
    deadline = time.monotonic() + 30
    while not pids.exists() or not pids.read_text().strip():
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.05)
    victim = int(pids.read_text().split()[0])
    [worker] = [w for w in cluster[1] if w.pid == victim]
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)
    done = service.wait(ctx, run.id, timeout=60)
    assert done.state == "succeeded", done.error
    survivor = done.task("slow").result["value"]
    assert survivor != victim
    assert [int(p) for p in pids.read_text().split()] == [victim, survivor]
    assert done.task("after").state == "succeeded"


def test_an_unreachable_scheduler_is_a_clear_error() -> None:
    port = free_port()
    started = time.monotonic()
    with pytest.raises(
        UnavailableError, match=f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}"
    ) as info:
        make_executor(f"tcp://127.0.0.1:{port}", None).__class__  # noqa: B018
    assert "LAKEWORKS_EXECUTOR" in info.value.hint
    assert time.monotonic() - started < 30


def test_a_run_against_an_unreachable_scheduler_fails_definitely(
    settings: Settings,
    define,  # noqa: ANN001
) -> None:
    platform = Platform.open(
        settings.model_copy(update={"executor": f"tcp://127.0.0.1:{free_port()}"})
    )
    ctx = Context("default", "tester")
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    platform.pipelines.register(ctx, define('p = Pipeline("nowhere")\np.add("a", lambda: 1)\n'))
    with pytest.raises(UnavailableError):
        platform.pipelines.run(ctx, "nowhere")
    [run] = platform.pipelines.runs(ctx, "nowhere")
    assert run.state == "failed" and "cannot reach the Dask scheduler" in run.error
    platform.close()


def _double(x: int) -> int:
    return 2 * x


def test_tasks_submitted_together_go_to_the_cluster_as_one_graph(
    cluster: tuple[str, list],
) -> None:
    executor = make_executor(cluster[0], None)
    graphs = []
    send = executor.client.get
    executor.client.get = lambda graph, *a, **kw: graphs.append(graph) or send(graph, *a, **kw)
    answers: queue.SimpleQueue[tuple[str, Outcome]] = queue.SimpleQueue()

    def submit(task: str, kwargs: dict, upstream: dict | None = None) -> object:
        call = TaskCall(
            run_id=1, pipeline="p", task=task, attempt=1, fn=_double, kwargs=kwargs,
            params={}, interval_start=None, interval_end=None, workspace="w", user="u",
            from_upstream=tuple(upstream or ()),
        )  # fmt: skip
        return executor.submit(call, lambda o: answers.put((task, o)), upstream)

    try:
        root = submit("root", {"x": 1})
        for i in range(3):
            submit(f"m{i}", {}, {"x": root})
        executor.flush()
        outcomes = dict(answers.get(timeout=30) for _ in range(4))
    finally:
        executor.close()
    assert len(graphs) == 1
    assert {t: (o.state, o.result) for t, o in outcomes.items()} == {
        "root": ("succeeded", 2),
        **{f"m{i}": ("succeeded", 4) for i in range(3)},
    }


def test_the_collector_survives_a_failure_and_the_run_still_ends(
    dask_platform: Platform,
    define,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unexpected error while collecting results fails those attempts; it never stops
    the collector (runs would hang) and later results are collected as usual."""
    ctx = Context("default", "tester")
    service = dask_platform.pipelines
    service.register(ctx, define('p = Pipeline("collected")\np.add("a", lambda: 1)\n'))
    executor = service.executor
    deliver, failures = executor._deliver, []

    def broken(batch: list) -> None:
        if not failures:
            failures.append(batch)
            raise RuntimeError("injected failure while collecting")
        deliver(batch)

    monkeypatch.setattr(executor, "_deliver", broken)
    failed = service.run(ctx, "collected")
    assert failed.state == "failed" and failures
    assert "injected failure while collecting" in failed.task("a").error
    assert executor._collector.is_alive()
    again = service.run(ctx, "collected")
    assert again.state == "succeeded" and again.task("a").result["value"] == 1
