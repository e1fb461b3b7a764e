"""Governance reports computed at registration, with the ``governance`` package and
tracking's ``evaluate``: the model card (always), the evaluation (``evaluation_data`` and
``target``; failing when a metric is under ``min_metrics``), the fairness report over a
sensitive column (failing past its threshold) and the explanation. Fairness and
evaluation gate alias moves (``records.GATING_KINDS``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lakeworks.errors import InvalidInputError
from lakeworks.registry.records import REPORT_KINDS, ModelVersion

Reports = dict[str, tuple[dict[str, Any], bool | None]]
NOT_STATED = "not stated at registration"


@dataclass(frozen=True)
class Governance:
    """What registration was asked to compute; empty computes only the card."""

    sensitive_column: str | None = None
    evaluation_data: Any = None
    target: str | None = None
    fairness_threshold: float = 0.1
    min_metrics: dict[str, float] = field(default_factory=dict)
    positive_label: Any = 1

    def check(self) -> None:
        """Refuse what cannot be computed before anything is stored."""
        if self.sensitive_column and (self.evaluation_data is None or not self.target):
            raise InvalidInputError(
                "a fairness report over sensitive_column needs evaluation_data= and target=",
                hint="pass the labelled data to compute predictions and rates on",
                column=self.sensitive_column,
            )
        if self.min_metrics and (self.evaluation_data is None or not self.target):
            raise InvalidInputError("min_metrics= needs evaluation_data= and target=")


def governance_reports(
    version: ModelVersion,
    model: Any,
    asked: Governance,
    given: Reports,
    training_inputs: list[str],
) -> Reports:
    """kind -> (body, passed) for every report: ``given`` ones win over computed ones."""
    from lakeworks.governance import explain, model_card, model_fairness

    out: Reports = {}
    data, target = asked.evaluation_data, asked.target
    if model is not None and data is not None and target:
        out["evaluation"] = _evaluation(model, data, target, asked.min_metrics)
    if model is not None and data is not None:
        out["explanation"] = (explain(model, data, target=target).to_dict(), None)
    if model is not None and asked.sensitive_column:
        fairness = model_fairness(
            model,
            data,
            target=target,
            sensitive=asked.sensitive_column,
            threshold=asked.fairness_threshold,
            positive_label=asked.positive_label,
        )
        out["fairness"] = (fairness.to_dict(), fairness.passed)
    out.update(given)
    card_input = dict(given.get("card", ({}, None))[0])
    card = model_card(
        name=version.name,
        version=version.version,
        owner=card_input.get("owner") or version.created_by,
        intended_use=card_input.get("intended_use") or version.description or NOT_STATED,
        limitations=card_input.get("limitations") or NOT_STATED,
        metrics=out.get("evaluation", ({}, None))[0].get("metrics", {}),
        training_inputs=training_inputs,
        signature=version.signature.to_dict() if version.signature else None,
        fairness=out.get("fairness", (None, None))[0],
        explanation=out.get("explanation", (None, None))[0],
    )
    out["card"] = (card.to_dict(), None)
    return out


def _evaluation(
    model: Any, data: Any, target: str, min_metrics: dict[str, float]
) -> tuple[dict[str, Any], bool | None]:
    from lakeworks.tracking.evaluate import evaluate

    result = evaluate(model, data, target=target)
    unknown = sorted(set(min_metrics) - set(result.metrics))
    if unknown:
        raise InvalidInputError(
            f"min_metrics names metrics the evaluation does not compute: {unknown}",
            expected=", ".join(sorted(result.metrics)),
            found=", ".join(unknown),
        )
    below = {k: result.metrics[k] for k, floor in min_metrics.items() if result.metrics[k] < floor}
    body = {**result.to_dict(), "min_metrics": dict(min_metrics), "below": below}
    return body, (not below) if min_metrics else None


def given_reports(given: dict[str, dict[str, Any]] | None) -> Reports:
    """The reports given at registration as kind -> (body, passed); unknown kinds refused."""
    out: Reports = {}
    for kind, body in (given or {}).items():
        if kind not in REPORT_KINDS:
            raise InvalidInputError(
                f"unknown report kind {kind!r}",
                expected=", ".join(REPORT_KINDS),
                found=kind,
            )
        out[kind] = (dict(body), body.get("passed"))
    return out
