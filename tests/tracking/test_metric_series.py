"""``Tracking.metric_series``: every metric of several runs for charts, in one query."""

from __future__ import annotations

import pytest

from lakeworks.context import Context
from lakeworks.errors import NotFoundError
from lakeworks.tracking.records import Metric
from lakeworks.tracking.service import Tracking


def test_series_of_several_runs_by_step(mtracking: Tracking, mctx: Context) -> None:
    exp = mtracking.create_experiment(mctx, "series")
    a, b = (mtracking.create_run(mctx, exp.id).id for _ in range(2))
    points = [Metric("loss", 0.5, 2, 30), Metric("loss", 0.9, 0, 10), Metric("loss", 0.7, 1, 20)]
    mtracking.log_batch(mctx, a, metrics=points + [Metric("acc", 0.1, 0, 5)])
    odd = [float("nan"), float("inf"), float("-inf"), 2.0]
    mtracking.log_batch(mctx, b, metrics=[Metric("loss", v, i, 10) for i, v in enumerate(odd)])
    found = mtracking.metric_series(mctx, [a, b])
    assert found["loss"][a] == ([0, 1, 2], [0.9, 0.7, 0.5])
    assert found["loss"][b] == ([0, 1, 2, 3], [None, None, None, 2.0])
    assert found["acc"] == {a: ([0], [0.1])}
    assert mtracking.metric_series(mctx, [a])["loss"] == {a: ([0, 1, 2], [0.9, 0.7, 0.5])}


def test_series_of_a_run_of_another_workspace_is_not_found(
    mtracking: Tracking, mctx: Context
) -> None:
    run = mtracking.create_run(mctx, mtracking.create_experiment(mctx, "mine").id)
    with pytest.raises(NotFoundError):
        mtracking.metric_series(Context("elsewhere", "x"), [run.id])
    with pytest.raises(NotFoundError):
        mtracking.metric_series(mctx, ["0" * 32])
