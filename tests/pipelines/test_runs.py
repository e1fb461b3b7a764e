"""The runner: states, failures, retries, timeouts, parallelism, cancel and resume."""

from __future__ import annotations

import threading
import time

import pytest

from lakeworks.errors import ConflictError, InvalidInputError
from lakeworks.pipelines import metrics


def test_a_run_passes_results_downstream_and_records_everything(
    pipelines,
    ctx,
    register,  # noqa: ANN001
) -> None:
    register(
        """
        p = Pipeline("calc", params={"n": Param(int, 3)})

        @p.task
        def double(n):
            print("doubling", n)
            return n * 2

        @p.task
        def plus_one(double, context):
            context.log.info("adding one in run %s", context.run_id)
            return double + 1
        """
    )
    run = pipelines.run(ctx, "calc", {"n": 5})
    assert run.state == "succeeded" and run.trigger == "manual" and run.params == {"n": 5}
    assert run.finished_at >= run.started_at
    double, plus_one = run.task("double"), run.task("plus_one")
    assert (double.state, double.result["value"], double.attempts) == ("succeeded", 10, 1)
    assert plus_one.result["value"] == 11
    assert double.cpu_seconds >= 0 and double.peak_memory_bytes > 0 and double.worker
    assert pipelines.task_logs(ctx, run.id, "double") == "doubling 5\n"
    assert "adding one in run" in pipelines.task_logs(ctx, run.id, "plus_one")
    assert [r.id for r in pipelines.runs(ctx, "calc")] == [run.id]


def test_a_failed_task_stops_its_downstream_only(pipelines, ctx, register) -> None:  # noqa: ANN001
    register(
        """
        p = Pipeline("branches")
        p.add("root", lambda: 1)
        p.add("bad", lambda root: 1 / 0)
        p.add("after_bad", lambda bad: bad)
        p.add("last", lambda after_bad: after_bad)
        p.add("good", lambda root: time.sleep(0.2) or root)
        p.add("after_good", lambda good: good + 1)
        """
    )
    run = pipelines.run(ctx, "branches")
    states = {t.task: t.state for t in run.tasks}
    assert states == {
        "root": "succeeded",
        "bad": "failed",
        "after_bad": "upstream_failed",
        "last": "upstream_failed",
        "good": "succeeded",
        "after_good": "succeeded",
    }
    assert run.state == "failed" and "task 'bad' failed: ZeroDivisionError" in run.error
    bad = run.task("bad")
    assert bad.error == "ZeroDivisionError: division by zero"
    assert "Traceback" in bad.traceback and "1 / 0" in bad.traceback


def test_retries_back_off_exponentially(pipelines, ctx, register, tmp_path) -> None:  # noqa: ANN001
    marks = tmp_path / "marks"
    register(
        f"""
        p = Pipeline("flaky")

        @p.task(retries=3, retry_delay=0.1, backoff=2)
        def flaky():
            with open({str(marks)!r}, "a") as f:
                f.write(f"{{time.monotonic()}}\\n")
            if len(open({str(marks)!r}).read().split()) < 3:
                raise ConnectionError("try again")
            return "ok"
        """
    )
    run = pipelines.run(ctx, "flaky")
    assert run.state == "succeeded"
    task = run.task("flaky")
    assert task.attempts == 3 and task.error is None
    times = [float(x) for x in marks.read_text().split()]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert 0.09 <= gaps[0] < 0.5 and 0.19 <= gaps[1] < 0.7


def test_a_task_out_of_retries_fails_with_every_attempt_logged(
    pipelines,
    ctx,
    register,  # noqa: ANN001
) -> None:
    register(
        """
        p = Pipeline("always_bad")

        @p.task(retries=1, retry_delay=0)
        def bad(context):
            print("attempt", context.attempt)
            raise ValueError("nope")
        """
    )
    run = pipelines.run(ctx, "always_bad")
    assert run.state == "failed" and run.task("bad").attempts == 2
    log = pipelines.task_logs(ctx, run.id, "bad")
    assert "attempt 1" in log and "--- attempt 2 ---" in log and "attempt 2" in log


