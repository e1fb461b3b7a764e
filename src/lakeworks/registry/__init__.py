"""The model registry: versions of models in safe formats, their signatures, aliases,
approvals and governance reports (``service.Registry``, ``platform.registry``)."""

from lakeworks.registry.predictor import Predictor
from lakeworks.registry.records import (
    AliasEvent,
    Approval,
    ModelVersion,
    Page,
    RegisteredModel,
    Report,
)
from lakeworks.registry.signature import ColumnSpec, Signature

__all__ = [
    "AliasEvent",
    "Approval",
    "ColumnSpec",
    "ModelVersion",
    "Page",
    "Predictor",
    "RegisteredModel",
    "Report",
    "Signature",
]
