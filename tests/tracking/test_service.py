"""The tracking service on SQLite and PostgreSQL: experiments, runs and the log_batch path."""

from __future__ import annotations

import math

import pytest

from lakeworks.context import Context
from lakeworks.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from lakeworks.tracking.records import Metric
from lakeworks.tracking.service import Tracking


def test_experiment_run_log_batch_get_run(mtracking: Tracking, mctx: Context) -> None:
    exp = mtracking.create_experiment(mctx, "churn", tags={"team": "risk"})
    assert exp.tags == {"team": "risk"} and exp.lifecycle_stage == "active"
    run = mtracking.create_run(mctx, exp.id, name="first")
    mtracking.log_batch(
        mctx,
        run.id,
        metrics=[Metric("auc", 0.5, 0, 1000), Metric("auc", 0.7, 1, 2000)],
        params={"depth": 6},
        tags={"note": "hi"},
    )
    got = mtracking.get_run(mctx, run.id)
    assert got.params == {"depth": "6"}
    assert got.tags["note"] == "hi" and got.tags["mlflow.runName"] == "first"
    assert got.metrics["auc"] == Metric("auc", 0.7, 1, 2000)
    assert got.info.status == "RUNNING" and got.info.experiment_id == exp.id
    history = mtracking.get_metric_history(mctx, run.id, "auc")
    assert [(m.step, m.value) for m in history] == [(0, 0.5), (1, 0.7)]


def test_nan_and_infinities_are_stored_faithfully(mtracking: Tracking, mctx: Context) -> None:
    run = mtracking.create_run(mctx, mtracking.create_experiment(mctx, "e").id)
    values = [float("nan"), float("inf"), float("-inf"), 1.5]
    mtracking.log_batch(mctx, run.id, metrics=[Metric("m", v, i, 10) for i, v in enumerate(values)])
    stored = [m.value for m in mtracking.get_metric_history(mctx, run.id, "m")]
    assert math.isnan(stored[0]) and stored[1:] == [math.inf, -math.inf, 1.5]
    mtracking.log_batch(mctx, run.id, metrics=[Metric("last", float("nan"), 0, 10)])
    assert math.isnan(mtracking.get_run(mctx, run.id).metrics["last"].value)


def test_retried_metric_points_are_stored_once(mtracking: Tracking, mctx: Context) -> None:
    run = mtracking.create_run(mctx, mtracking.create_experiment(mctx, "e").id)
    points = [Metric("loss", 1.0 / (i + 1), i, 100 + i) for i in range(5)]
    mtracking.log_batch(mctx, run.id, metrics=points)
    mtracking.log_batch(mctx, run.id, metrics=points + points)
    assert mtracking.get_metric_history(mctx, run.id, "loss") == points


def test_latest_metric_is_greatest_step_then_timestamp(mtracking: Tracking, mctx: Context) -> None:
    run = mtracking.create_run(mctx, mtracking.create_experiment(mctx, "e").id)
    mtracking.log_batch(mctx, run.id, metrics=[Metric("m", 1.0, 5, 100)])
    mtracking.log_batch(mctx, run.id, metrics=[Metric("m", 2.0, 3, 900)])  # older step
    assert mtracking.get_run(mctx, run.id).metrics["m"].value == 1.0
    mtracking.log_batch(mctx, run.id, metrics=[Metric("m", 3.0, 5, 200)])  # same step, later
    assert mtracking.get_run(mctx, run.id).metrics["m"] == Metric("m", 3.0, 5, 200)


def test_param_relogged_same_value_is_fine_other_value_is_refused(
    mtracking: Tracking, mctx: Context
) -> None:
    run = mtracking.create_run(mctx, mtracking.create_experiment(mctx, "e").id)
    mtracking.log_param(mctx, run.id, "lr", 0.1)
    mtracking.log_param(mctx, run.id, "lr", "0.1")
    with pytest.raises(InvalidInputError, match=r"'lr'.*'0.1'.*'0.2'") as info:
        mtracking.log_batch(mctx, run.id, params={"lr": 0.2}, metrics=[Metric("kept", 1.0)])
    assert info.value.fields["expected"] == "0.1" and info.value.fields["found"] == "0.2"
    run_after = mtracking.get_run(mctx, run.id)
    assert run_after.params == {"lr": "0.1"} and "kept" not in run_after.metrics  # nothing written
    with pytest.raises(InvalidInputError, match="'b'"):  # differing values in one batch
        mtracking.log_batch(mctx, run.id, params=[("b", 1), ("b", 2)])


