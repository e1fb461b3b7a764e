"""The SDK's runs: asynchronous batched logging, flushing guarantees, nesting, frames."""

from __future__ import annotations

import math
import threading
import time

import pytest

import lakeworks as lw
from lakeworks.errors import InvalidInputError
from lakeworks.tracking.client import current_run


def test_start_run_logs_everything_and_finishes(ws: lw.Workspace, tmp_path) -> None:  # noqa: ANN001
    ws.set_experiment("churn")
    with ws.start_run(name="baseline", tags={"team": "risk"}) as run:
        run.log_param("depth", 6)
        run.log_params({"lr": 0.1, "loss": "log"})
        for step in range(50):
            run.log_metric("loss", 1 / (step + 1), step=step)
        run.log_metrics({"auc": 0.9, "acc": 0.8}, step=49)
        run.set_tag("stage", "dev")
        run.set_note("first try")
        (tmp_path / "f.txt").write_text("x")
        run.log_artifact(tmp_path / "f.txt")
        assert current_run.get() is run
    assert current_run.get() is None
    got = ws.runs.get(run.id)
    assert got.info.status == "FINISHED" and got.info.end_time is not None
    assert got.params == {"depth": "6", "lr": "0.1", "loss": "log"}
    assert got.tags["team"] == "risk" and got.tags["mlflow.runName"] == "baseline"
    assert got.tags["mlflow.note.content"] == "first try"
    assert got.metric_values == {"loss": 1 / 50, "auc": 0.9, "acc": 0.8}
    assert len(ws.runs.metric_history(run.id, "loss")) == 50
    assert ws.platform.tracking.get_experiment(ws.ctx, got.info.experiment_id).name == "churn"


def test_exception_marks_failed_and_keeps_what_was_logged(ws: lw.Workspace) -> None:
    with pytest.raises(ZeroDivisionError), ws.start_run("e") as run:
        run.log_param("p", 1)
        for step in range(10):
            run.log_metric("m", step, step=step)
        1 / 0  # noqa: B018
    got = ws.runs.get(run.id)
    assert got.info.status == "FAILED"
    assert got.params == {"p": "1"} and got.metrics["m"].value == 9
    assert [m.value for m in ws.runs.metric_history(run.id, "m")] == list(range(10))


