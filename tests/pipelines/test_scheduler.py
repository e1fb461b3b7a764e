"""The scheduler: due runs, catch-up, backfill, run limits, events, recovery, exactly-once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.errors import InvalidInputError
from lakeworks.meta.models import PipelineRunRow
from lakeworks.pipelines.records import TASK_FIELDS, NewRun
from lakeworks.pipelines.scheduler import Scheduler
from lakeworks.platform import Platform


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def drain(scheduler: Scheduler, ctx: Context, name: str, seconds: float = 30) -> list:
    """Tick until no run of ``name`` is queued or running; returns its runs."""
    service = scheduler.service
    deadline = time.monotonic() + seconds
    while True:
        scheduler.tick()
        runs = service.runs(ctx, name, limit=None)
        if all(r.state not in ("queued", "running") for r in runs) and not scheduler.in_flight:
            return runs
        assert time.monotonic() < deadline, Counter(r.state for r in runs)
        time.sleep(0.02)


@pytest.mark.parametrize("catchup", [True, False])
def test_due_intervals_become_runs_that_know_their_window(
    pipelines,
    ctx,
    register,
    catchup,  # noqa: ANN001
) -> None:
    start = hour_floor(datetime.now(UTC)) - timedelta(hours=5)
    register(
        f"""
        p = Pipeline("hourly", schedule="1h", catchup={catchup}, max_active_runs=3,
                     start={start.isoformat()!r})

        @p.task
        def window(context):
            return [context.interval_start.isoformat(), context.interval_end.isoformat()]
        """
    )
    scheduler = pipelines.scheduler()
    runs = drain(scheduler, ctx, "hourly")
    expected = 5 if catchup else 1
    assert len(runs) == expected and {r.state for r in runs} == {"succeeded"}
    assert {r.trigger for r in runs} == {"schedule"}
    latest = max(runs, key=lambda r: r.interval_start)
    assert latest.interval_end == hour_floor(datetime.now(UTC))
    info = pipelines.run_info(ctx, latest.id)
    assert info.task("window").result["value"] == [
        latest.interval_start.isoformat(),
        latest.interval_end.isoformat(),
    ]
    assert scheduler.tick().created == 0  # nothing new is due in this hour


def test_max_active_runs_limits_concurrent_runs(pipelines, ctx, register) -> None:  # noqa: ANN001
    start = hour_floor(datetime.now(UTC)) - timedelta(hours=6)
    register(
        f"""
        p = Pipeline("limited", schedule="1h", catchup=True, max_active_runs=2,
                     start={start.isoformat()!r})
        p.add("slow", lambda: time.sleep(0.3))
        """
    )
    scheduler = pipelines.scheduler()
    tick = scheduler.tick()
    assert (tick.created, tick.started) == (6, 2)
    assert scheduler.tick().started == 0
    running = pipelines.runs(ctx, "limited", state="running")
    assert len(running) == 2
    runs = drain(scheduler, ctx, "limited")
    assert Counter(r.state for r in runs) == {"succeeded": 6}


def test_backfill_of_a_thousand_intervals_is_fast_and_resumable(
    pipelines,
    ctx,
    register,
    tmp_path,  # noqa: ANN001
) -> None:
    flag = tmp_path / "fixed"
    register(
        f"""
        import os
        p = Pipeline("history", schedule="1h", max_active_runs=4)

        @p.task
        def noop(context):
            if context.interval_start.isoformat() == "2025-01-02T03:00:00+00:00":
                if not os.path.exists({str(flag)!r}):
                    raise RuntimeError("bad hour")
        """
    )
    started = time.monotonic()
    result = pipelines.backfill(ctx, "history", "2025-01-01", "2025-02-11T16:00")
    elapsed = time.monotonic() - started
    assert result.intervals == result.created == 1000
    assert result.states == {"succeeded": 999, "failed": 1}
    assert elapsed < 20, f"1,000 backfill runs took {elapsed:.1f} s"

    again = pipelines.backfill(ctx, "history", "2025-01-01", "2025-02-11T16:00")
    assert (again.created, again.requeued, again.already_succeeded) == (0, 1, 999)
    assert again.states == {"failed": 1}  # still failing: nothing else re-ran

    flag.touch()
    fixed = pipelines.backfill(ctx, "history", "2025-01-01", "2025-02-11T16:00")
    assert fixed.states == {"succeeded": 1}
    runs = pipelines.runs(ctx, "history", limit=None)
    assert len(runs) == 1000 and {r.state for r in runs} == {"succeeded"}

    rerun = pipelines.backfill(
        ctx, "history", "2025-01-01", "2025-01-01T02:00", rerun_succeeded=True
    )
    assert (rerun.created, rerun.states) == (2, {"succeeded": 2})


def test_backfill_needs_a_schedule_and_whole_intervals(pipelines, ctx, register) -> None:  # noqa: ANN001
    register('p = Pipeline("adhoc")\np.add("a", lambda: 1)\n')
    with pytest.raises(InvalidInputError, match="has no schedule"):
        pipelines.backfill(ctx, "adhoc", "2025-01-01", "2025-01-02")
    register('q = Pipeline("daily", schedule="@daily")\nq.add("a", lambda: 1)\n')
    with pytest.raises(InvalidInputError, match="no whole @daily interval"):
        pipelines.backfill(ctx, "daily", "2025-01-01T01:00", "2025-01-01T05:00")


def test_a_new_table_version_triggers_a_run(pipelines, ctx, register, platform) -> None:  # noqa: ANN001
    register(
        """
        p = Pipeline("on_orders", triggers=["orders"])
        p.add("react", lambda context: context.read("orders").num_rows)
        """
    )
    scheduler = pipelines.scheduler()
    assert scheduler.tick().created == 0
    platform.tables.write(ctx, "orders", [{"id": 1}])
    assert scheduler.tick().created == 1
    assert scheduler.tick().created == 0
    platform.tables.write(ctx, "orders", [{"id": 2}])
    runs = drain(scheduler, ctx, "on_orders")
    assert sorted(r.run_key for r in runs) == ["event:orders@v0", "event:orders@v1"]
    assert {r.state for r in runs} == {"succeeded"}


def _make_stale(platform: Platform, run_id: int) -> None:
    with platform.catalog.session() as s:
        s.execute(
            update(PipelineRunRow)
            .where(PipelineRunRow.id == run_id)
            .values(heartbeat_at=datetime.now(UTC) - timedelta(hours=1))
        )


def test_a_run_left_running_by_a_dead_process_is_resumed(
    pipelines,
    ctx,
    register,
    platform,
    tmp_path,  # noqa: ANN001
) -> None:
    counts = tmp_path / "counts"
    register(
        f"""
        p = Pipeline("crashy")

        def count(name):
            with open({str(counts)!r}, "a") as f:
                f.write(name + "\\n")

        p.add("first", lambda: count("first") or 1)
        p.add("second", lambda first: count("second") or first + 1, retries=1)
        """
    )
    info = pipelines.get(ctx, "crashy")
    run = pipelines.store.create_run(info, NewRun(None, "manual", {}), "tester", "dead:1:x")
    ids = pipelines.store.add_tasks(run.id, ["first", "second"])
    done = {"result": {"value": 1, "stored": True}, "attempts": 1}
    pipelines.store.write_tasks(
        [
            {**_blank(), **done, "_id": ids["first"], "state": "succeeded"},
            {**_blank(), "_id": ids["second"], "state": "running", "attempts": 1},
        ]
    )
    _make_stale(platform, run.id)
    tick = pipelines.scheduler(stale_after=5).tick()
    assert tick.recovered == 1 and tick.started == 1
    final = pipelines.wait(ctx, run.id, timeout=10)
    assert final.state == "succeeded" and final.recoveries == 1
    assert final.task("second").attempts == 2 and final.task("second").result["value"] == 2
    assert counts.read_text().split() == ["second"]  # "first" was not redone


def test_a_run_recovered_too_often_fails_for_good(pipelines, ctx, register, platform) -> None:  # noqa: ANN001
    register('p = Pipeline("doomed")\np.add("a", lambda: 1)\n')
    info = pipelines.get(ctx, "doomed")
    run = pipelines.store.create_run(info, NewRun(None, "manual", {}), "tester", "dead:1:x")
    scheduler = pipelines.scheduler(stale_after=5, max_recoveries=0)
    _make_stale(platform, run.id)
    assert scheduler.tick().failed == 1
    final = pipelines.run_info(ctx, run.id)
    assert final.state == "failed" and "abandoned 1 times" in final.error


def test_a_killed_runner_process_is_recovered_by_the_scheduler(
    settings,
    pipelines,
    ctx,
    define,
    tmp_path,  # noqa: ANN001
) -> None:
    pids = tmp_path / "pids"
    path = define(
        f"""
        import os
        p = Pipeline("killed")

        @p.task(retries=1, retry_delay=0)
        def work():
            with open({str(pids)!r}, "a") as f:
                f.write(f"{{os.getpid()}}\\n")
            time.sleep(0 if len(open({str(pids)!r}).read().split()) > 1 else 60)
            return "done"
        """
    )
    pipelines.register(ctx, path)
    script = textwrap.dedent(
        f"""
        import lakeworks as lw
        ws = lw.connect(home={str(settings.home)!r}, user="tester", progress=False)
        ws.pipelines.run("killed")
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while not pids.exists():
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.05)
        time.sleep(0.2)  # let the journal write "running"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    [run] = pipelines.runs(ctx, "killed")
    assert run.state == "running"
    scheduler = pipelines.scheduler(stale_after=0.5)
    time.sleep(0.6)
    [final] = drain(scheduler, ctx, "killed")
    assert final.state == "succeeded" and final.recoveries == 1
    info = pipelines.run_info(ctx, final.id)
    assert info.task("work").attempts == 2 and info.task("work").result["value"] == "done"