@pytest.mark.parametrize("key", ["bad|key", "", "../up", "/abs", "a/../b", "x" * 251, "tab\tkey"])
def test_forbidden_keys_are_refused_naming_the_key(
    mtracking: Tracking, mctx: Context, key: str
) -> None:
    run = mtracking.create_run(mctx, mtracking.create_experiment(mctx, "e").id)
    for kind, batch in [
        ("metric", {"metrics": [Metric(key, 1.0)]}),
        ("param", {"params": {key: 1}}),
        ("tag", {"tags": {key: 1}}),
    ]:
        with pytest.raises(InvalidInputError, match=f"invalid {kind} key|{kind} key") as info:
            mtracking.log_batch(mctx, run.id, **batch)
        assert info.value.fields["key"] == key
    assert mtracking.get_run(mctx, run.id).params == {}


def test_allowed_keys(mtracking: Tracking, mctx: Context) -> None:
    run = mtracking.create_run(mctx, mtracking.create_experiment(mctx, "e").id)
    keys = ["a", "train/loss", "val-acc.top 1", "x:y", "ünïcode_ok"]
    mtracking.log_batch(mctx, run.id, metrics=[Metric(k, 1.0) for k in keys])
    assert set(mtracking.get_run(mctx, run.id).metrics) == set(keys)


def test_non_number_metric_is_refused(mtracking: Tracking, mctx: Context) -> None:
    run = mtracking.create_run(mctx, mtracking.create_experiment(mctx, "e").id)
    with pytest.raises(InvalidInputError, match="metric 'm' must be a number"):
        mtracking.log_metric(mctx, run.id, "m", "high")  # type: ignore[arg-type]


def test_experiment_names_and_lifecycle(mtracking: Tracking, mctx: Context) -> None:
    exp = mtracking.create_experiment(mctx, "a")
    with pytest.raises(AlreadyExistsError, match="'a' already exists"):
        mtracking.create_experiment(mctx, "a")
    with pytest.raises(InvalidInputError, match="experiment name"):
        mtracking.create_experiment(mctx, "  ")
    run = mtracking.create_run(mctx, exp.id)
    mtracking.delete_experiment(mctx, exp.id)
    assert mtracking.list_experiments(mctx) == []
    assert mtracking.get_run(mctx, run.id).info.lifecycle_stage == "deleted"
    with pytest.raises(InvalidInputError, match="deleted"):
        mtracking.create_run(mctx, exp.id)
    with pytest.raises(AlreadyExistsError, match="restore it"):
        mtracking.create_experiment(mctx, "a")
    mtracking.restore_experiment(mctx, exp.id)
    mtracking.rename_experiment(mctx, exp.id, "b")
    assert mtracking.get_experiment_by_name(mctx, "b").id == exp.id
    assert mtracking.get_run(mctx, run.id).info.lifecycle_stage == "active"
    with pytest.raises(NotFoundError, match="experiment 'a' does not exist"):
        mtracking.get_experiment_by_name(mctx, "a")


def test_runs_are_private_to_their_workspace(
    mtracking: Tracking, mctx: Context, module_platform
) -> None:  # noqa: ANN001
    other_name = f"{mctx.workspace}_other"
    module_platform.catalog.create_workspace(other_name, "tester")
    run = mtracking.create_run(mctx, mtracking.create_experiment(mctx, "e").id)
    other = Context(workspace=other_name, user="tester")
    with pytest.raises(NotFoundError, match=f"does not exist in workspace '{other_name}'"):
        mtracking.get_run(other, run.id)
    with pytest.raises(NotFoundError):
        mtracking.log_metric(other, run.id, "m", 1.0)


