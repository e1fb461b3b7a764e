"""The tracking service on SQLite and PostgreSQL: experiments, runs and the log_batch path."""

from __future__ import annotations

import math

import pytest

from lakeworks.context import Context
from lakeworks.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from lakeworks.tracking.records import Metric
from lakeworks.tracking.service import Tracking


def test_experiment_run_log_batch_get_run(tracking: Tracking, tctx: Context) -> None:
    exp = tracking.create_experiment(tctx, "churn", tags={"team": "risk"})
    assert exp.tags == {"team": "risk"} and exp.lifecycle_stage == "active"
    run = tracking.create_run(tctx, exp.id, name="first")
    tracking.log_batch(
        tctx,
        run.id,
        metrics=[Metric("auc", 0.5, 0, 1000), Metric("auc", 0.7, 1, 2000)],
        params={"depth": 6},
        tags={"note": "hi"},
    )
    got = tracking.get_run(tctx, run.id)
    assert got.params == {"depth": "6"}
    assert got.tags["note"] == "hi" and got.tags["mlflow.runName"] == "first"
    assert got.metrics["auc"] == Metric("auc", 0.7, 1, 2000)
    assert got.info.status == "RUNNING" and got.info.experiment_id == exp.id
    history = tracking.get_metric_history(tctx, run.id, "auc")
    assert [(m.step, m.value) for m in history] == [(0, 0.5), (1, 0.7)]


def test_nan_and_infinities_are_stored_faithfully(tracking: Tracking, tctx: Context) -> None:
    run = tracking.create_run(tctx, tracking.create_experiment(tctx, "e").id)
    values = [float("nan"), float("inf"), float("-inf"), 1.5]
    tracking.log_batch(tctx, run.id, metrics=[Metric("m", v, i, 10) for i, v in enumerate(values)])
    stored = [m.value for m in tracking.get_metric_history(tctx, run.id, "m")]
    assert math.isnan(stored[0]) and stored[1:] == [math.inf, -math.inf, 1.5]
    tracking.log_batch(tctx, run.id, metrics=[Metric("last", float("nan"), 0, 10)])
    assert math.isnan(tracking.get_run(tctx, run.id).metrics["last"].value)


def test_retried_metric_points_are_stored_once(tracking: Tracking, tctx: Context) -> None:
    run = tracking.create_run(tctx, tracking.create_experiment(tctx, "e").id)
    points = [Metric("loss", 1.0 / (i + 1), i, 100 + i) for i in range(5)]
    tracking.log_batch(tctx, run.id, metrics=points)
    tracking.log_batch(tctx, run.id, metrics=points + points)
    assert tracking.get_metric_history(tctx, run.id, "loss") == points


def test_latest_metric_is_greatest_step_then_timestamp(tracking: Tracking, tctx: Context) -> None:
    run = tracking.create_run(tctx, tracking.create_experiment(tctx, "e").id)
    tracking.log_batch(tctx, run.id, metrics=[Metric("m", 1.0, 5, 100)])
    tracking.log_batch(tctx, run.id, metrics=[Metric("m", 2.0, 3, 900)])  # older step
    assert tracking.get_run(tctx, run.id).metrics["m"].value == 1.0
    tracking.log_batch(tctx, run.id, metrics=[Metric("m", 3.0, 5, 200)])  # same step, later
    assert tracking.get_run(tctx, run.id).metrics["m"] == Metric("m", 3.0, 5, 200)


def test_param_relogged_same_value_is_fine_other_value_is_refused(
    tracking: Tracking, tctx: Context
) -> None:
    run = tracking.create_run(tctx, tracking.create_experiment(tctx, "e").id)
    tracking.log_param(tctx, run.id, "lr", 0.1)
    tracking.log_param(tctx, run.id, "lr", "0.1")
    with pytest.raises(InvalidInputError, match=r"'lr'.*'0.1'.*'0.2'") as info:
        tracking.log_batch(tctx, run.id, params={"lr": 0.2}, metrics=[Metric("kept", 1.0)])
    assert info.value.fields["expected"] == "0.1" and info.value.fields["found"] == "0.2"
    run_after = tracking.get_run(tctx, run.id)
    assert run_after.params == {"lr": "0.1"} and "kept" not in run_after.metrics  # nothing written
    with pytest.raises(InvalidInputError, match="'b'"):  # differing values in one batch
        tracking.log_batch(tctx, run.id, params=[("b", 1), ("b", 2)])


@pytest.mark.parametrize("key", ["bad|key", "", "../up", "/abs", "a/../b", "x" * 251, "tab\tkey"])
def test_forbidden_keys_are_refused_naming_the_key(
    tracking: Tracking, tctx: Context, key: str
) -> None:
    run = tracking.create_run(tctx, tracking.create_experiment(tctx, "e").id)
    for kind, batch in [
        ("metric", {"metrics": [Metric(key, 1.0)]}),
        ("param", {"params": {key: 1}}),
        ("tag", {"tags": {key: 1}}),
    ]:
        with pytest.raises(InvalidInputError, match=f"invalid {kind} key|{kind} key") as info:
            tracking.log_batch(tctx, run.id, **batch)
        assert info.value.fields["key"] == key
    assert tracking.get_run(tctx, run.id).params == {}


