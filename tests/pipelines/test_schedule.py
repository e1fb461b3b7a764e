"""Schedules cut time into data intervals; a run is due when its interval is over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lakeworks.errors import InvalidInputError
from lakeworks.pipelines.schedule import Interval, Schedule, utc

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def hours(*values: int) -> list[datetime]:
    return [T0 + timedelta(hours=h) for h in values]


@pytest.mark.parametrize("spec", ["0 * * * *", "@hourly", "1h", timedelta(hours=1)])
def test_hourly_schedules_agree(spec: str | timedelta) -> None:
    s = Schedule.parse(spec)
    intervals = list(s.intervals(T0, T0 + timedelta(hours=3)))
    assert [i.start for i in intervals] == hours(0, 1, 2)
    assert [i.end for i in intervals] == hours(1, 2, 3)
    assert s.floor(T0 + timedelta(minutes=90)) == hours(1)[0]
    assert s.floor(T0) == T0


def test_intervals_start_at_the_first_whole_one() -> None:
    s = Schedule.parse("@daily")
    intervals = list(s.intervals(T0 + timedelta(hours=5), T0 + timedelta(days=3)))
    assert [i.start.day for i in intervals] == [2, 3]


def test_due_with_and_without_catch_up() -> None:
    s = Schedule.parse("1h")
    now = T0 + timedelta(hours=5, minutes=10)
    assert [i.start for i in s.due(T0, now, catchup=True)] == hours(0, 1, 2, 3, 4)
    assert s.due(T0, now, catchup=False) == [Interval(*hours(4, 5))]
    assert s.due(hours(5)[0], now, catchup=False) == []  # the latest already exists


def test_cron_with_weekdays() -> None:
    s = Schedule.parse("30 6 * * 1-5")  # 06:30 on weekdays
    starts = [i.start for i in s.intervals(T0, T0 + timedelta(days=7))]
    assert all(x.hour == 6 and x.minute == 30 and x.weekday() < 5 for x in starts)
    assert len(starts) == 4  # five weekday fire times make four whole intervals


def test_times_are_utc() -> None:
    assert utc("2026-03-01") == T0
    assert utc("2026-03-01T01:00+01:00") == T0
    with pytest.raises(InvalidInputError, match="not an ISO 8601"):
        utc("yesterday")
    assert Interval(T0, T0).key == "2026-03-01T00:00:00+00:00"