def test_log_metric_does_not_wait_for_the_database(
    ws: lw.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracking = ws.platform.tracking
    writes: list[int] = []
    write = tracking.log_points

    def counted(ctx, run_id, points, **kw):  # noqa: ANN001, ANN003, ANN202
        writes.append(len(points))
        return write(ctx, run_id, points, **kw)

    monkeypatch.setattr(tracking, "log_points", counted)
    with ws.start_run("e") as run:
        started = time.perf_counter()
        for step in range(20_000):
            run.log_metric("loss", 0.5, step=step)
        logging = time.perf_counter() - started
    # batches of at most tracking_flush_size (1,000), not a write a call; a write a call
    # would take 20,000 commits (tens of seconds), so the time bound is loose on purpose
    assert sum(writes) == 20_000 and max(writes) <= 1000 and len(writes) <= 60, writes
    assert logging < 5, logging
    assert len(ws.runs.metric_history(run.id, "loss")) == 20_000


def test_background_thread_flushes_without_end(settings) -> None:  # noqa: ANN001
    ws = lw.connect(settings=settings.model_copy(update={"tracking_flush_interval": 0.05}))
    try:
        run = ws.start_run("e")
        run.log_metric("m", 1.0)
        deadline = time.monotonic() + 5
        while "m" not in ws.runs.get(run.id).metrics and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ws.runs.get(run.id).metrics["m"].value == 1.0
        assert ws.runs.get(run.id).info.status == "RUNNING"
        run.end()
    finally:
        ws.platform.close()


def test_bad_input_raises_at_the_call(ws: lw.Workspace) -> None:
    with ws.start_run("e") as run:
        with pytest.raises(InvalidInputError, match="invalid metric key 'a|b'"):
            run.log_metric("a|b", 1.0)
        with pytest.raises(InvalidInputError, match="must be a number"):
            run.log_metric("m", "high")  # type: ignore[arg-type]
        run.log_param("lr", 0.1)
        with pytest.raises(InvalidInputError, match="'lr'.*'0.1'.*'0.2'"):
            run.log_param("lr", 0.2)
        run.log_metric("kept", float("nan"))
    assert math.isnan(ws.runs.get(run.id).metrics["kept"].value)
    assert ws.runs.get(run.id).info.status == "FINISHED"


def test_nested_runs(ws: lw.Workspace) -> None:
    with ws.start_run("e") as parent:
        with pytest.raises(InvalidInputError, match="already active"):
            ws.start_run("e")
        with ws.start_run("e", nested=True) as child:
            assert current_run.get() is child
        assert current_run.get() is parent
    got = ws.runs.get(child.id)
    assert got.info.parent_run_id == parent.id
    assert got.tags["mlflow.parentRunId"] == parent.id


def test_two_threads_log_to_one_run(ws: lw.Workspace) -> None:
    run = ws.start_run("e")
    twin = ws.platform.tracking

    def writer(prefix: str) -> None:
        for step in range(200):
            twin.log_metric(ws.ctx, run.id, f"{prefix}", step, step=step, timestamp=1)

    threads = [threading.Thread(target=writer, args=(p,)) for p in ("a", "b")]
    for t in threads:
        t.start()
    for step in range(200):
        run.log_metric("c", step, step=step)
    for t in threads:
        t.join()
    run.end()
    for key in ("a", "b", "c"):
        assert len(ws.runs.metric_history(run.id, key)) == 200


def test_runs_search_frame_delete(ws: lw.Workspace) -> None:
    for depth in (3, 6):
        with ws.start_run("exp") as run:
            run.log_param("depth", depth)
            run.log_metric("auc", depth / 10)
    frame = ws.runs.to_frame("exp")
    assert list(frame["params.depth"]) == ["6", "3"]  # newest first
    assert list(frame["metrics.auc"]) == [0.6, 0.3]
    assert {"run_id", "status", "start_time", "tags.mlflow.runName"} <= set(frame.columns)
    assert str(frame["start_time"].dtype).startswith("datetime64")
    ws.runs.delete(run.id)
    assert [r.id for r in ws.runs.search("exp")] != [] and run.id not in {
        r.id for r in ws.runs.search("exp")
    }
    assert ws.runs.to_frame("nothing-here-yet" if False else "exp").shape[0] == 1


def test_platform_close_flushes_open_runs(settings) -> None:  # noqa: ANN001
    slow = settings.model_copy(update={"tracking_flush_interval": 60})
    ws = lw.connect(settings=slow)
    run = ws.start_run("e")
    for step in range(10):
        run.log_metric("m", step, step=step)
    ws.platform.close()
    reopened = lw.connect(settings=slow)
    try:
        assert len(reopened.runs.metric_history(run.id, "m")) == 10
        run.end()  # still possible after the close
        assert reopened.runs.get(run.id).info.status == "FINISHED"
    finally:
        reopened.platform.close()


def test_search_with_a_filter_and_an_order(ws: lw.Workspace) -> None:
    for depth, auc in ((3, 0.7), (6, 0.9), (6, 0.8)):
        with ws.start_run("grid") as run:
            run.log_params({"depth": depth})
            run.log_metric("auc", auc)
    found = ws.runs.search("grid", filter="params.depth = '6'", order_by=["metrics.auc ASC"])
    assert [r.metrics["auc"].value for r in found] == [0.8, 0.9]
    with pytest.raises(InvalidInputError, match="metrics.auc >>"):
        ws.runs.search("grid", filter="metrics.auc >> 1")
