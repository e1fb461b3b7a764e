"""Pipelines started by events on a stream, batched: at most one run per N events or
T seconds, one run per batch even when the scheduler dies between creating the run and
acknowledging the events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError
from lakeworks.meta.catalog import now
from lakeworks.pipelines import StreamTrigger, stream_triggers
from lakeworks.platform import Platform

from .test_scheduler import drain

SOURCE = """
    from lakeworks.pipelines import StreamTrigger
    p = Pipeline("on_clicks", stream_triggers=[StreamTrigger("clicks", events=100, seconds=30)])
    p.add("react", lambda: 1)
    """


def test_a_run_per_n_events_or_t_seconds_never_more(pipelines, ctx, register, platform) -> None:  # noqa: ANN001
    platform.streams.publish(ctx, "clicks", [{"id": -1}])  # before the pipeline: not counted
    register(SOURCE)
    scheduler = pipelines.scheduler()
    assert scheduler.tick().created == 0
    platform.streams.publish(ctx, "clicks", [{"id": i} for i in range(99)])
    assert scheduler.tick().created == 0  # 99 < 100 and not 30 s old
    platform.streams.publish(ctx, "clicks", [{"id": 99}, {"id": 100}])
    assert scheduler.tick().created == 1  # 101 waiting: one run covers them all
    assert scheduler.tick().created == 0
    platform.streams.publish(ctx, "clicks", [{"id": 101}])
    assert scheduler.tick().created == 0
    later = now() + timedelta(seconds=31)
    assert scheduler.tick(later).created == 1  # the one event waited 30 s
    runs = drain(scheduler, ctx, "on_clicks")
    assert len(runs) == 2 and {r.state for r in runs} == {"succeeded"}
    assert {r.trigger for r in runs} == {"stream"}
    assert platform.streams.lag(ctx, "clicks", "pipeline_on_clicks").pending == 0


def test_a_scheduler_dying_before_the_ack_creates_the_run_once(
    pipelines,  # noqa: ANN001
    ctx: Context,
    register,  # noqa: ANN001
    platform: Platform,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    register(SOURCE)
    scheduler = pipelines.scheduler()
    scheduler.tick()
    platform.streams.publish(ctx, "clicks", [{"id": i} for i in range(150)])

    def dies(*args: object) -> None:
        raise KeyboardInterrupt("killed before the acknowledgement")

    monkeypatch.setattr(stream_triggers, "done", dies)
    with pytest.raises(KeyboardInterrupt):
        scheduler.tick()
    monkeypatch.undo()
    scheduler.tick()  # the same events again: the same run key, refused as a duplicate
    runs = drain(scheduler, ctx, "on_clicks")
    assert len(runs) == 1
    assert platform.streams.lag(ctx, "clicks", "pipeline_on_clicks").pending == 0


def test_a_bad_trigger_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="events >= 1"):
        StreamTrigger("clicks", events=0)
    with pytest.raises(InvalidInputError, match="stream"):
        StreamTrigger("bad name!")
