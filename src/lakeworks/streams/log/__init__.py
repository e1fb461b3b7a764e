"""Event log backends behind one interface (``base.EventLog``); ``open_log`` picks one
from the settings: Redis Streams for ``events_url=redis://...``, else the SQLite file
``<home>/events.db``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeworks.errors import InvalidInputError
from lakeworks.streams.log.base import Event, EventLog, GroupInfo, StreamInfo

if TYPE_CHECKING:
    from lakeworks.config import Settings

__all__ = ["Event", "EventLog", "GroupInfo", "StreamInfo", "open_log"]


def open_log(settings: Settings) -> EventLog:
    url = settings.events_url
    if url is None:
        from lakeworks.streams.log.sqlite import SqliteEventLog

        return SqliteEventLog(settings.home / "events.db")
    if url.startswith(("redis://", "rediss://", "unix://")):
        from lakeworks.streams.log.redis import RedisEventLog

        return RedisEventLog(url)
    if url.startswith("sqlite:///"):
        from lakeworks.streams.log.sqlite import SqliteEventLog

        return SqliteEventLog(url.removeprefix("sqlite:///"))
    raise InvalidInputError(
        f"events_url {url!r} is not a Redis or SQLite URL",
        hint="use redis://host:6379/0, or sqlite:///path/events.db, or leave it unset",
        setting="events_url",
    )
