"""The SDK door: ws.pipelines.* calls the service for the workspace."""

from __future__ import annotations

import pytest

from lakeworks.errors import ConflictError, NotFoundError


def test_the_workspace_door(ws, define) -> None:  # noqa: ANN001
    path = define(
        """
        p = Pipeline("door", schedule="@daily", params={"n": Param(int, 1)})

        @p.task
        def hello(n, context):
            print("hello", n, context.interval_start)
            return n
        """
    )
    [info] = ws.pipelines.register(str(path))
    assert [p.name for p in ws.pipelines.list()] == ["door"] == [ws.pipelines.get("door").name]
    run = ws.pipelines.run("door", params={"n": 2})
    assert run.state == "succeeded" and ws.pipelines.run_info(run.id).task("hello").result == {
        "value": 2,
        "stored": True,
    }
    assert ws.pipelines.task_logs(run.id, "hello") == "hello 2 None\n"
    with pytest.raises(ConflictError):
        ws.pipelines.resume(run.id)
    result = ws.pipelines.backfill("door", "2026-01-01", "2026-01-04")
    assert (result.intervals, result.states) == (3, {"succeeded": 3})
    assert len(ws.pipelines.runs("door")) == 4
    assert len(ws.pipelines.runs("door", state="succeeded")) == 4
    assert ws.pipelines.pause("door").paused
    assert ws.pipelines.cancel(run.id).state == "succeeded"  # finished runs stay as they are
    with pytest.raises(NotFoundError, match="pipeline run 999"):
        ws.pipelines.run_info(999)
    with pytest.raises(NotFoundError, match="has no task 'nope'"):
        ws.pipelines.task_logs(run.id, "nope")
    ws.platform.pipelines.close()
