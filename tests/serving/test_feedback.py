"""Feedback by request id and by key, live metrics per slot, and the A/B read-out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.serving import readout
from lakeworks.serving.records import FEEDBACK
from tests.serving.conftest import _fit

ROW = {"age": 40, "income": 70.0}


def test_feedback_by_request_id_and_by_key_lands_in_the_feedback_table(served) -> None:
    platform, ctx = served
    serving = platform.serving
    serving.deploy(ctx, "churn", "churn/1")
    one = serving.predict(ctx, "churn", [ROW], key="c1")
    two = serving.predict(ctx, "churn", [ROW, ROW], key="c2")
    later = serving.predict(ctx, "churn", [ROW], key="c1")
    # found before the log wrote it (still buffered) and after
    assert serving.feedback(ctx, "churn", request_id=one.request_id, label=1).rows == [0]
    assert serving.predictions.flush()
    assert serving.feedback(ctx, "churn", request_id=two.request_id, label=[0, 1]).rows == [0, 1]
    by_key = serving.feedback(ctx, "churn", key="c1", label=0)
    assert by_key.request_id == later.request_id  # the latest request with that key
    labels = platform.tables.read(ctx, FEEDBACK).sort_by("time").to_pylist()
    assert [(r["request_id"], r["row"], r["label"], r["user"]) for r in labels] == [
        (one.request_id, 0, "1", "tester"),
        (two.request_id, 0, "0", "tester"),
        (two.request_id, 1, "1", "tester"),
        (later.request_id, 0, "0", "tester"),
    ]


def test_feedback_for_an_unknown_request_is_not_found_and_writes_nothing(served) -> None:
    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    platform.serving.predict(ctx, "churn", [ROW])
    with pytest.raises(NotFoundError, match="request id 'nope'") as found:
        platform.serving.feedback(ctx, "churn", request_id="nope", label=1)
    assert found.value.fields["request_id"] == "nope"
    with pytest.raises(NotFoundError, match="key 'c9'"):
        platform.serving.feedback(ctx, "churn", key="c9", label=1)
    with pytest.raises(NotFoundError, match="endpoint 'other'"):
        platform.serving.feedback(ctx, "other", request_id="nope", label=1)
    assert not platform.tables.exists(ctx, FEEDBACK)


def test_feedback_refuses_labels_that_do_not_fit_the_request(served) -> None:
    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    two = platform.serving.predict(ctx, "churn", [ROW, ROW]).request_id
    cases = [
        (dict(request_id=two, label=1), "say which with row="),
        (dict(request_id=two, label=[1]), "one per row"),
        (dict(request_id=two, label=1, row=2), "row 2 is out of range"),
        (dict(request_id=two, label={"a": 1}, row=0), "string, number or boolean"),
        (dict(request_id=two, key="k", label=1), "exactly one of request_id= and key="),
    ]
    for arguments, message in cases:
        with pytest.raises(InvalidInputError, match=message):
            platform.serving.feedback(ctx, "churn", **arguments)
    assert not platform.tables.exists(ctx, FEEDBACK)


def _ab_traffic(platform, ctx, rows: int = 120) -> dict[str, list]:  # noqa: ANN001
    """A/B traffic labeled with the truth the live model (churn/1) was fit on."""
    platform.serving.deploy(ctx, "churn", "churn/1")
    platform.serving.deploy(ctx, "churn", "churn/2", "ab", share=50)
    rng = np.random.default_rng(3)
    answered: dict[str, list] = {"churn/1": [], "churn/2": []}
    for i in range(rows):
        row = {"age": int(rng.integers(18, 80)), "income": float(rng.normal(50, 15))}
        answer = platform.serving.predict(ctx, "churn", [row], key=f"customer-{i}")
        truth = int(row["income"] > 50)
        platform.serving.feedback(ctx, "churn", request_id=answer.request_id, label=truth)
        answered[answer.model].append(answer.outputs[0]["prediction"] == truth)
    return answered


def test_live_metrics_and_the_ab_readout_once_labels_arrive(served) -> None:
    platform, ctx = served
    answered = _ab_traffic(platform, ctx)
    metrics = platform.serving.live_metrics(ctx, "churn", "1h")
    assert set(metrics) == {"live", "candidate"}
    for slot, model in (("live", "churn/1"), ("candidate", "churn/2")):
        found = metrics[slot]
        assert (found.model, found.predictions, found.labeled) == (
            model,
            len(answered[model]),
            len(answered[model]),
        )
        assert found.metrics["accuracy"] == pytest.approx(np.mean(answered[model]))
    assert (
        metrics["live"].metrics["accuracy"] > 0.8 > 0.2 > metrics["candidate"].metrics["accuracy"]
    )
    ab = platform.serving.ab_readout(ctx, "churn", "1h")
    live, candidate = np.mean(answered["churn/1"]), np.mean(answered["churn/2"])
    assert ab.difference == pytest.approx(candidate - live)
    assert ab.low < ab.difference < ab.high < 0 and ab.significant and ab.p_value < 1e-6
    assert (ab.metric, ab.test) == ("accuracy", "two-proportion z-test")


def test_the_readout_waits_for_labels_on_both_variants(served) -> None:
    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    platform.serving.deploy(ctx, "churn", "churn/2", "ab")
    platform.serving.predict(ctx, "churn", [ROW])
    ab = platform.serving.ab_readout(ctx, "churn", "1h")
    assert ab.difference is None and "needs at least 2 labeled rows" in ab.note
    assert not ab.significant
    platform.serving.deploy(ctx, "churn", "churn/1")
    with pytest.raises(InvalidInputError, match="needs a candidate"):
        platform.serving.ab_readout(ctx, "churn", "1h")
    with pytest.raises(InvalidInputError, match="positive duration"):
        platform.serving.live_metrics(ctx, "churn", "yesterday")


def test_regression_metrics_and_welch_readout_match_scipy() -> None:
    rng = np.random.default_rng(5)
    labels = rng.normal(0, 1, 200).tolist()
    live = readout.Labeled([y + rng.normal(0, 0.5) for y in labels[:100]], labels[:100])
    cand = readout.Labeled([y + rng.normal(0, 1.0) for y in labels[100:]], labels[100:])
    found = readout.metrics_of(live.predictions, live.labels, classifier=False)
    errors = np.array(live.predictions) - np.array(live.labels)
    assert found["rmse"] == pytest.approx(np.sqrt(np.mean(errors**2)))
    assert found["mae"] == pytest.approx(np.mean(np.abs(errors)))
    metric, test, difference, low, high, p, _ = readout.compare(
        live, cand, classifier=False, confidence=0.9
    )
    a = np.abs(np.array(live.predictions) - np.array(live.labels))
    b = np.abs(np.array(cand.predictions) - np.array(cand.labels))
    expected = stats.ttest_ind(b, a, equal_var=False)
    assert (metric, test) == ("mae", "Welch t-test")
    assert difference == pytest.approx(b.mean() - a.mean())
    assert p == pytest.approx(expected.pvalue)
    assert (low, high) == pytest.approx(tuple(expected.confidence_interval(0.9)))


def test_auc_when_outputs_carry_a_score() -> None:
    labels = [0, 0, 1, 1]
    found = readout.metrics_of([0, 1, 1, 1], labels, classifier=True, scores=[0.1, 0.6, 0.4, 0.9])
    assert found == {"accuracy": 0.75, "auc": 0.75}


def test_each_label_hands_its_outcome_to_the_health_hook(served) -> None:
    platform, ctx = served
    serving = platform.serving
    seen = []
    serving.labelled = lambda workspace, endpoint, outcome: seen.append((endpoint, outcome))
    serving.deploy(ctx, "churn", "churn/1")
    answer = serving.predict(ctx, "churn", [ROW, ROW])
    given = answer.outputs[0]["prediction"]
    serving.feedback(ctx, "churn", request_id=answer.request_id, label=[given, 1 - given])
    assert [(e, o.slot, o.model, o.value) for e, o in seen] == [
        ("churn", "live", "churn/1", 1.0),
        ("churn", "live", "churn/1", 0.0),
    ]


def test_outcomes_of_numbers_are_minus_the_absolute_error() -> None:
    from lakeworks.serving.feedback import outcome

    row = {"model": "price", "model_version": 2, "slot": "candidate", "output": '{"y":2.5}'}
    assert outcome(row, 4.0).value == -1.5
    assert outcome({**row, "output": '{"y":"yes"}'}, "yes").value == 1.0
    assert outcome({**row, "output": None}, 1).value == 0.0


def test_live_auc_per_slot_from_the_logged_positive_class_scores(served, frame) -> None:  # noqa: ANN001
    from sklearn.metrics import roc_auc_score

    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    platform.serving.deploy(ctx, "churn", "churn/2", "ab", share=50)
    rng = np.random.default_rng(13)
    sent: dict[str, list[tuple[dict, int]]] = {"churn/1": [], "churn/2": []}
    for i in range(60):
        row = {"age": int(rng.integers(18, 80)), "income": float(rng.normal(50, 15))}
        label = int(row["income"] + rng.normal(0, 10) > 50)  # noisy truth: AUC below 1
        answer = platform.serving.predict(ctx, "churn", [row], key=f"c{i}")
        assert set(answer.outputs[0]) == {"prediction"}  # the answer's shape is unchanged
        platform.serving.feedback(ctx, "churn", request_id=answer.request_id, label=label)
        sent[answer.model].append((row, label))
    metrics = platform.serving.live_metrics(ctx, "churn", "1h")
    for slot, model, flip in (("live", "churn/1", False), ("candidate", "churn/2", True)):
        rows, labels = [r for r, _ in sent[model]], [y for _, y in sent[model]]
        scores = _fit(frame, flip).predict_proba(pd.DataFrame(rows))[:, 1]
        assert metrics[slot].metrics["auc"] == pytest.approx(roc_auc_score(labels, scores))
    assert metrics["live"].metrics["auc"] > 0.7 > 0.3 > metrics["candidate"].metrics["auc"]
    assert platform.serving.predictions.flush()
    logged = platform.tables.read(ctx, "_predictions")
    assert logged.column("score").null_count == 0  # every answered row of a binary model


def test_the_log_scores_a_binary_classifier_off_the_request_path(served, frame) -> None:  # noqa: ANN001
    import pyarrow as pa

    from lakeworks.serving.prediction import Prediction
    from lakeworks.serving.records import LogEntry, table_of_entries

    platform, ctx = served
    predictor = platform.registry.load(ctx, ("churn", 1))

    def entry(rows: list[dict], outputs: list, errors: list, **extra: object) -> LogEntry:
        answer = Prediction("r", "churn", 1, "live", "churn/1", outputs, errors)
        return LogEntry("default", answer, pa.Table.from_pylist(rows), None, 1.0, 0, **extra)

    two = [ROW, {"age": 30, "income": 20.0}]
    good = entry(two, [{"prediction": 1}, None], [None, "E"], predictor=predictor)
    bad = entry([{"age": "old", "income": 1.0}], [{"prediction": 0}], [None], predictor=predictor)
    unscored = entry([ROW], [{"prediction": 1}], [None])  # no predictor handed over
    scores = table_of_entries([good, bad, unscored]).column("score").to_pylist()
    expected = _fit(frame, False).predict_proba(pd.DataFrame([ROW]))[0, 1]
    assert scores[0] == pytest.approx(expected)
    assert scores[1:] == [None, None, None]  # a failed row, an unscorable entry, no model
    assert predictor.binary and predictor.scores(pa.Table.from_pylist([ROW])) is not None


def test_a_prediction_log_written_before_the_score_column_reads_as_null(served) -> None:
    import pyarrow as pa

    from lakeworks.serving.records import PREDICTIONS, PREDICTIONS_SCHEMA

    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    old = pa.schema([f for f in PREDICTIONS_SCHEMA if f.name != "score"])
    row = {
        "request_id": "old-1", "row": 0, "endpoint": "churn", "config_version": 1,
        "slot": "live", "model": "churn", "model_version": 1, "returned": True,
        "key": None, "inputs": '{"age":40,"income":70.0}', "features": None,
        "feature_views": None, "output": '{"prediction":1}', "error": None,
        "latency_ms": 1.0, "time": 1_700_000_000_000_000,
    }  # fmt: skip
    platform.tables.write(ctx, PREDICTIONS, pa.Table.from_pylist([row], schema=old), system=True)
    traced = platform.serving.trace(ctx, "old-1")
    assert traced.request_id == "old-1"
    new = platform.serving.predict(ctx, "churn", [ROW])
    assert platform.serving.predictions.flush()  # writing adds the column to the table
    platform.serving.feedback(ctx, "churn", request_id="old-1", label=1)
    platform.serving.feedback(ctx, "churn", request_id=new.request_id, label=1)
    found = platform.tables.read(ctx, PREDICTIONS).sort_by("time").to_pylist()
    assert [(r["request_id"], r["score"] is None) for r in found] == [
        ("old-1", True),
        (new.request_id, False),
    ]
