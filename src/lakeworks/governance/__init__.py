"""Governance reports for models: fairness over a sensitive column, explanations (global
importance, SHAP values for tree models) and the model card that gathers them.

Pure computation over data and a fitted model: this package imports nothing of lakeworks
but ``errors``, so the registry and tracking may call it. Each report is a frozen
dataclass with ``to_dict()`` (the JSON the registry stores).
"""

from lakeworks.governance.card import ModelCard, model_card
from lakeworks.governance.explain import Explanation, ShapValues, explain
from lakeworks.governance.fairness import (
    FairnessReport,
    GroupRates,
    fairness_report,
    model_fairness,
)

__all__ = [
    "Explanation",
    "FairnessReport",
    "GroupRates",
    "ModelCard",
    "ShapValues",
    "explain",
    "fairness_report",
    "model_card",
    "model_fairness",
]
