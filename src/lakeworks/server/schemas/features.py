"""Bodies of the features router (the online read is also parsed by ``feature_server``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lakeworks.server.dependencies import NAME_MAX, NAME_PATTERN, name_rule
from lakeworks.server.schemas.base import ROWS_MAX, ColumnName, RecordOut, Row

Kind = Literal["entity", "view", "service"]
_WORD = NAME_PATTERN.strip("^$")
FeatureRef = Annotated[str, Field(pattern=f"^{_WORD}(:{_WORD})?$", max_length=2 * NAME_MAX + 1)]
ViewName = name_rule("feature view", Field, "rider_stats")
ServiceName = name_rule("feature service", Field, "rider_model")
TableField = name_rule("table", Field)


class DefinitionOut(RecordOut):
    kind: str = Field(description="entity, view or service")
    name: str
    version: int
    spec: dict[str, Any]
    created_at: datetime
    created_by: str


class OnlineRequest(BaseModel):
    """Either ``features`` (``view:feature`` or a whole ``view``) or a ``service``."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["features"], "properties": {"features": {"type": "array"}}},
                {"required": ["service"], "properties": {"service": {"type": "string"}}},
            ]
        }
    )

    features: list[FeatureRef] | None = Field(
        default=None, min_length=1, max_length=1000, examples=[["rider_stats:trips"]]
    )
    service: ServiceName | None = Field(default=None, description="a feature service instead")  # type: ignore[valid-type]
    entity_rows: list[Row] = Field(min_length=1, max_length=ROWS_MAX, examples=[[{"rider_id": 7}]])
    full_names: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> OnlineRequest:
        if (self.features is None) == (self.service is None):
            raise ValueError("give either features or service, not both and not neither")
        return self


class OnlineOut(BaseModel):
    features: list[str]
    results: list[dict[str, Any]] = Field(
        description="per entity row: values (feature -> value) and status (feature -> "
        "present | unknown_entity | expired)"
    )


class PushRequest(BaseModel):
    view: ViewName  # type: ignore[valid-type]
    rows: list[Row] = Field(min_length=1, max_length=ROWS_MAX)


class PushOut(RecordOut):
    view: str
    rows: int
    table: str
    table_version: int
    online_keys: int
    ingested_at: datetime


class TrainingSetRequest(BaseModel):
    """Entity rows (``entity_rows``) or a ``table`` of them, and ``features`` or a ``service``."""

    features: list[FeatureRef] | None = Field(
        default=None, min_length=1, max_length=1000, examples=[["rider_stats:trips"]]
    )
    service: ServiceName | None = Field(default=None, description="a feature service instead")  # type: ignore[valid-type]
    entity_rows: list[Row] | None = Field(
        default=None,
        min_length=1,
        max_length=ROWS_MAX,
        examples=[[{"rider_id": 7, "at": "2026-11-27T10:00:00Z"}]],
    )
    table: TableField | None = Field(default=None, description="a table of entity rows instead")  # type: ignore[valid-type]
    point_in_time: Literal["known", "event"] = "known"
    timestamp: ColumnName | None = None
    full_names: bool = False
    save_as: TableField | None = Field(default=None, description="also write it as this table")  # type: ignore[valid-type]
    limit: int = Field(
        default=1000, ge=0, le=ROWS_MAX, description="at most this many rows returned"
    )

    @model_validator(mode="after")
    def _one_each(self) -> TrainingSetRequest:
        if (self.features is None) == (self.service is None):
            raise ValueError("give either features or service, not both and not neither")
        if (self.entity_rows is None) == (self.table is None):
            raise ValueError("give either entity_rows or table, not both and not neither")
        return self


class CoverageOut(RecordOut):
    view: str
    rows: int
    with_value: int
    not_yet_known: int = Field(description="an earlier event exists, learned after the row")
    no_earlier_event: int
    ttl_expired: int


class TrainingSetOut(BaseModel):
    features: list[str]
    point_in_time: str
    views: dict[str, int] = Field(description="feature view -> version used")
    num_rows: int
    rows: list[dict[str, Any]] = Field(description="the first `limit` rows")
    coverage: list[CoverageOut] = Field(description="per view: rows with a value, and why not")
    warnings: list[str]
    saved_table: str | None = None
    saved_version: int | None = None
