"""MLflow's JSON shapes of registry records: registered models and model versions.

Versions are strings in MLflow's protocol; a version's stage is ``None`` until approved;
a version registered from ``models:/<model_id>`` names that logged model as ``model_id``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from lakeworks.server.mlflow.messages import Message
from lakeworks.server.mlflow.shapes import pairs

LOGGED_MODEL_PREFIX = "models:/m-"
PAGE_MAX = 1000  # the registry's largest page: larger asks get pages and a next_page_token


class RegistrySearch(Message):
    """The request of registered-models/search and model-versions/search."""

    filter: str | None = None
    max_results: int = Field(100, ge=1, le=200_000)
    order_by: list[str] = []
    page_token: str | None = None

    def page(self, filter: str | None) -> tuple[Any, ...]:
        """The registry search's arguments after the context."""
        limit = min(self.max_results, PAGE_MAX)
        return filter or None, self.order_by or None, limit, self.page_token or None


def model_version(v: Any) -> dict[str, Any]:
    found = {
        "name": v.name,
        "version": str(v.version),
        "creation_timestamp": v.created_ms,
        "last_updated_timestamp": v.updated_ms,
        "user_id": v.created_by,
        "current_stage": v.stage or "None",
        "source": v.source or "",
        "status": v.status,
        "tags": pairs(v.tags),
        "aliases": list(v.aliases),
    }
    optional = {"description": v.description, "run_id": v.run_id, "model_id": model_id(v)}
    found.update({k: value for k, value in optional.items() if value})
    return found


def registered_model(m: Any, latest: list[Any] = ()) -> dict[str, Any]:
    found = {
        "name": m.name,
        "creation_timestamp": m.created_ms,
        "last_updated_timestamp": m.updated_ms,
        "user_id": m.created_by,
        "tags": pairs(m.tags),
        "aliases": [{"alias": a, "version": str(v)} for a, v in m.aliases.items()],
        "latest_versions": [model_version(v) for v in latest],
    }
    if m.description:
        found["description"] = m.description
    return found


def model_id(v: Any) -> str | None:
    """The logged model a version was registered from (``models:/m-...``), if any."""
    source = v.source or ""
    return source.removeprefix("models:/") if source.startswith(LOGGED_MODEL_PREFIX) else None
