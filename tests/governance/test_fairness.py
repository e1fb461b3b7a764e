"""fairness_report(): rates counted by hand, a biased data set fails and a balanced one
passes, fairlearn agrees, nulls form their own group, and bad inputs are named."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from sklearn.linear_model import LogisticRegression

from lakeworks.errors import InvalidInputError
from lakeworks.governance import fairness_report, model_fairness
from lakeworks.governance.fairness import MISSING


def biased(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """Group 'a' is selected 70% of the time, group 'b' 30%, with the same true rates."""
    rng = np.random.default_rng(seed)
    group = np.repeat(["a", "b"], n // 2)
    truth = rng.integers(0, 2, n)
    rate = np.where(group == "a", 0.7, 0.3)
    pred = (rng.random(n) < rate).astype(int)
    return pd.DataFrame({"group": group, "y": truth, "pred": pred})


def test_rates_by_hand() -> None:
    # group a: truth 1 1 0 0, pred 1 0 1 0 -> TP 1 FN 1 FP 1 TN 1
    # group b: truth 1 0 0,   pred 1 0 0   -> TP 1 TN 2
    report = fairness_report(
        [1, 1, 0, 0, 1, 0, 0], [1, 0, 1, 0, 1, 0, 0], list("aaaabbb"), min_group_size=1
    )
    a, b = report.groups
    assert (a.group, a.count, a.positives) == ("a", 4, 2)
    assert (a.selection_rate, a.tpr, a.fpr, a.accuracy) == (0.5, 0.5, 0.5, 0.5)
    assert (b.selection_rate, b.tpr, b.fpr, b.accuracy) == (pytest.approx(1 / 3), 1.0, 0.0, 1.0)
    assert report.demographic_parity_difference == pytest.approx(0.5 - 1 / 3)
    assert report.demographic_parity_ratio == pytest.approx((1 / 3) / 0.5)
    assert report.equalized_odds_difference == pytest.approx(0.5)  # max(TPR gap .5, FPR gap .5)
    assert not report.passed
    assert any("equalized-odds difference 0.500" in f for f in report.failures)


def test_a_biased_model_fails_and_fairlearn_agrees() -> None:
    from fairlearn.metrics import (
        demographic_parity_difference,
        demographic_parity_ratio,
        equalized_odds_difference,
    )

    data = biased()
    report = fairness_report(data["y"], data["pred"], data["group"], sensitive_name="group")
    kw = {"sensitive_features": data["group"]}
    assert report.demographic_parity_difference == pytest.approx(
        demographic_parity_difference(data["y"], data["pred"], **kw)
    )
    assert report.demographic_parity_ratio == pytest.approx(
        demographic_parity_ratio(data["y"], data["pred"], **kw)
    )
    assert report.equalized_odds_difference == pytest.approx(
        equalized_odds_difference(data["y"], data["pred"], **kw)
    )
    assert report.demographic_parity_difference > 0.3
    assert not report.passed
    assert report.sensitive == "group"


def test_a_balanced_model_passes() -> None:
    # both groups: the same truth and the same predictions, row for row
    truth = [1, 1, 0, 0, 1, 0, 1, 0] * 10
    pred = [1, 0, 0, 0, 1, 0, 1, 1] * 10
    group = ["a"] * 40 + ["b"] * 40
    report = fairness_report(truth, pred, group)
    assert report.demographic_parity_difference == 0.0
    assert report.equalized_odds_difference == 0.0
    assert report.demographic_parity_ratio == 1.0
    assert report.passed and report.failures == ()


def test_threshold_decides() -> None:
    data = biased()
    gap = fairness_report(data["y"], data["pred"], data["group"]).demographic_parity_difference
    loose = fairness_report(data["y"], data["pred"], data["group"], threshold=0.9)
    assert gap < 0.9 and loose.passed


def test_missing_sensitive_values_are_their_own_group_and_small_groups_flagged() -> None:
    group = pa.array(["a"] * 40 + [None] * 4 + ["b"] * 40)
    truth = [1, 0] * 42
    report = fairness_report(truth, truth, group)
    counts = {g.group: (g.count, g.small) for g in report.groups}
    assert counts == {"a": (40, False), "b": (40, False), MISSING: (4, True)}
    assert any(f"'{MISSING}' has 4 rows" in note for note in report.notes)
    assert report.passed  # perfect predictions: every rate is equal


@pytest.mark.parametrize(
    "column",
    [
        pl.Series(["a", None, "b", None]),
        pa.chunked_array([["a", None], ["b", None]]),
        pd.Series(["a", None, "b", None], dtype="string"),
        ["a", None, "b", float("nan")],
    ],
    ids=["polars", "arrow-chunked", "pandas-string", "list-nan"],
)
def test_nulls_of_every_input_format_are_missing(column) -> None:
    report = fairness_report(pd.Series([1, 0, 1, 0], dtype="Int64"), [1, 0, 0, 0], column)
    assert [(g.group, g.count) for g in report.groups] == [(MISSING, 2), ("a", 1), ("b", 1)]


def test_string_labels_need_a_positive_label() -> None:
    truth = ["yes", "no", "yes", "no"]
    with pytest.raises(InvalidInputError, match=r"positive_label 1 is not among .*'no', 'yes'"):
        fairness_report(truth, truth, ["a", "a", "b", "b"])
    report = fairness_report(truth, truth, ["a", "a", "b", "b"], positive_label="yes")
    assert report.positive_label == "yes" and report.passed


def test_to_dict_is_json() -> None:
    data = biased()
    report = fairness_report(data["y"].to_numpy(), pl.Series(data["pred"]), data["group"])
    back = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert back["passed"] is False
    assert [g["group"] for g in back["groups"]] == ["a", "b"]
    assert back["groups"][0]["count"] == 100


def test_a_group_without_positives_has_no_tpr() -> None:
    report = fairness_report([0, 0, 1, 0], [0, 1, 1, 0], ["a", "a", "b", "b"])
    a = report.groups[0]
    assert a.tpr is None and a.fpr == 0.5
    assert report.to_dict()["groups"][0]["tpr"] is None


def test_model_fairness_predicts_without_the_sensitive_column() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=200)
    data = pd.DataFrame({"x": x, "y": (x > 0).astype(int), "group": rng.choice(["a", "b"], 200)})
    model = LogisticRegression().fit(data[["x"]].to_numpy(), data["y"])  # no feature names
    report = model_fairness(model, data, target="y", sensitive="group")
    assert {g.group for g in report.groups} == {"a", "b"}
    assert all(g.accuracy > 0.9 for g in report.groups)


# bad input ---------------------------------------------------------------------------------
def test_lengths_differ() -> None:
    with pytest.raises(InvalidInputError, match="y_true=3, y_pred=3, sensitive=2"):
        fairness_report([1, 0, 1], [1, 0, 1], ["a", "b"])


def test_sensitive_column_missing() -> None:
    data = biased()
    model = LogisticRegression().fit(data[["y"]], data["pred"])
    with pytest.raises(InvalidInputError, match=r"sensitive column 'gender' is not in the data"):
        model_fairness(model, data, target="pred", sensitive="gender")


def test_null_labels_and_bad_threshold_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="y_pred has 1 null or NaN value"):
        fairness_report([1, 0], [1, None], ["a", "b"])
    with pytest.raises(InvalidInputError, match="threshold must be between 0 and 1"):
        fairness_report([1, 0], [1, 0], ["a", "b"], threshold=5)
    with pytest.raises(InvalidInputError, match="y_pred holds scores, not labels .*0.7"):
        fairness_report([1, 0], [1.0, 0.7], ["a", "b"])
    with pytest.raises(InvalidInputError, match="no rows"):
        fairness_report([], [], [])


def test_values_of_one_text_are_one_group_and_no_nulls_means_no_missing_group() -> None:
    report = fairness_report([1, 0, 1, 0], [1, 0, 0, 0], [1, "1", 3, 2], min_group_size=1)
    assert [(g.group, g.count) for g in report.groups] == [("1", 2), ("2", 1), ("3", 1)]
