"""Bodies of the experiments router."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from lakeworks.server.schemas.base import RecordOut

ExperimentName = Annotated[str, StringConstraints(min_length=1, max_length=256)]
TagKey = Annotated[str, StringConstraints(min_length=1, max_length=250)]


class ExperimentCreate(BaseModel):
    name: ExperimentName
    artifact_location: str | None = None
    tags: dict[TagKey, str] = Field(default_factory=dict, max_length=100)


class ExperimentOut(RecordOut):
    id: int
    name: str
    artifact_location: str | None
    lifecycle_stage: str
    created_at: int = Field(description="ms since the epoch")
    updated_at: int = Field(description="ms since the epoch")
    created_by: str
    tags: dict[str, str]