def test_a_task_past_its_timeout_fails(pipelines, ctx, register) -> None:  # noqa: ANN001
    register(
        """
        p = Pipeline("slow")
        p.add("sleepy", lambda: time.sleep(1.5), timeout=0.3)
        p.add("after", lambda sleepy: 1)
        """
    )
    started = time.monotonic()
    run = pipelines.run(ctx, "slow")
    assert time.monotonic() - started < 1.2
    assert run.state == "failed"
    assert run.task("sleepy").state == "failed"
    assert "exceeded its timeout of 0.3s" in run.task("sleepy").error
    assert run.task("after").state == "upstream_failed"


def test_independent_tasks_run_in_parallel(pipelines, ctx, register) -> None:  # noqa: ANN001
    register(
        """
        p = Pipeline("wide")
        for i in range(6):
            p.add(f"t{i}", lambda: time.sleep(0.4))
        p.add("join", lambda: None, deps=[f"t{i}" for i in range(6)])
        """
    )
    started = time.monotonic()
    run = pipelines.run(ctx, "wide")
    assert run.state == "succeeded"
    assert time.monotonic() - started < 1.5  # serial would take 2.4 s


def test_a_wrong_parameter_type_is_refused_before_running(pipelines, ctx, register) -> None:  # noqa: ANN001
    register('p = Pipeline("typed", params={"n": int})\np.add("a", lambda n: n)\n')
    with pytest.raises(InvalidInputError, match="parameter 'n' expects int, got str"):
        pipelines.run(ctx, "typed", {"n": "five"})
    assert pipelines.runs(ctx, "typed") == []
    run = pipelines.run(ctx, "typed", text_params={"n": "5"})
    assert run.task("a").result["value"] == 5


def test_skip_marks_a_task_and_its_downstream_skipped(pipelines, ctx, register) -> None:  # noqa: ANN001
    register(
        """
        p = Pipeline("skipper")

        @p.task
        def check():
            raise Skip("nothing new")

        p.add("use", lambda check: check)
        p.add("other", lambda: 1)
        """
    )
    run = pipelines.run(ctx, "skipper")
    assert run.state == "succeeded"
    assert {t.task: t.state for t in run.tasks} == {
        "check": "skipped",
        "use": "skipped",
        "other": "succeeded",
    }


def test_cancel_stops_a_running_run(pipelines, ctx, register) -> None:  # noqa: ANN001
    register(
        """
        p = Pipeline("long")
        p.add("first", lambda: time.sleep(0.3))
        p.add("second", lambda first: time.sleep(2))
        p.add("third", lambda second: 1)
        """
    )
    run = pipelines.run(ctx, "long", wait=False)
    assert run.state == "running"
    deadline = time.monotonic() + 10
    while pipelines.run_info(ctx, run.id).task("second").state != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    pipelines.cancel(ctx, run.id)
    done = pipelines.wait(ctx, run.id, timeout=10)
    assert done.state == "cancelled"
    assert {t.task: t.state for t in done.tasks} == {
        "first": "succeeded",
        "second": "cancelled",
        "third": "cancelled",
    }


