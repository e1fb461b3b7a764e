"""Bodies of the models router (the model registry)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from lakeworks.server.schemas.base import RecordOut

ModelName = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^/@:\x00-\x1f]+$")]
Version = Annotated[int, Field(ge=1, le=2**31 - 1)]


class ModelOut(RecordOut):
    name: str
    description: str | None
    created_ms: int = Field(description="epoch milliseconds")
    updated_ms: int
    created_by: str
    tags: dict[str, str]
    aliases: dict[str, int] = Field(description="alias -> version")
    latest_version: int | None


class ColumnOut(RecordOut):
    name: str
    type: str = Field(description="the Arrow type: int64, double, string, ...")
    nullable: bool


class SignatureOut(RecordOut):
    inputs: list[ColumnOut]
    outputs: list[ColumnOut]


class VersionOut(RecordOut):
    name: str
    version: int
    run_id: str | None
    source: str | None
    format: str | None = Field(description="sklearn, xgboost, lightgbm, onnx, mlflow, python")
    status: str
    description: str | None
    stage: str | None = Field(description="the last approval stage given")
    created_ms: int
    updated_ms: int
    created_by: str
    signature: SignatureOut | None
    tags: dict[str, str]
    aliases: list[str]


class AliasRequest(BaseModel):
    version: Version
    force: bool = Field(default=False, description="move past failing reports (recorded)")


class AliasEventOut(RecordOut):
    name: str
    alias: str
    from_version: int | None
    to_version: int | None = Field(description="None when the alias was deleted")
    forced: bool
    reason: str | None
    moved_by: str
    at_ms: int


class ApprovalRequest(BaseModel):
    stage: str = Field(default="approved", min_length=1, max_length=32)
    comment: str | None = Field(default=None, max_length=10_000)


class ApprovalOut(RecordOut):
    name: str
    version: int
    stage: str
    approved_by: str
    at_ms: int
    comment: str | None


class ReportOut(RecordOut):
    kind: str = Field(description="card, evaluation, fairness or explanation")
    body: dict[str, Any]
    passed: bool | None = Field(description="None for reports that do not gate")
    created_ms: int
