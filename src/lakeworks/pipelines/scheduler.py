"""The scheduler: creates due runs, starts queued ones, and recovers abandoned ones.

Each ``tick``:
1. runs left "running" by a process that stopped heartbeating are requeued (their
   succeeded tasks are kept) or, after ``max_recoveries``, failed;
2. every unpaused pipeline gets a run per due schedule interval (all missed ones with
   catch-up, else only the latest), per new version of a trigger table and per batch of
   events on a trigger stream (``stream_triggers.py``);
3. queued runs are claimed, within each pipeline's max_active_runs, and executed here.

Several schedulers may share one PostgreSQL catalog: runs are created with a unique key
per (pipeline, interval) and claimed by compare-and-set, so each due run starts once.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from lakeworks.context import Context
from lakeworks.errors import LakeworksError
from lakeworks.meta.catalog import now
from lakeworks.pipelines import stream_triggers
from lakeworks.pipelines.records import NewRun, PipelineInfo
from lakeworks.pipelines.schedule import Schedule
from lakeworks.pipelines.stream_triggers import StreamTrigger

if TYPE_CHECKING:
    from lakeworks.pipelines.service import Pipelines

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tick:
    """What one tick did."""

    created: int
    started: int
    recovered: int
    failed: int


class Scheduler:
    """Args:
    tick_seconds: pause between ticks in ``run_forever``.
    stale_after: seconds without a heartbeat after which a running run is recovered.
    max_recoveries: recoveries of one run before it is failed for good.
    max_parallel_runs: runs this scheduler executes at the same time.
    """

    def __init__(
        self,
        service: Pipelines,
        *,
        tick_seconds: float = 1.0,
        stale_after: float = 30.0,
        max_recoveries: int = 3,
        max_parallel_runs: int = 16,
    ) -> None:
        self.service = service
        self.store = service.store
        self.tick_seconds = tick_seconds
        self.stale_after = stale_after
        self.max_recoveries = max_recoveries
        self.max_parallel_runs = max_parallel_runs
        self._pool = ThreadPoolExecutor(max_parallel_runs, thread_name_prefix="lw-scheduled")
        self._in_flight: set[Future] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.totals: Counter[str] = Counter()  # created, started, recovered, failed so far

    def tick(self, moment: datetime | None = None) -> Tick:
        moment = moment or now()
        requeued, failed = self.store.recover_stale(
            moment - timedelta(seconds=self.stale_after), self.max_recoveries
        )
        pipelines = {p.id: p for p in self.store.pipelines()}
        active = [p for p in pipelines.values() if not p.paused]
        created = sum(self._create_due(p, moment) for p in active)
        created += sum(self._create_for_events(p) for p in active if p.summary.get("triggers"))
        streamed = [p for p in active if p.summary.get("stream_triggers")]
        created += sum(self._create_for_streams(p, moment) for p in streamed)
        started = self._start_queued(pipelines)
        tick = Tick(created, started, len(requeued), len(failed))
        self.totals.update(asdict(tick))
        return tick

    @property
    def in_flight(self) -> int:
        self._in_flight = {f for f in self._in_flight if not f.done()}
        return len(self._in_flight)

    def run_forever(self) -> None:
        """Tick until ``stop()``; errors of one tick are logged and the next tick retries."""
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("scheduler tick failed")
            self._stop.wait(self.tick_seconds)

    def start(self) -> Scheduler:
        """Tick in a background thread (what ``lakeworks server`` does)."""
        self._thread = threading.Thread(target=self.run_forever, name="lw-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self, wait: bool = True) -> None:
        """Stop ticking; with ``wait``, let the runs in flight finish first."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._pool.shutdown(wait=wait, cancel_futures=True)

    # internals --------------------------------------------------------------------
    def _create_due(self, info: PipelineInfo, moment: datetime) -> int:
        if not info.schedule:
            return 0
        schedule = Schedule.parse(info.schedule)
        after = self.store.latest_interval_end(info.id) or info.start_at or schedule.floor(moment)
        due = schedule.due(after, moment, info.catchup)
        if not due:
            return 0
        params = self._default_params(info)
        if params is None:
            return 0
        runs = [NewRun(i.key, "schedule", params, i.start, i.end) for i in due]
        self.store.create_runs(info, runs, info.created_by, info.principal)
        return len(runs)

    def _create_for_events(self, info: PipelineInfo) -> int:
        ctx = Context(info.workspace, info.created_by)
        state = dict(info.trigger_state)
        runs = []
        for table in info.summary.get("triggers", []):
            version = self.service._table_version(ctx, table)
            if version > state.get(table, -1):
                state[table] = version
                runs.append(NewRun(f"event:{table}@v{version}", "event", {}))
        if runs:
            params = self._default_params(info)
            if params is None:
                return 0
            runs = [NewRun(r.run_key, r.trigger, params) for r in runs]
            self.store.create_runs(info, runs, info.created_by, info.principal)
            self.store.set_pipeline(info.id, trigger_state=state)
        return len(runs)

    def _create_for_streams(self, info: PipelineInfo, moment: datetime) -> int:
        """Runs for the batches of events waiting on the pipeline's streams."""
        if self.service.streams is None:
            return 0
        streams, ctx = self.service.streams(), Context(info.workspace, info.created_by)
        state, created = dict(info.trigger_state), 0
        for spec in info.summary["stream_triggers"]:
            trigger = StreamTrigger(**spec)
            try:
                run = stream_triggers.due_run(streams, ctx, info.name, trigger, state, moment)
                params = None if run is None else self._default_params(info)
                if run is not None and params is not None:
                    self.store.create_runs(
                        info, [replace(run, params=params)], info.created_by, info.principal
                    )
                    stream_triggers.done(streams, ctx, info.name, trigger, run)
                    state.pop(f"stream:{trigger.stream}", None)
                    created += 1
            except LakeworksError as exc:  # a stream gone or the log down: the next tick
                log.warning("stream trigger of %s/%s: %s", info.workspace, info.name, exc)
        if state != info.trigger_state:
            self.store.set_pipeline(info.id, trigger_state=state)
        return created

    def _default_params(self, info: PipelineInfo) -> dict | None:
        try:
            pipeline = self.service.definition(Context(info.workspace, info.created_by), info.name)
            return pipeline.encode_params(pipeline.bind_params({}))
        except Exception as exc:  # a broken file must not stop other pipelines
            log.warning("cannot schedule pipeline %s/%s: %s", info.workspace, info.name, exc)
            return None

    def _start_queued(self, pipelines: dict[int, PipelineInfo]) -> int:
        started = 0
        for pipeline_id in sorted(self.store.queued_pipeline_ids()):
            room = self.max_parallel_runs - self.in_flight
            info = pipelines.get(pipeline_id)
            if room <= 0:
                break
            if info is None:
                continue
            for run in self.store.claim(info, self.service.owner, room):
                self._in_flight.add(self._pool.submit(self.service.execute, run))
                started += 1
        return started