def test_resume_reruns_only_what_did_not_succeed(
    pipelines,
    ctx,
    register,
    tmp_path,  # noqa: ANN001
) -> None:
    flag, counts = tmp_path / "fixed", tmp_path / "counts"
    register(
        f"""
        p = Pipeline("resumable")

        def count(name):
            with open({str(counts)!r}, "a") as f:
                f.write(name + "\\n")

        @p.task
        def extract():
            count("extract")
            return [1, 2, 3]

        @p.task
        def transform(extract):
            count("transform")
            import os
            if not os.path.exists({str(flag)!r}):
                raise RuntimeError("bug")
            return sum(extract)

        @p.task
        def load(transform):
            count("load")
            return transform
        """
    )
    first = pipelines.run(ctx, "resumable")
    assert first.state == "failed"
    flag.touch()
    second = pipelines.run(ctx, "resumable")
    with pytest.raises(ConflictError, match="only failed or cancelled runs"):
        pipelines.resume(ctx, second.id)
    resumed = pipelines.resume(ctx, first.id)
    assert resumed.id == first.id and resumed.state == "succeeded"
    assert resumed.task("load").result["value"] == 6
    assert counts.read_text().split() == [
        "extract", "transform",  # first run
        "extract", "transform", "load",  # a second, successful run
        "transform", "load",  # the resume: extract kept
    ]  # fmt: skip


def test_metrics_count_runs_and_task_durations(pipelines, ctx, register) -> None:  # noqa: ANN001
    register('p = Pipeline("counted")\np.add("a", lambda: 1)\np.add("b", lambda: 1 / 0)\n')

    def value(name: str, **labels: str) -> float:
        return metrics.REGISTRY.get_sample_value(name, labels) or 0.0

    labels = {"workspace": "default", "pipeline": "counted"}
    before = value("lakeworks_pipeline_runs_started_total", **labels)
    pipelines.run(ctx, "counted")
    assert value("lakeworks_pipeline_runs_started_total", **labels) == before + 1
    assert value("lakeworks_pipeline_runs_failed_total", **labels, state="failed") >= 1
    count = value("lakeworks_pipeline_task_duration_seconds_count", **labels, state="succeeded")
    assert count >= 1


def test_tasks_record_the_table_versions_they_read_and_wrote(
    pipelines,
    ctx,
    register,
    platform,  # noqa: ANN001
) -> None:
    platform.tables.write(ctx, "orders", [{"id": 1, "amount": 5}, {"id": 2, "amount": 7}])
    register(
        """
        p = Pipeline("lineage")
        p.add("total", steps.sql("select sum(amount) as total from orders", table="totals"))

        @p.task
        def copy(total, context):
            data = context.read("totals")
            context.write("totals_copy", data)
            return total["rows"]
        """
    )
    run = pipelines.run(ctx, "lineage")
    assert run.state == "succeeded", run.error
    total = run.task("total")
    assert total.reads == [{"table": "orders", "version": 0}]
    assert total.writes == [{"table": "totals", "version": 0}]
    assert "wrote 1 rows to totals" in pipelines.task_logs(ctx, run.id, "total")
    copy = run.task("copy")
    assert copy.reads == [{"table": "totals", "version": 0}]
    assert copy.writes == [{"table": "totals_copy", "version": 0}]
    assert platform.tables.read(ctx, "totals_copy").to_pylist() == [{"total": 12}]


def test_the_processes_executor_runs_tasks_in_other_processes(
    settings,
    ctx,
    register,
    pipelines,  # noqa: ANN001
) -> None:
    from lakeworks.pipelines.executors.local import ProcessExecutor

    executor = ProcessExecutor(max_workers=2)
    pipelines._executor = executor
    register(
        """
        import os
        p = Pipeline("procs")
        p.add("pid", lambda: os.getpid())
        p.add("bad", lambda pid: 1 / 0)
        """
    )
    run = pipelines.run(ctx, "procs")
    import os

    assert run.task("pid").state == "succeeded"
    assert run.task("pid").result["value"] != os.getpid()
    assert run.task("bad").state == "failed" and "ZeroDivisionError" in run.task("bad").error


def test_concurrent_manual_runs_do_not_interfere(pipelines, ctx, register) -> None:  # noqa: ANN001
    register('p = Pipeline("many")\nfor i in range(20):\n    p.add(f"t{i}", lambda: 1)\n')
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(pipelines.run(ctx, "many").state))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == ["succeeded"] * 4
