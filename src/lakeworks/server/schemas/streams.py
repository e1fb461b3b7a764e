"""Request and response bodies of /api/v1/workspaces/{ws}/streams."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from lakeworks.server.schemas.base import ROWS_MAX, RecordOut


class EventsPublish(BaseModel):
    events: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=ROWS_MAX,
        description="JSON objects, published in order as one event each",
        examples=[[{"user_id": 7, "page": "/pricing"}]],
    )
    maxlen: int | None = Field(
        default=None, ge=1, description="keep about this many newest events (retention)"
    )


class PublishedOut(BaseModel):
    stream: str
    ids: list[str] = Field(description="the events' ids, in the order they were sent")


class StreamOut(RecordOut):
    name: str
    length: int = Field(description="events in the stream now")
    first_id: str | None
    last_id: str | None
    groups: int = Field(description="consumer groups reading it")


class LagOut(RecordOut):
    stream: str
    group: str = Field(validation_alias="name")
    lag: int = Field(description="events not yet delivered to the group")
    pending: int = Field(description="events delivered and not acknowledged")
    consumers: int
    last_delivered: str | None
