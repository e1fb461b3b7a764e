"""Schedules: cron expressions and fixed intervals, with data-interval semantics.

A schedule cuts time into consecutive intervals ``[start, end)``. The run for an interval
is due once the interval is over (at ``end``) and it processes the data of that window,
as in Airflow. Times are UTC.

Example:
    >>> s = Schedule.parse("0 * * * *")
    >>> [i.start.hour for i in s.intervals(datetime(2026, 1, 1, tzinfo=UTC),
    ...                                    datetime(2026, 1, 1, 3, tzinfo=UTC))]
    [0, 1, 2]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import croniter

from lakeworks.errors import InvalidInputError

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Interval:
    """The window of data one scheduled run covers."""

    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        """The run key that makes this interval's run unique for a pipeline."""
        return self.start.isoformat()


@dataclass(frozen=True)
class Schedule:
    """A cron expression (``cron``) or a fixed period (``every``), never both."""

    cron: str | None = None
    every: timedelta | None = None

    @classmethod
    def parse(cls, value: str | timedelta) -> Schedule:
        """Read ``"*/5 * * * *"``, ``"@daily"``, ``"15m"`` / ``"2h"`` / ``"1d"`` or a timedelta."""
        if isinstance(value, timedelta):
            if value <= timedelta(0):
                raise InvalidInputError(f"schedule interval {value} must be positive")
            return cls(every=value)
        if not isinstance(value, str):
            raise InvalidInputError(
                f"schedule {value!r} must be a cron string or a timedelta",
                hint="e.g. '0 * * * *', '@daily', '15m' or timedelta(hours=1)",
            )
        if match := _DURATION.match(value):
            amount, unit = match.groups()
            return cls.parse(timedelta(**{_UNITS[unit]: int(amount)}))
        if not croniter.is_valid(value):
            raise InvalidInputError(
                f"invalid cron expression {value!r}",
                hint="five fields 'minute hour day-of-month month day-of-week', "
                "e.g. '0 3 * * *', or '@hourly' / '@daily', or a period like '15m'",
                schedule=value,
            )
        return cls(cron=value)

    @property
    def text(self) -> str:
        if self.cron:
            return self.cron
        seconds = int(self.every.total_seconds())
        return f"{seconds}s"

    def floor(self, moment: datetime) -> datetime:
        """The latest interval boundary at or before ``moment``."""
        moment = _utc(moment)
        if self.every is not None:
            periods = (moment - _EPOCH) // self.every
            return _EPOCH + periods * self.every
        it = croniter(self.cron, moment + timedelta(microseconds=1))
        return it.get_prev(datetime).astimezone(UTC)

    def next_boundary(self, boundary: datetime) -> datetime:
        if self.every is not None:
            return boundary + self.every
        return croniter(self.cron, boundary).get_next(datetime).astimezone(UTC)

    def intervals(self, start: datetime, end: datetime) -> Iterator[Interval]:
        """Every whole interval inside ``[start, end)``, the first one starting at or after
        ``start``'s boundary."""
        start, end = _utc(start), _utc(end)
        lower = self.floor(start)
        if lower < start:
            lower = self.next_boundary(lower)
        while True:
            upper = self.next_boundary(lower)
            if upper > end:
                return
            yield Interval(lower, upper)
            lower = upper

    def due(self, after: datetime, now: datetime, catchup: bool) -> list[Interval]:
        """The intervals over by ``now`` that start at or after ``after``.

        Without catch-up only the most recent one is due (missed ones are skipped).
        """
        if not catchup:
            end = self.floor(now)
            latest = self.previous_interval(end)
            return [latest] if latest.start >= _utc(after) else []
        return list(self.intervals(after, now))

    def previous_interval(self, end: datetime) -> Interval:
        """The interval that ends at the boundary ``end``."""
        if self.every is not None:
            return Interval(end - self.every, end)
        start = croniter(self.cron, end).get_prev(datetime).astimezone(UTC)
        return Interval(start, end)


def _utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones are converted."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc(moment: datetime | str) -> datetime:
    """A UTC datetime from a datetime or an ISO 8601 string (``2026-01-01`` works)."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError as exc:
            raise InvalidInputError(
                f"{moment!r} is not an ISO 8601 date or time", hint="e.g. 2026-01-31T00:00Z"
            ) from exc
    return _utc(moment)
