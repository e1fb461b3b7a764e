"""The model card: what a model is for, what it was trained on, how well and how fairly it
does, and what drives it; one JSON-ready dict (stored with a model version) and Markdown.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from numbers import Real
from typing import Any

from lakeworks.errors import InvalidInputError

TABLE_AT_VERSION = re.compile(r"^[^@\s]+@v?\d+$")
TOP_FEATURES = 10


@dataclass(frozen=True)
class ModelCard:
    """One model version's card. Reports are kept in their ``to_dict()`` form."""

    name: str
    version: int | str
    owner: str
    intended_use: str
    limitations: tuple[str, ...]
    metrics: dict[str, float]
    training_inputs: tuple[str, ...]  # "table@version"
    signature: dict[str, Any] | None = None
    fairness: dict[str, Any] | None = None
    explanation: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("limitations", "training_inputs"):
            data[key] = list(data[key])
        # strict JSON: a NaN or infinite metric is written null (read back as NaN)
        data["metrics"] = {k: v if math.isfinite(v) else None for k, v in self.metrics.items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelCard:
        """The card back from its ``to_dict()`` (as the registry stores it)."""
        return model_card(**data)

    def to_markdown(self) -> str:
        """The card as a Markdown page (``lakeworks models show`` prints it)."""
        sections = [
            f"# Model card: {self.name} v{self.version}",
            f"Owner: {self.owner}",
            f"## Intended use\n\n{self.intended_use}",
            "## Limitations\n\n" + _bullets(self.limitations),
            "## Training data\n\n" + _bullets(self.training_inputs),
            "## Metrics\n\n" + _table(["metric", "value"], sorted(self.metrics.items())),
            "## Signature\n\n" + _signature(self.signature),
            "## Fairness\n\n" + _fairness(self.fairness),
            "## Explanation\n\n" + _explanation(self.explanation),
        ]
        return "\n\n".join(sections) + "\n"


def model_card(
    *,
    name: str,
    version: int | str,
    owner: str,
    intended_use: str,
    limitations: str | Sequence[str],
    metrics: Mapping[str, float] | Any,
    training_inputs: Sequence[str | Mapping[str, Any]],
    signature: Mapping[str, Any] | Any = None,
    fairness: Mapping[str, Any] | Any = None,
    explanation: Mapping[str, Any] | Any = None,
) -> ModelCard:
    """Build a model card; reports may be given as objects (with ``to_dict``) or dicts.

    ``metrics`` is a dict of numbers or an ``Evaluation`` (its metrics are taken);
    ``training_inputs`` are ``"table@version"`` strings or ``{"table", "version"}`` dicts.

    Example:
        >>> card = model_card(name="churn", version=3, owner="risk", intended_use="triage",
        ...     limitations="EU customers only", metrics={"auc": 0.91},
        ...     training_inputs=["customers@12"])
        >>> card.to_markdown().splitlines()[0]
        '# Model card: churn v3'
    """
    for key, value in (("name", name), ("owner", owner), ("intended_use", intended_use)):
        if not isinstance(value, str) or not value.strip():
            raise InvalidInputError(
                f"model card {key} must be a non-empty text, found {value!r}",
                hint=f"pass {key}=...",
                field=key,
            )
    limits = (limitations,) if isinstance(limitations, str) else tuple(limitations)
    return ModelCard(
        name=name,
        version=version,
        owner=owner,
        intended_use=intended_use,
        limitations=limits,
        metrics=_metrics(metrics),
        training_inputs=tuple(_table_at_version(item) for item in training_inputs),
        signature=_report(signature, "signature"),
        fairness=_report(fairness, "fairness"),
        explanation=_report(explanation, "explanation"),
    )


def _metrics(metrics: Any) -> dict[str, float]:
    metrics = getattr(metrics, "metrics", metrics)  # an Evaluation
    if not isinstance(metrics, Mapping):
        raise InvalidInputError(
            f"metrics must be a dict of numbers or an Evaluation, found {type(metrics).__name__}",
            field="metrics",
        )
    metrics = {k: math.nan if v is None else v for k, v in metrics.items()}
    bad = {k: v for k, v in metrics.items() if not isinstance(v, Real) or isinstance(v, bool)}
    if bad:
        raise InvalidInputError(
            f"metrics must be numbers, found {bad}", field="metrics", found=str(bad)
        )
    return {str(k): float(v) for k, v in metrics.items()}


def _table_at_version(item: str | Mapping[str, Any]) -> str:
    if isinstance(item, Mapping) and {"table", "version"} <= set(item):
        item = f"{item['table']}@{item['version']}"
    if not isinstance(item, str) or not TABLE_AT_VERSION.match(item):
        raise InvalidInputError(
            f"a training input must be 'table@version' (like 'orders@3'), found {item!r}",
            field="training_inputs",
            found=str(item),
        )
    return item


def _report(report: Any, what: str) -> dict[str, Any] | None:
    if report is None:
        return None
    data = report.to_dict() if callable(getattr(report, "to_dict", None)) else report
    if not isinstance(data, Mapping):
        raise InvalidInputError(
            f"{what} must be a report or a dict, found {type(report).__name__}", field=what
        )
    return dict(data)


# Markdown --------------------------------------------------------------------------------
def _bullets(items: Sequence[str]) -> str:
    return "\n".join(f"- {item}" for item in items) if items else "(none given)"


def _table(header: list[str], rows: Sequence[Sequence[Any]]) -> str:
    if not rows:
        return "(none)"
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if not math.isfinite(value) else f"{value:.4g}"
    return "n/a" if value is None else str(value).replace("|", "\\|")


def _signature(signature: Mapping[str, Any] | None) -> str:
    if not signature:
        return "(not recorded)"
    parts = []
    for side in ("inputs", "outputs"):
        columns = signature.get(side)
        if isinstance(columns, list) and all(isinstance(c, Mapping) for c in columns):
            rows = [(c.get("name"), c.get("type")) for c in columns]
            parts.append(f"{side.capitalize()}:\n\n" + _table(["column", "type"], rows))
        elif columns is not None:
            parts.append(f"{side.capitalize()}: `{columns}`")
    return "\n\n".join(parts) or f"`{dict(signature)}`"


def _fairness(report: Mapping[str, Any] | None) -> str:
    if not report:
        return "(not assessed)"
    verdict = "passed" if report.get("passed") else "FAILED"
    lines = [
        f"Sensitive column `{report.get('sensitive')}`: **{verdict}** (threshold "
        f"{report.get('threshold')}); demographic-parity difference "
        f"{_cell(report.get('demographic_parity_difference'))}, equalized-odds difference "
        f"{_cell(report.get('equalized_odds_difference'))}.",
        _table(
            ["group", "rows", "selection rate", "TPR", "FPR", "accuracy"],
            [
                (g["group"], g["count"], g["selection_rate"], g["tpr"], g["fpr"], g["accuracy"])
                for g in report.get("groups", [])
            ],
        ),
    ]
    lines += [f"- {text}" for text in [*report.get("failures", []), *report.get("notes", [])]]
    return "\n\n".join(lines)


def _explanation(report: Mapping[str, Any] | None) -> str:
    if not report:
        return "(not computed)"
    top = list(report.get("importance", {}).items())[:TOP_FEATURES]
    text = f"Global importance ({report.get('method')}), top {len(top)}:\n\n"
    text += _table(["feature", "importance"], top)
    shap = report.get("shap")
    if shap:
        mean_abs = list(shap.get("mean_abs", {}).items())[:TOP_FEATURES]
        text += f"\n\nMean |SHAP| ({shap.get('method')}):\n\n"
        text += _table(["feature", "mean abs SHAP"], mean_abs)
    return text
