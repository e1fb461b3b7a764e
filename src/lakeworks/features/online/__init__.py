"""Online stores: ``base.py`` is the interface, one file per backend."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from lakeworks.errors import InvalidInputError
from lakeworks.features.online.base import OnlineStore

if TYPE_CHECKING:
    from lakeworks.config import Settings


def store_from_settings(settings: Settings) -> OnlineStore:
    """SQLite under the home by default; Redis when ``online_url`` is ``redis://...``."""
    url = getattr(settings, "online_url", None)
    if not url:
        from lakeworks.features.online.sqlite import SqliteOnlineStore

        return SqliteOnlineStore((settings.home / "online.db").resolve())
    if url.startswith(("redis://", "rediss://", "unix://")):
        from lakeworks.features.online.redis import RedisOnlineStore

        # ?prefix=team-a puts the keys under "team-a:" instead of "lw:" (a shared Redis)
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        prefix = query.pop("prefix", ["lw"])[-1]
        rest = urlencode(query, doseq=True)
        return RedisOnlineStore(urlunsplit(parts._replace(query=rest)), prefix=prefix)
    if url.startswith("sqlite:///"):
        from pathlib import Path

        from lakeworks.features.online.sqlite import SqliteOnlineStore

        return SqliteOnlineStore(Path(url.removeprefix("sqlite:///")))
    raise InvalidInputError(
        f"unknown online store URL {url!r}",
        hint="use redis://host:6379/0, or leave LAKEWORKS_ONLINE_URL unset for SQLite",
    )


__all__ = ["OnlineStore", "store_from_settings"]
