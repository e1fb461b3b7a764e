"""model_card(): built from the reports, JSON and back, Markdown, and the bad inputs."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from lakeworks.errors import InvalidInputError
from lakeworks.governance import ModelCard, explain, fairness_report, model_card
from lakeworks.tracking.evaluate import evaluate


@pytest.fixture(scope="module")
def reports() -> dict:
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"a": rng.normal(size=100), "b": rng.normal(size=100)})
    data["y"] = (data["a"] > 0).astype(int)
    data["group"] = rng.choice(["x", "y"], 100)
    model = LogisticRegression().fit(data[["a", "b"]], data["y"])
    return {
        "metrics": evaluate(model, data, target="y"),
        "fairness": fairness_report(data["y"], model.predict(data[["a", "b"]]), data["group"]),
        "explanation": explain(model, data, target="y"),
    }


def card(**overrides) -> ModelCard:
    arguments = {
        "name": "churn",
        "version": 3,
        "owner": "risk-team",
        "intended_use": "Rank customers for a retention call.",
        "limitations": ["Trained on EU customers only.", "Not for credit decisions."],
        "metrics": {"auc": 0.91, "f1": 0.7},
        "training_inputs": ["customers@12", {"table": "orders", "version": 40}],
        "signature": {
            "inputs": [{"name": "a", "type": "double"}, {"name": "b", "type": "double"}],
            "outputs": [{"name": "prediction", "type": "int64"}],
        },
    }
    return model_card(**(arguments | overrides))


def test_card_from_reports_is_json_and_comes_back(reports: dict) -> None:
    built = card(**reports)
    assert built.metrics == reports["metrics"].metrics  # an Evaluation gives its metrics
    assert built.training_inputs == ("customers@12", "orders@40")
    assert built.fairness["groups"][0]["group"] == "x"
    stored = json.loads(json.dumps(built.to_dict(), allow_nan=False))
    assert ModelCard.from_dict(stored) == built


def test_a_nan_metric_is_null_in_json_and_n_a_in_markdown() -> None:
    built = card(metrics={"auc": float("nan"), "f1": 0.5})
    stored = json.loads(json.dumps(built.to_dict(), allow_nan=False))
    assert stored["metrics"] == {"auc": None, "f1": 0.5}
    back = ModelCard.from_dict(stored)
    assert math.isnan(back.metrics["auc"]) and back.metrics["f1"] == 0.5
    assert "| auc | n/a |" in built.to_markdown()


def test_markdown_has_every_section(reports: dict) -> None:
    text = card(**reports).to_markdown()
    assert text.startswith("# Model card: churn v3\n")
    for heading in ("Intended use", "Limitations", "Training data", "Metrics", "Signature"):
        assert f"## {heading}" in text
    assert "- customers@12" in text and "- Not for credit decisions." in text
    assert "| a | double |" in text
    assert "Sensitive column `sensitive`" in text and "| x |" in text
    assert "Global importance (coef_)" in text and "| a |" in text


def test_markdown_without_reports_says_so() -> None:
    text = card(limitations="None known.", signature=None).to_markdown()
    assert "- None known." in text
    assert "(not recorded)" in text and "(not assessed)" in text and "(not computed)" in text


def test_failed_fairness_is_shouted() -> None:
    report = fairness_report([1, 0, 1, 0], [1, 1, 0, 0], ["a", "a", "b", "b"])
    assert "**FAILED**" in card(fairness=report).to_markdown()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"name": ""}, "name must be a non-empty text"),
        ({"owner": None}, "owner must be a non-empty text"),
        ({"training_inputs": ["customers"]}, "'table@version'.*'customers'"),
        ({"metrics": {"auc": "high"}}, "metrics must be numbers"),
        ({"metrics": [0.9]}, "metrics must be a dict of numbers"),
        ({"fairness": "fair"}, "fairness must be a report or a dict"),
    ],
)
def test_bad_inputs_are_named(override: dict, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        card(**override)