def test_allowed_keys(tracking: Tracking, tctx: Context) -> None:
    run = tracking.create_run(tctx, tracking.create_experiment(tctx, "e").id)
    keys = ["a", "train/loss", "val-acc.top 1", "x:y", "ünïcode_ok"]
    tracking.log_batch(tctx, run.id, metrics=[Metric(k, 1.0) for k in keys])
    assert set(tracking.get_run(tctx, run.id).metrics) == set(keys)


def test_non_number_metric_is_refused(tracking: Tracking, tctx: Context) -> None:
    run = tracking.create_run(tctx, tracking.create_experiment(tctx, "e").id)
    with pytest.raises(InvalidInputError, match="metric 'm' must be a number"):
        tracking.log_metric(tctx, run.id, "m", "high")  # type: ignore[arg-type]


def test_experiment_names_and_lifecycle(tracking: Tracking, tctx: Context) -> None:
    exp = tracking.create_experiment(tctx, "a")
    with pytest.raises(AlreadyExistsError, match="'a' already exists"):
        tracking.create_experiment(tctx, "a")
    with pytest.raises(InvalidInputError, match="experiment name"):
        tracking.create_experiment(tctx, "  ")
    run = tracking.create_run(tctx, exp.id)
    tracking.delete_experiment(tctx, exp.id)
    assert tracking.list_experiments(tctx) == []
    assert tracking.get_run(tctx, run.id).info.lifecycle_stage == "deleted"
    with pytest.raises(InvalidInputError, match="deleted"):
        tracking.create_run(tctx, exp.id)
    with pytest.raises(AlreadyExistsError, match="restore it"):
        tracking.create_experiment(tctx, "a")
    tracking.restore_experiment(tctx, exp.id)
    tracking.rename_experiment(tctx, exp.id, "b")
    assert tracking.get_experiment_by_name(tctx, "b").id == exp.id
    assert tracking.get_run(tctx, run.id).info.lifecycle_stage == "active"
    with pytest.raises(NotFoundError, match="experiment 'a' does not exist"):
        tracking.get_experiment_by_name(tctx, "a")


def test_runs_are_private_to_their_workspace(tracking: Tracking, tctx: Context, tplatform) -> None:  # noqa: ANN001
    tplatform.catalog.create_workspace("other", "tester")
    run = tracking.create_run(tctx, tracking.create_experiment(tctx, "e").id)
    other = Context(workspace="other", user="tester")
    with pytest.raises(NotFoundError, match="does not exist in workspace 'other'"):
        tracking.get_run(other, run.id)
    with pytest.raises(NotFoundError):
        tracking.log_metric(other, run.id, "m", 1.0)


def test_update_delete_restore_run(tracking: Tracking, tctx: Context) -> None:
    exp = tracking.create_experiment(tctx, "e")
    run = tracking.create_run(tctx, exp.id)
    done = tracking.update_run(tctx, run.id, status="FINISHED")
    assert done.info.status == "FINISHED" and done.info.end_time is not None
    with pytest.raises(InvalidInputError, match="invalid run status 'DONE'"):
        tracking.update_run(tctx, run.id, status="DONE")
    tracking.delete_run(tctx, run.id)
    with pytest.raises(InvalidInputError, match="deleted"):
        tracking.log_metric(tctx, run.id, "m", 1.0)
    assert tracking.search_runs(tctx, [exp.id])[0] == []
    assert [r.id for r in tracking.search_runs(tctx, [exp.id], run_view="deleted")[0]] == [run.id]
    tracking.restore_run(tctx, run.id)
    assert [r.id for r in tracking.search_runs(tctx, [exp.id])[0]] == [run.id]


def test_nested_run_and_note(tracking: Tracking, tctx: Context) -> None:
    exp = tracking.create_experiment(tctx, "e")
    parent = tracking.create_run(tctx, exp.id)
    child = tracking.create_run(tctx, exp.id, parent_run_id=parent.id)
    assert child.info.parent_run_id == parent.id
    assert child.tags["mlflow.parentRunId"] == parent.id
    tracking.set_note(tctx, child.id, "tried a smaller lr")
    assert tracking.get_run(tctx, child.id).tags["mlflow.note.content"] == "tried a smaller lr"
    with pytest.raises(NotFoundError):
        tracking.create_run(tctx, exp.id, parent_run_id="0" * 32)


def test_search_pages_newest_first(tracking: Tracking, tctx: Context) -> None:
    exp = tracking.create_experiment(tctx, "e")
    ids = [tracking.create_run(tctx, exp.id, start_time=1000 + i).id for i in range(5)]
    page, token = tracking.search_runs(tctx, [exp.id], max_results=2)
    assert [r.id for r in page] == ids[::-1][:2] and token
    page2, token2 = tracking.search_runs(tctx, [exp.id], max_results=2, page_token=token)
    page3, token3 = tracking.search_runs(tctx, [exp.id], max_results=2, page_token=token2)
    assert [r.id for r in page2 + page3] == ids[::-1][2:] and token3 is None
    by_start = tracking.search_runs(tctx, [exp.id], order_by=["attributes.start_time ASC"])[0]
    assert [r.id for r in by_start] == ids
    with pytest.raises(InvalidInputError, match="invalid page token"):
        tracking.search_runs(tctx, [exp.id], page_token="garbage")
    with pytest.raises(InvalidInputError, match="max_results"):
        tracking.search_runs(tctx, [exp.id], max_results=0)
