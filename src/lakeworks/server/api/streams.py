"""/api/v1/workspaces/{ws}/streams: list, publish events, consumer lag."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from lakeworks.server.dependencies import NAME_MAX, NAME_PATTERN, ContextDep, PlatformDep, name_rule
from lakeworks.server.schemas.streams import EventsPublish, LagOut, PublishedOut, StreamOut

router = APIRouter(prefix="/api/v1/workspaces/{ws}/streams", tags=["streams"])
StreamName = name_rule("stream", example="clicks")
GroupName = Annotated[
    str, Query(pattern=NAME_PATTERN, min_length=1, max_length=NAME_MAX, examples=["clicks_sink"])
]


@router.get("")
def list_streams(ctx: ContextDep, platform: PlatformDep) -> list[StreamOut]:
    return [StreamOut.model_validate(s) for s in platform.streams.list(ctx)]


@router.post("/{stream}/events", status_code=201)
def publish(
    stream: StreamName, body: EventsPublish, ctx: ContextDep, platform: PlatformDep
) -> PublishedOut:
    """Append the events (each a JSON object) to the stream, creating it."""
    ids = platform.streams.publish(ctx, stream, body.events, body.maxlen)
    return PublishedOut(stream=stream, ids=ids)


@router.get("/{stream}/lag")
def lag(stream: StreamName, group: GroupName, ctx: ContextDep, platform: PlatformDep) -> LagOut:
    """How far the consumer group ``group`` is behind: events not delivered, not acked."""
    return LagOut.model_validate(platform.streams.lag(ctx, stream, group))
