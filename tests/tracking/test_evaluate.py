"""evaluate(): each metric against a small example counted by hand, multiclass, regression,
curves as data, the three input formats, and the bad inputs."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from lakeworks.errors import InvalidInputError, UserCodeError
from lakeworks.tracking.evaluate import CURVE_POINTS, evaluate, infer_kind

# 8 rows; the predictor says 1 when x >= 3.  truth: 0 0 0 1 | 0 1 1 1 ; pred: 0 0 0 0 | 1 1 1 1
# TP = 3 (rows 5,6,7), FP = 1 (row 4), FN = 1 (row 3), TN = 3 (rows 0,1,2)
BINARY = pd.DataFrame({"x": [0, 1, 2, 2.5, 3, 4, 5, 6], "y": [0, 0, 0, 1, 0, 1, 1, 1]})


def threshold_at_3(frame: pd.DataFrame) -> np.ndarray:
    return (frame["x"] >= 3).astype(int).to_numpy()


class Scores:
    """A 'model' with fixed probabilities, to check AUC and log loss by hand."""

    classes_ = np.array([0, 1])

    def __init__(self, positive: list[float]) -> None:
        self.positive = np.array(positive)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return (self.positive >= 0.5).astype(int)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return np.column_stack([1 - self.positive, self.positive])


def test_binary_metrics_match_the_counts() -> None:
    ev = evaluate(threshold_at_3, BINARY, target="y")
    tp, fp, fn, tn = 3, 1, 1, 3
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert ev.kind == "classification"
    assert ev.rows == 8
    assert ev.metrics == pytest.approx(
        {
            "accuracy": (tp + tn) / 8,
            "precision": precision,
            "recall": recall,
            "f1": 2 * precision * recall / (precision + recall),
        }
    )
    assert ev.confusion_matrix == {"labels": [0, 1], "matrix": [[tn, fp], [fn, tp]]}
    assert ev.positive_label == 1


def test_probabilities_missing_leaves_auc_and_log_loss_out_with_a_note() -> None:
    ev = evaluate(threshold_at_3, BINARY, target="y")
    assert "roc_auc" not in ev.metrics and "log_loss" not in ev.metrics
    assert ev.curves == {}
    assert any("no predict_proba" in note for note in ev.notes)


def test_auc_and_log_loss_by_hand() -> None:
    # positives score 0.9, 0.8, 0.4; negatives 0.7, 0.2: pairs ranked right 5 of 6
    data = pd.DataFrame({"x": range(5), "y": [1, 1, 1, 0, 0]})
    scores = [0.9, 0.8, 0.4, 0.7, 0.2]
    ev = evaluate(Scores(scores), data, target="y")
    assert ev.metrics["roc_auc"] == pytest.approx(5 / 6)
    expected_log_loss = -np.mean(np.log([0.9, 0.8, 0.4, 0.3, 0.8]))
    assert ev.metrics["log_loss"] == pytest.approx(expected_log_loss)
    roc = ev.curves["roc"]
    assert len(roc["fpr"]) == len(roc["tpr"]) == len(roc["thresholds"])
    assert (roc["fpr"][0], roc["tpr"][0]) == (0.0, 0.0) and (roc["fpr"][-1], roc["tpr"][-1]) == (
        1.0,
        1.0,
    )
    pr = ev.curves["precision_recall"]
    assert len(pr["precision"]) == len(pr["recall"]) == len(pr["thresholds"])
    # at threshold 0.8 two of three positives are found, both predictions right
    at = pr["thresholds"].index(0.8)
    assert (pr["precision"][at], pr["recall"][at]) == (1.0, pytest.approx(2 / 3))


def test_to_dict_is_json_and_the_infinite_roc_threshold_is_null() -> None:
    data = pd.DataFrame({"x": range(5), "y": [1, 1, 1, 0, 0]})
    ev = evaluate(Scores([0.9, 0.8, 0.4, 0.7, 0.2]), data, target="y")
    assert math.isinf(ev.curves["roc"]["thresholds"][0])
    text = json.dumps(ev.to_dict(), allow_nan=False)
    back = json.loads(text)
    assert back["curves"]["roc"]["thresholds"][0] is None
    assert back["metrics"]["roc_auc"] == pytest.approx(5 / 6)
    assert ev.logged_metrics()["eval_roc_auc"] == pytest.approx(5 / 6)


def test_curves_are_downsampled_keeping_both_ends() -> None:
    rng = np.random.default_rng(1)
    n = 5000
    y = rng.integers(0, 2, n)
    scores = np.clip(y * 0.3 + rng.random(n) * 0.7, 0, 1)
    ev = evaluate(Scores(list(scores)), pd.DataFrame({"x": range(n), "y": y}), target="y")
    for curve in ("roc", "precision_recall"):
        lengths = {len(values) for values in ev.curves[curve].values()}
        assert len(lengths) == 1 and lengths.pop() <= CURVE_POINTS
    assert ev.curves["roc"]["fpr"][-1] == 1.0 and ev.curves["roc"]["tpr"][-1] == 1.0


def test_string_labels_and_a_chosen_positive_label() -> None:
    data = pd.DataFrame({"x": [0, 1, 2, 3], "y": ["no", "yes", "yes", "yes"]})
    ev = evaluate(lambda f: np.array(["no", "no", "yes", "yes"]), data, target="y")
    assert ev.positive_label == "yes"
    assert any("defaulted to 'yes'" in note for note in ev.notes)
    assert ev.metrics["recall"] == pytest.approx(2 / 3)
    ev = evaluate(
        lambda f: np.array(["no", "no", "yes", "yes"]), data, target="y", positive_label="no"
    )
    # 'no' predicted twice, right once; the one true 'no' is found
    assert ev.metrics["precision"] == pytest.approx(1 / 2)
    assert ev.metrics["recall"] == 1.0


def test_multiclass_macro_and_weighted() -> None:
    # classes a (3 rows), b (2), c (1); predictions: a a b | b b | a
    data = pd.DataFrame({"x": range(6), "y": ["a", "a", "a", "b", "b", "c"]})
    ev = evaluate(lambda f: np.array(["a", "a", "b", "b", "b", "a"]), data, target="y")
    # per class precision a: 2/3, b: 2/3, c: 0; recall a: 2/3, b: 1, c: 0
    assert ev.metrics["accuracy"] == pytest.approx(4 / 6)
    assert ev.metrics["precision_macro"] == pytest.approx((2 / 3 + 2 / 3 + 0) / 3)
    assert ev.metrics["recall_macro"] == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert ev.metrics["recall_weighted"] == pytest.approx((3 * 2 / 3 + 2 * 1) / 6)
    f1 = {"a": 2 / 3, "b": 0.8, "c": 0.0}
    assert ev.metrics["f1_weighted"] == pytest.approx((3 * f1["a"] + 2 * f1["b"]) / 6)
    assert ev.confusion_matrix == {
        "labels": ["a", "b", "c"],
        "matrix": [[2, 1, 0], [0, 2, 0], [1, 0, 0]],
    }
    assert ev.positive_label is None


def test_multiclass_with_probabilities_has_ovr_auc_and_a_curve_per_class() -> None:
    from sklearn.datasets import load_iris

    x, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=500).fit(x, y)
    ev = evaluate(model, x.assign(species=y), target="species")
    assert 0.95 < ev.metrics["roc_auc_ovr"] <= 1.0
    assert 0 < ev.metrics["log_loss"] < 0.5
    assert {"roc/0", "roc/1", "roc/2", "precision_recall/2"} <= set(ev.curves)
    assert sum(map(sum, ev.confusion_matrix["matrix"])) == 150


def test_regression_metrics_by_hand() -> None:
    data = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [2.0, 4.0, 6.0, 8.0]})
    ev = evaluate(lambda f: f["x"] * 2 + np.array([1, -1, 0, 2]), data, target="y")
    residual = np.array([-1, 1, 0, -2])  # y - prediction
    assert ev.kind == "regression"
    assert ev.metrics["mae"] == pytest.approx(4 / 4)
    assert ev.metrics["rmse"] == pytest.approx(math.sqrt(6 / 4))
    assert ev.metrics["r2"] == pytest.approx(1 - 6 / 20)  # SS_res 6, SS_tot 20
    assert ev.metrics["max_error"] == 2.0
    assert ev.residuals["mean"] == pytest.approx(residual.mean())
    assert ev.residuals["sample"]["residual"] == residual.tolist()
    assert ev.confusion_matrix is None and ev.curves == {}


def test_regression_residual_sample_is_bounded_and_fixed() -> None:
    n = 1000
    data = pd.DataFrame({"x": np.arange(n, dtype=float), "y": np.arange(n) * 0.5 + 1})
    model = LinearRegression().fit(data[["x"]], data["y"])
    first = evaluate(model, data, target="y")
    assert first.kind == "regression"  # the model is a regressor
    assert first.metrics["r2"] == pytest.approx(1.0)
    assert len(first.residuals["sample"]["row"]) == 200
    assert first.residuals == evaluate(model, data, target="y").residuals


@pytest.mark.parametrize(
    "convert", [pa.Table.from_pandas, pl.from_pandas, lambda f: f.to_dict("records")]
)
def test_arrow_polars_and_rows_give_the_same_metrics(convert) -> None:
    expected = evaluate(threshold_at_3, BINARY, target="y").metrics
    assert evaluate(threshold_at_3, convert(BINARY), target="y").metrics == expected


def test_the_model_sees_only_its_fitted_features() -> None:
    train = pd.DataFrame({"a": [0.0, 1, 2, 3, 4, 5], "y": [0, 0, 0, 1, 1, 1]})
    model = LogisticRegression().fit(train[["a"]], train["y"])
    # an id column and a sensitive column the model never saw are left out
    data = train.assign(id=range(6), group=list("ababab"))
    assert evaluate(model, data, target="y").metrics["accuracy"] == 1.0
    with pytest.raises(UserCodeError, match="LogisticRegression.predict raised"):
        evaluate(model, data, target="y", features=["a", "id"])


@pytest.mark.parametrize(
    ("truth", "kind"),
    [
        (np.array([0.5, 1.5]), "regression"),
        (np.array([1, 2, 3]), "classification"),
        (np.arange(100), "regression"),
        (np.array(["a", "b"], dtype=object), "classification"),
        (np.array([True, False]), "classification"),
    ],
)
def test_kind_is_inferred_from_the_target(truth: np.ndarray, kind: str) -> None:
    assert infer_kind(lambda f: f, truth) == kind


# bad input ---------------------------------------------------------------------------------
def test_missing_target_names_it_and_the_columns() -> None:
    with pytest.raises(InvalidInputError, match=r"'label' is not in the data.*\['x', 'y'\]"):
        evaluate(threshold_at_3, BINARY, target="label")


def test_missing_feature_is_named() -> None:
    with pytest.raises(InvalidInputError, match=r"feature columns \['z'\]"):
        evaluate(threshold_at_3, BINARY, target="y", features=["x", "z"])


def test_a_single_class_is_refused() -> None:
    data = BINARY.assign(y=1)
    with pytest.raises(InvalidInputError, match="single class 1"):
        evaluate(threshold_at_3, data, target="y", kind="classification")


def test_nan_in_the_target_is_refused_with_the_count() -> None:
    data = BINARY.assign(y=[0, 1, None, 1, 0, None, 1, 1])
    with pytest.raises(InvalidInputError, match="2 null or NaN value"):
        evaluate(threshold_at_3, data, target="y")


def test_predictions_of_another_length_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="target=8, predictions=3"):
        evaluate(lambda f: np.array([0, 1, 0]), BINARY, target="y")


def test_unknown_positive_label_and_kind_are_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"positive_label 'yes' is not among .*\[0, 1\]"):
        evaluate(threshold_at_3, BINARY, target="y", positive_label="yes")
    with pytest.raises(InvalidInputError, match="kind must be one of"):
        evaluate(threshold_at_3, BINARY, target="y", kind="ranking")


def test_regression_on_labels_and_nan_predictions_are_refused() -> None:
    data = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    with pytest.raises(InvalidInputError, match="must be numbers for a regression"):
        evaluate(lambda f: np.array([1.0, 2.0]), data, target="y", kind="regression")
    data = pd.DataFrame({"x": [1.0, 2.0], "y": [1.5, 2.5]})
    with pytest.raises(InvalidInputError, match="predictions has 1 NaN"):
        evaluate(lambda f: np.array([1.0, np.nan]), data, target="y")


def test_not_a_model_and_not_a_table_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="expected a model with .predict"):
        evaluate("model.pkl", BINARY, target="y")
    with pytest.raises(InvalidInputError, match="data must be a table"):
        evaluate(threshold_at_3, 42, target="y")


def test_a_model_that_raises_is_a_user_code_error() -> None:
    def broken(frame: pd.DataFrame) -> np.ndarray:
        raise ValueError("boom")

    with pytest.raises(UserCodeError, match="broken raised ValueError: boom"):
        evaluate(broken, BINARY, target="y")


def test_mixed_label_types_are_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"predictions: labels of types \['int', 'str'\]"):
        evaluate(lambda f: np.array(["0"] * 8, dtype=object), BINARY, target="y")
    data = BINARY.assign(y=[0, 1, "1", 0, 1, 0, 1, 0])
    with pytest.raises(InvalidInputError, match="target column 'y': labels of types"):
        evaluate(threshold_at_3, data, target="y", kind="classification")


def test_predictions_of_one_column_are_flattened_and_of_more_refused() -> None:
    ev = evaluate(lambda f: threshold_at_3(f).reshape(-1, 1), BINARY, target="y")
    assert ev.metrics["accuracy"] == 0.75
    with pytest.raises(
        InvalidInputError,
        match=r"predictions must be one value per row, found an array of shape \(8, 2\)",
    ):
        evaluate(lambda f: np.zeros((8, 2)), BINARY, target="y")


# the SDK door ------------------------------------------------------------------------------
def test_ws_evaluate_reads_a_table_and_logs_to_the_run(ws) -> None:
    ws.write("scored", BINARY)
    tracking = ws.platform.tracking
    run = tracking.create_run(ws.ctx, tracking.create_experiment(ws.ctx, "eval").id)
    model = LogisticRegression().fit(BINARY[["x"]], BINARY["y"])
    ev = ws.evaluate(model, "scored", target="y", run_id=run.id)
    logged = tracking.get_run(ws.ctx, run.id).metric_values
    assert logged == pytest.approx(ev.logged_metrics())
    assert {"eval_accuracy", "eval_roc_auc", "eval_log_loss"} <= set(logged)
    with tracking.open_artifact(ws.ctx, run.id, "evaluation.json") as f:
        assert json.load(f) == json.loads(json.dumps(ev.to_dict()))


def test_ws_evaluate_logs_to_the_active_run(ws) -> None:
    ws.write("scored", BINARY)
    with ws.start_run(experiment="eval") as run:
        ev = ws.evaluate(threshold_at_3, "scored", target="y")
    inputs = ws.platform.tracking.list_inputs(ws.ctx, run.id)
    assert [(i.kind, i.name, i.version) for i in inputs] == [("table", "scored", 0)]
    logged = ws.runs.get(run.id).metric_values
    assert logged == pytest.approx(ev.logged_metrics())
    assert logged["eval_precision"] == pytest.approx(3 / 4)
    with ws.platform.tracking.open_artifact(ws.ctx, run.id, "evaluation.json") as f:
        assert json.load(f)["confusion_matrix"]["matrix"] == [[3, 1], [1, 3]]


def test_ws_evaluate_without_a_run_only_computes(ws) -> None:
    ev = ws.evaluate(threshold_at_3, pl.from_pandas(BINARY), target="y")
    assert ev.metrics["accuracy"] == 0.75


def test_ws_evaluate_bad_target_and_unknown_run(ws) -> None:
    from lakeworks.errors import NotFoundError

    ws.write("scored", BINARY)
    with pytest.raises(InvalidInputError, match=r"'label' is not in the data.*\['x', 'y'\]"):
        ws.evaluate(threshold_at_3, "scored", target="label")
    with pytest.raises(NotFoundError):
        ws.evaluate(threshold_at_3, "scored", target="y", run_id="no-such-run")


def test_xgboost_and_lightgbm_classifiers() -> None:
    xgboost = pytest.importorskip("xgboost")
    lightgbm = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(2)
    data = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    data["y"] = (data["a"] > 0).astype(int)
    for model in (
        xgboost.XGBClassifier(n_estimators=10, max_depth=2),
        lightgbm.LGBMClassifier(n_estimators=10, verbose=-1),
    ):
        model.fit(data[["a", "b"]], data["y"])
        ev = evaluate(model, data, target="y")
        assert ev.kind == "classification"
        assert ev.metrics["roc_auc"] > 0.95 and "log_loss" in ev.metrics


def test_string_target_from_arrow() -> None:
    table = pa.table({"x": [0, 1, 2, 3, 4, 5], "y": ["cat", "dog", "cat", "dog", "cat", "dog"]})
    ev = evaluate(lambda f: np.where(f["x"] % 2 == 1, "dog", "cat"), table, target="y")
    assert ev.kind == "classification" and ev.metrics["accuracy"] == 1.0
    assert ev.confusion_matrix["labels"] == ["cat", "dog"]


def test_a_label_the_model_never_saw_drops_probability_metrics_with_a_note() -> None:
    train = pd.DataFrame({"x": [0.0, 1, 2, 3, 4, 5], "y": ["a", "a", "b", "b", "a", "b"]})
    model = LogisticRegression().fit(train[["x"]], train["y"])
    data = pd.concat([train, pd.DataFrame({"x": [6.0], "y": ["c"]})])
    ev = evaluate(model, data, target="y")
    assert "log_loss" not in ev.metrics and "roc_auc_ovr" not in ev.metrics
    assert any("never saw labels ['c']" in note for note in ev.notes)
    assert ev.confusion_matrix["labels"] == ["a", "b", "c"]


def test_areas_from_the_curves_equal_sklearns_scores() -> None:
    from sklearn.datasets import load_iris
    from sklearn.metrics import average_precision_score, roc_auc_score

    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 3000)
    scores = np.round(np.clip(y * 0.2 + rng.random(3000) * 0.8, 0, 1), 2)  # with ties
    ev = evaluate(Scores(list(scores)), pd.DataFrame({"x": range(3000), "y": y}), target="y")
    assert ev.metrics["roc_auc"] == pytest.approx(roc_auc_score(y, scores))
    assert ev.metrics["average_precision"] == pytest.approx(average_precision_score(y, scores))
    x, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=500).fit(x, y)
    ev = evaluate(model, x.assign(species=y), target="species")
    expected = roc_auc_score(y, model.predict_proba(x), multi_class="ovr")
    assert ev.metrics["roc_auc_ovr"] == pytest.approx(expected)


def test_a_class_without_rows_is_left_out_of_ovr_auc_with_a_note() -> None:
    class ThreeClasses:
        classes_ = np.array(["a", "b", "c"])

        def predict(self, frame: pd.DataFrame) -> np.ndarray:
            return np.array(["a", "b", "c", "b"])

        def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
            return np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.5, 0.1, 0.4], [0.1, 0.6, 0.3]])

    data = pd.DataFrame({"x": range(4), "y": ["a", "b", "a", "b"]})
    ev = evaluate(ThreeClasses(), data, target="y")
    assert ev.metrics["roc_auc_ovr"] == 1.0  # a and b are each ranked perfectly
    assert set(ev.curves) == {"roc/a", "precision_recall/a", "roc/b", "precision_recall/b"}
    assert any("class 'c' has no rows" in note for note in ev.notes)
