"""What the registry hands out: frozen records, shaped like MLflow's registry entities
(versions are integers from 1, times are epoch milliseconds, status READY)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from lakeworks.registry.signature import Signature

READY = "READY"
PENDING = "PENDING_REGISTRATION"
REPORT_KINDS = ("card", "fairness", "explanation", "evaluation")
GATING_KINDS = ("fairness", "evaluation")  # a failing one blocks an alias move


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    description: str | None
    created_ms: int
    updated_ms: int
    created_by: str
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    latest_version: int | None = None


@dataclass(frozen=True)
class ModelVersion:
    """One version. ``format`` and ``info`` are None for a version registered by source
    only (an MLflow client's model whose files lakeworks does not hold)."""

    id: int
    name: str
    version: int
    run_id: str | None
    source: str | None
    format: str | None
    status: str
    description: str | None
    stage: str | None
    created_ms: int
    updated_ms: int
    created_by: str
    signature: Signature | None = None
    info: dict[str, Any] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.name}/{self.version}"


@dataclass(frozen=True)
class Approval:
    name: str
    version: int
    stage: str
    approved_by: str
    at_ms: int
    comment: str | None


@dataclass(frozen=True)
class AliasEvent:
    """An alias set or moved (``to_version``) or deleted (``to_version`` None)."""

    name: str
    alias: str
    from_version: int | None
    to_version: int | None
    forced: bool
    reason: str | None
    moved_by: str
    at_ms: int


@dataclass(frozen=True)
class Report:
    kind: str
    body: dict[str, Any]
    passed: bool | None
    created_ms: int


@dataclass(frozen=True)
class Page:
    """One page of a search; ``next_page_token`` is None on the last."""

    items: list[Any]
    next_page_token: str | None = None