def _blank() -> dict:
    return dict.fromkeys(TASK_FIELDS)


@pytest.mark.postgres
def test_two_schedulers_on_postgresql_start_each_due_run_once(
    postgres_catalog,
    tmp_path,
    define,  # noqa: ANN001
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=40)
    path = define(
        f"""
        import uuid
        p = Pipeline("every_second", schedule="1s", catchup=True, max_active_runs=4,
                     start={start.isoformat()!r})

        @p.task
        def mark(context):
            name = context.interval_start.strftime("%H%M%S") + "-" + uuid.uuid4().hex
            open(os.path.join({str(marks)!r}, name), "w").close()

        import os
        """
    )
    ctx = Context("default", "tester")
    platforms = [
        Platform.open(Settings.load(home=tmp_path / f"lw{i}", metadata_url=postgres_catalog))
        for i in range(2)
    ]
    platforms[0].catalog.create_workspace("default", "tester", exist_ok=True)
    platforms[0].pipelines.register(ctx, path)
    schedulers = [p.pipelines.scheduler(tick_seconds=0.02).start() for p in platforms]
    try:
        time.sleep(3)
        platforms[0].pipelines.pause(ctx, "every_second")
        service = platforms[0].pipelines
        deadline = time.monotonic() + 60
        while service.runs(ctx, "every_second", state="queued", limit=1) or service.runs(
            ctx, "every_second", state="running", limit=1
        ):
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        for scheduler in schedulers:
            scheduler.stop()
        for p in platforms:
            p.pipelines.close()
    runs = platforms[0].pipelines.runs(ctx, "every_second", limit=None)
    keys = Counter(r.run_key for r in runs)
    assert len(runs) >= 40 and max(keys.values()) == 1
    assert {r.state for r in runs} == {"succeeded"}
    executed = Counter(name.split("-")[0] for name in os.listdir(marks))
    assert len(executed) == len(runs) and max(executed.values()) == 1
    assert sum(s.totals["started"] for s in schedulers) == len(runs)
    for p in platforms:
        p.close()


def test_a_cancelled_run_of_a_dead_process_is_not_resumed(
    pipelines,
    ctx,
    register,
    platform,  # noqa: ANN001
) -> None:
    register('p = Pipeline("stopped")\np.add("a", lambda: 1)\n')
    info = pipelines.get(ctx, "stopped")
    run = pipelines.store.create_run(info, NewRun(None, "manual", {}), "tester", "dead:1:x")
    pipelines.store.add_tasks(run.id, ["a"])
    assert pipelines.cancel(ctx, run.id).state == "running"  # its owner would stop it
    _make_stale(platform, run.id)
    assert pipelines.scheduler(stale_after=5).tick().failed == 1
    final = pipelines.run_info(ctx, run.id)
    assert final.state == "cancelled" and final.task("a").state == "cancelled"
