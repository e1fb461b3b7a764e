"""Bodies of the quality routers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field

from lakeworks.quality.checks import ROW_LEVEL, SEVERITIES, Check
from lakeworks.server.dependencies import ID_MAX, name_rule
from lakeworks.server.schemas.base import RecordOut

CHECK_NAME_MAX = 256  # the catalog's column width


class CheckIn(BaseModel):
    """A check as JSON, e.g. ``{"kind": "between", "columns": ["amount"],
    "params": {"min": 0, "max": 100}, "severity": "warn"}``."""

    kind: Literal[tuple(ROW_LEVEL)]  # type: ignore[valid-type]
    columns: list[Annotated[str, Field(min_length=1, max_length=255)]] = Field(
        default_factory=list, max_length=64
    )
    params: dict[str, Any] = Field(default_factory=dict)
    severity: Literal[SEVERITIES] = "error"  # type: ignore[valid-type]
    max_rows: int | None = Field(default=None, ge=0, le=ID_MAX)
    max_percent: float | None = Field(default=None, ge=0, le=100)
    name: str | None = Field(default=None, min_length=1, max_length=CHECK_NAME_MAX)
    webhook: str | None = Field(default=None, min_length=1, max_length=2048)


class RunsIn(BaseModel):
    """Tables to check at their latest versions; null: every table that has checks."""

    tables: list[name_rule("table", Field)] | None = Field(default=None, max_length=10_000)  # type: ignore[valid-type]


class ChecksIn(BaseModel):
    checks: list[CheckIn] = Field(min_length=1, max_length=1000)


def _spec(check: Any) -> Any:
    return check.to_spec() if isinstance(check, Check) else check


class CheckOut(RecordOut):
    name: str
    kind: str
    spec: Annotated[dict[str, Any], BeforeValidator(_spec)] = Field(validation_alias="check")
    created_at: datetime
    created_by: str


class ResultOut(RecordOut):
    id: int
    table: str
    version: int | None
    run_id: str
    trigger: str
    check: str
    kind: str
    severity: str
    status: str
    violating: int
    total: int
    observed: float | None
    message: str
    sample: list[dict[str, Any]] | None
    created_at: datetime


def _called(value: Any) -> Any:
    return value() if callable(value) else value


class ReportOut(RecordOut):
    table: str
    version: int | None
    run_id: str
    passed: bool
    summary: Annotated[str, BeforeValidator(_called)] = Field(
        description="one line per check, failures first"
    )
    results: list[ResultOut]


class ProfileOut(RecordOut):
    table: str
    version: int
    rows: int
    columns: dict[str, dict[str, Any]]


class ReloadOut(RecordOut):
    table: str
    rows_reloaded: int
    rows_landed: int
    rows_still_quarantined: int
    version: int | None