def test_update_delete_restore_run(mtracking: Tracking, mctx: Context) -> None:
    exp = mtracking.create_experiment(mctx, "e")
    run = mtracking.create_run(mctx, exp.id)
    done = mtracking.update_run(mctx, run.id, status="FINISHED")
    assert done.info.status == "FINISHED" and done.info.end_time is not None
    with pytest.raises(InvalidInputError, match="invalid run status 'DONE'"):
        mtracking.update_run(mctx, run.id, status="DONE")
    mtracking.delete_run(mctx, run.id)
    with pytest.raises(InvalidInputError, match="deleted"):
        mtracking.log_metric(mctx, run.id, "m", 1.0)
    assert mtracking.search_runs(mctx, [exp.id])[0] == []
    assert [r.id for r in mtracking.search_runs(mctx, [exp.id], run_view="deleted")[0]] == [run.id]
    mtracking.restore_run(mctx, run.id)
    assert [r.id for r in mtracking.search_runs(mctx, [exp.id])[0]] == [run.id]


def test_nested_run_and_note(mtracking: Tracking, mctx: Context) -> None:
    exp = mtracking.create_experiment(mctx, "e")
    parent = mtracking.create_run(mctx, exp.id)
    child = mtracking.create_run(mctx, exp.id, parent_run_id=parent.id)
    assert child.info.parent_run_id == parent.id
    assert child.tags["mlflow.parentRunId"] == parent.id
    mtracking.set_note(mctx, child.id, "tried a smaller lr")
    assert mtracking.get_run(mctx, child.id).tags["mlflow.note.content"] == "tried a smaller lr"
    with pytest.raises(NotFoundError):
        mtracking.create_run(mctx, exp.id, parent_run_id="0" * 32)


def test_search_pages_newest_first(mtracking: Tracking, mctx: Context) -> None:
    exp = mtracking.create_experiment(mctx, "e")
    ids = [mtracking.create_run(mctx, exp.id, start_time=1000 + i).id for i in range(5)]
    page, token = mtracking.search_runs(mctx, [exp.id], max_results=2)
    assert [r.id for r in page] == ids[::-1][:2] and token
    page2, token2 = mtracking.search_runs(mctx, [exp.id], max_results=2, page_token=token)
    page3, token3 = mtracking.search_runs(mctx, [exp.id], max_results=2, page_token=token2)
    assert [r.id for r in page2 + page3] == ids[::-1][2:] and token3 is None
    by_start = mtracking.search_runs(mctx, [exp.id], order_by=["attributes.start_time ASC"])[0]
    assert [r.id for r in by_start] == ids
    with pytest.raises(InvalidInputError, match="invalid page token"):
        mtracking.search_runs(mctx, [exp.id], page_token="garbage")
    with pytest.raises(InvalidInputError, match="max_results"):
        mtracking.search_runs(mctx, [exp.id], max_results=0)


def test_too_long_param_value_is_refused(mtracking: Tracking, mctx: Context) -> None:
    run = mtracking.create_run(mctx, mtracking.create_experiment(mctx, "e").id)
    with pytest.raises(InvalidInputError, match="param 'notes' is 6001 characters long") as info:
        mtracking.log_param(mctx, run.id, "notes", "x" * 6001)
    assert "artifact" in str(info.value.hint)
    mtracking.log_param(mctx, run.id, "notes", "x" * 6000)
    assert len(mtracking.get_run(mctx, run.id).params["notes"]) == 6000


def test_delete_tag(mtracking: Tracking, mctx: Context) -> None:
    run = mtracking.create_run(mctx, mtracking.create_experiment(mctx, "e").id)
    mtracking.set_tag(mctx, run.id, "stage", "dev")
    mtracking.delete_tag(mctx, run.id, "stage")
    assert "stage" not in mtracking.get_run(mctx, run.id).tags
    with pytest.raises(NotFoundError, match="has no tag 'stage'"):
        mtracking.delete_tag(mctx, run.id, "stage")


def test_two_threads_log_overlapping_batches_to_one_run(mtracking: Tracking, mctx: Context) -> None:
    """Both write the same params and some of the same points (retries): no error, no
    point lost or doubled, on both catalogs."""
    import threading

    run = mtracking.create_run(mctx, mtracking.create_experiment(mctx, "e").id)
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for start in range(offset, offset + 300, 50):
                points = [Metric("m", float(i), i, 7) for i in range(start, start + 50)]
                mtracking.log_batch(mctx, run.id, metrics=points, params={"p": "same"})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(o,)) for o in (0, 150)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    history = mtracking.get_metric_history(mctx, run.id, "m")
    assert [m.step for m in history] == list(range(450))
    latest = mtracking.get_run(mctx, run.id)
    assert latest.metrics["m"].step == 449 and latest.params == {"p": "same"}
