"""Registration's fairness report over text labels: the label counted as selected is
``positive_label`` (found by the quickstart, whose model predicts penguin species)."""

from __future__ import annotations

import pandas as pd
import pytest

from lakeworks.errors import InvalidInputError

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _text_labelled(data):  # noqa: ANN001, ANN202
    from sklearn.linear_model import LogisticRegression

    frame, target = data
    labels = target.map({0: "stay", 1: "leave"})
    model = LogisticRegression(max_iter=500).fit(frame, labels)
    return model, frame.assign(label=labels)


def test_text_labels_take_the_positive_label_given(registry, rctx, data) -> None:  # noqa: ANN001
    model, labelled = _text_labelled(data)
    version = registry.register(
        rctx,
        "churn",
        model=model,
        evaluation_data=labelled,
        target="label",
        sensitive_column="group",
        positive_label="leave",
        fairness_threshold=1.0,
    )
    reports = registry.reports(rctx, "churn", version.version)
    [fairness] = [r for r in reports if r.kind == "fairness"]
    assert fairness.body["positive_label"] == "leave" and fairness.passed is True
    rates = [g["selection_rate"] for g in fairness.body["groups"]]
    share = (model.predict(labelled[["age", "income", "group"]]) == "leave").mean()
    assert min(rates) <= share <= max(rates)  # the share predicted "leave", per group


def test_text_labels_without_a_positive_label_are_named_and_nothing_is_stored(
    registry,
    rctx,
    data,  # noqa: ANN001
) -> None:
    model, labelled = _text_labelled(data)
    with pytest.raises(InvalidInputError, match=r"positive_label 1 is not among .*'leave'"):
        registry.register(
            rctx,
            "churn",
            model=model,
            evaluation_data=labelled,
            target="label",
            sensitive_column="group",
        )
    assert registry.list_versions(rctx, "churn") == []  # no version left behind


def test_the_default_positive_label_is_still_one(registry, rctx, classifier, data) -> None:  # noqa: ANN001
    frame, target = data
    version = registry.register(
        rctx,
        "churn",
        model=classifier,
        evaluation_data=pd.DataFrame(frame).assign(label=target),
        target="label",
        sensitive_column="group",
        fairness_threshold=1.0,
    )
    reports = registry.reports(rctx, "churn", version.version)
    [fairness] = [r for r in reports if r.kind == "fairness"]
    assert fairness.body["positive_label"] == 1
