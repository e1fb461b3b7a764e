"""Bodies of the monitoring router."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from lakeworks.monitoring.methods import METHODS
from lakeworks.server.schemas.base import ColumnName, RecordOut

# a table, a version of it (orders@v3) or the version current at a time (orders@2026-...)
TableSpec = Annotated[
    str,
    Field(
        pattern=r"^[a-z_][a-z0-9_]*(@[A-Za-z0-9:.+-]{1,64})?$",
        max_length=200,
        examples=["orders@v3", "orders"],
    ),
]


class CompareIn(BaseModel):
    """Two tables or table versions to compare, e.g. ``{"reference": "orders@v3",
    "current": "orders"}``; ``method`` with ``threshold`` applies to every column."""

    reference: TableSpec
    current: TableSpec
    columns: list[ColumnName] | None = Field(default=None, min_length=1, max_length=10_000)
    method: Literal[METHODS] | None = None  # type: ignore[valid-type]
    threshold: float | None = Field(default=None, ge=0)
    drift_share: float = Field(default=0.5, gt=0, le=1)


class SideOut(RecordOut):
    source: str
    rows: int
    table: str | None
    version: int | None


class ColumnDriftOut(RecordOut):
    column: str
    kind: str
    method: str = Field(description="the statistic that decided: ks, wasserstein, ... or nulls")
    statistic: float | None
    threshold: float
    drifted: bool
    stats: dict[str, float | None]
    reference_nulls: float
    current_nulls: float
    reference_type: str
    current_type: str
    note: str | None


class DriftReportOut(RecordOut):
    reference: SideOut
    current: SideOut
    drifted: bool = Field(description="at least drift_share of the columns drifted")
    share: float
    drift_share: float
    drifted_columns: list[str]
    columns: list[ColumnDriftOut]
    skipped: dict[str, str]
