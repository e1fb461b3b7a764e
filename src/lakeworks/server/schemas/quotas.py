"""Bodies of the quotas and costs router."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from lakeworks.server.schemas.base import RecordOut


class QuotaIn(BaseModel):
    limit: float | None = Field(
        ge=0, description="the new limit; null removes the quota", examples=[100]
    )


class QuotaOut(RecordOut):
    name: str = Field(examples=["tables"])
    limit: float | None = Field(description="null: no limit")
    used: float = Field(description="the workspace's current use")
    unit: str = Field(examples=["tables"])
    age: float | None = Field(
        None, description="seconds since `used` was measured (the figure quota checks use); "
        "null: measured for this answer"
    )  # fmt: skip


class CostLineOut(BaseModel):
    group: dict[str, str | None] = Field(description="the values of the grouping columns")
    quantities: dict[str, float] = Field(description="usage in billing units")
    costs: dict[str, float] = Field(description="cost by price of the price list")
    total: float


class CostReportOut(BaseModel):
    by: list[str]
    since: datetime
    until: datetime
    total: float
    lines: list[CostLineOut]
