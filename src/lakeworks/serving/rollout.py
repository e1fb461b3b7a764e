"""Roll-outs that run themselves: canary steps raised on schedule while the health policy
holds, and automatic rollback when it breaks.

Each round (every ``serving_health_interval`` seconds, on a ``Watcher`` thread inside
``lakeworks server``, or in the SDK after ``ws.endpoints.watch()``), for each endpoint:

- a **canary, A/B or shadow** with a candidate: the candidate's traffic since its
  roll-out began (at most ``window`` seconds back, every process's) is judged by the
  policy; a breach writes a configuration with the live slot alone
  (``action="auto-rollback"``, the breach as ``reason``) and alerts. A shadow answered
  no one, so removing it changes no answer; its ``min_agreement`` with the live answers
  is judged too. A canary that holds, answered ``min_requests`` requests in
  that span and has been at its step ``every`` seconds is raised to the next step
  (``action="auto-promote"``);
- a version that took **all traffic** (a blue-green deploy, a final promote) less than
  ``watch`` seconds ago is judged the same way; a breach switches back to the version
  that was live before it. The old version gets no traffic then, so a named live metric
  is judged by the policy's absolute ``min_metric`` / ``max_metric`` (``metric_drop``
  finds no labelled baseline rows).

A policy's ``drift`` compares the inputs the subject's model received (and, without a
reference table, those the baseline received before it) as read from the prediction log,
so every replica's requests count; with the log off, this process's own sample.

Writes are optimistic (``expected=`` the version judged), so several processes on one
catalog may all run watchers: one wins each change, the others find the endpoint changed
and judge the new configuration on their next round.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from lakeworks.context import Context
from lakeworks.errors import ConflictError, InvalidInputError, LakeworksError
from lakeworks.meta.models import EndpointRow
from lakeworks.monitoring.health import Breach, HealthPolicy, SlotStats, judge, seconds_of
from lakeworks.monitoring.live import Counts
from lakeworks.quality import alerts
from lakeworks.serving import logged
from lakeworks.serving.store import now_ms

if TYPE_CHECKING:
    from lakeworks.meta.catalog import Catalog
    from lakeworks.monitoring.service import Monitoring
    from lakeworks.serving.endpoints import EndpointConfig, Slot
    from lakeworks.serving.service import Serving

log = logging.getLogger("lakeworks.serving.rollout")
USER = "lakeworks"  # who writes automatic changes
WATCHED_ACTIONS = ("deploy", "promote", "auto-promote")


@dataclass(frozen=True)
class Subject:
    """What a round judges: a model (``slot``) since ``since_ms`` against ``baseline``."""

    config: EndpointConfig
    slot: Slot
    baseline: Slot
    since_ms: int
    policy: HealthPolicy | None


class Evaluator:
    """One round of judgement over the endpoints of ``workspaces`` (None: all)."""

    def __init__(
        self, serving: Serving, monitoring: Monitoring | None, workspaces: list[str] | None
    ) -> None:
        self.serving = serving
        self.monitoring = monitoring
        self.workspaces = workspaces

    def run_once(self) -> list[EndpointConfig]:
        """Flush this process's counts, then judge every endpoint; the changes written."""
        self.serving.health.flush()
        names = self.workspaces or [w.name for w in self.serving.store.catalog.workspaces()]
        changes = []
        for workspace in names:
            ctx = Context(workspace=workspace, user=USER)
            for endpoint in self.serving.store.names(workspace):
                try:
                    change = self.evaluate(ctx, endpoint)
                except ConflictError:
                    change = None  # changed meanwhile (another process): judged next round
                except LakeworksError as exc:
                    log.warning("health of endpoint %s/%s: %s", workspace, endpoint, exc)
                    change = None
                if change is not None:
                    changes.append(change)
        return changes

    def evaluate(self, ctx: Context, endpoint: str) -> EndpointConfig | None:
        """Judge ``endpoint`` once: the configuration written (a rollback or a step), or
        None when nothing changed."""
        history = self.serving.store.history(ctx.workspace, endpoint)
        subject = _subject(history)
        if subject is None or subject.policy is None and subject.config.every is None:
            return None
        stats, baseline = self._stats(ctx, subject)
        breach = None
        if subject.policy is not None:
            if subject.policy.watches_metric:
                stats = self._metric(ctx, subject, stats)
                if subject.policy.metric_drop is not None:  # a bound alone needs no baseline
                    baseline = self._metric(ctx, subject, baseline)
            drift = self._drift(ctx, subject) if subject.policy.watches_drift else None
            breach = judge(subject.policy, stats, drift=drift, baseline=baseline)
        if breach is not None:
            return self._roll_back(ctx, subject, breach)
        if _step_due(subject, stats):
            return self.serving.change(ctx, subject.config, "auto-promote", **_next_step(subject))
        return None

    def _stats(self, ctx: Context, subject: Subject) -> tuple[SlotStats, SlotStats]:
        policy = subject.policy or HealthPolicy()
        now = now_ms()
        since = max(subject.since_ms, now - int(policy.window * 1000))
        found = self.serving.health.window(ctx.workspace, subject.config.endpoint, since)
        seconds = (now - since) / 1000

        def of(slot: Slot) -> SlotStats:
            counts = Counts()
            for (_, model), c in found.items():
                if model == slot.ref:
                    counts.merge(c)
            return SlotStats.of(slot.ref, counts, seconds)

        return of(subject.slot), of(subject.baseline)

    def _metric(self, ctx: Context, subject: Subject, stats: SlotStats) -> SlotStats:
        """``stats`` with the policy's named live metric of its model since the roll-out
        began (at most ``window`` back), from the prediction log and its labels, so every
        replica's requests and labels count; unchanged with the log off."""
        policy = subject.policy
        assert policy is not None and policy.metric is not None
        if self.serving.predictions is None or self.serving.tables is None:
            return stats
        slot = subject.slot if stats.model == subject.slot.ref else subject.baseline
        since = max(subject.since_ms, now_ms() - int(policy.window * 1000))
        endpoint = subject.config.endpoint
        value, n = self.serving.slot_metric(ctx, endpoint, slot, since, policy.metric)
        return replace(stats, metric=value, metric_n=n)

    def _drift(self, ctx: Context, subject: Subject) -> float | None:
        """The share of the subject's input columns that drifted from the reference (None
        while either side has fewer rows than ``min_requests``)."""
        policy = subject.policy
        assert policy is not None
        since = max(subject.since_ms, now_ms() - int(policy.window * 1000))
        current = self._inputs(ctx, subject, subject.slot, since)
        reference: Any = policy.drift_reference
        if reference is None:
            before = subject.since_ms - int(policy.window * 1000)
            reference = self._inputs(ctx, subject, subject.baseline, before)
            if reference is None or reference.num_rows < policy.min_requests:
                return None
        if current is None or current.num_rows < policy.min_requests or self.monitoring is None:
            return None
        # the inputs' columns: a reference table may hold more (the target, ids)
        return self.monitoring.compare(ctx, reference, current, columns=current.column_names).share

    def _inputs(self, ctx: Context, subject: Subject, slot: Slot, since_ms: int) -> Any:
        """The inputs ``slot``'s model received at the endpoint since ``since_ms``: from
        the prediction log, so every replica's requests count (each replica writes its log
        every ``serving_log_flush_interval``); this process's sample when the log is off."""
        endpoint = subject.config.endpoint
        log = self.serving.predictions
        if log is None or self.serving.tables is None:
            return self.serving.health.live.inputs(ctx.workspace, endpoint, slot.ref, since_ms)
        query = logged.Query(endpoint=endpoint, since_us=since_ms * 1000)
        rows = logged.predictions(ctx, self.serving.tables, log, query)
        limit = self.serving.settings.serving_sample_rows
        return logged.inputs_of(rows, slot.model, slot.version, limit)

    def _roll_back(self, ctx: Context, subject: Subject, breach: Breach) -> EndpointConfig:
        config = subject.config
        reason = {**breach.to_dict(), "from_version": config.version}
        restored = replace(subject.baseline, name="live")
        written = self.serving.change(
            ctx, config, "auto-rollback", slots=(restored,), share=0, reason=reason
        )
        log.warning(
            "endpoint %s/%s rolled back to %s: %s",
            ctx.workspace,
            config.endpoint,
            restored.ref,
            breach.reason,
        )
        if subject.policy is not None and subject.policy.webhook:
            alerts.post({subject.policy.webhook}, _alert(ctx, written, subject, breach))
        return written


def has_endpoints(catalog: Catalog) -> bool:
    """Whether any workspace has an endpoint (the server's watcher loads serving only then)."""
    with catalog.session() as s:
        return s.scalars(select(EndpointRow.id).limit(1)).first() is not None


def options(
    current: EndpointConfig | None, health: dict[str, Any] | None, every: Any, strategy: str
) -> dict[str, Any]:
    """A deployment's ``health`` (checked; default: ``current``'s) and ``every``."""
    if every is not None and strategy != "canary":
        raise InvalidInputError(
            f"every= raises canary steps on a schedule; strategy {strategy!r} has none",
            hint="deploy with strategy='canary', or leave every out",
            expected="canary",
            found=strategy,
        )
    if health is None:
        policy = current.health if current is not None else None
    else:
        policy = HealthPolicy.from_dict(health).to_dict()
    seconds = None if every is None else seconds_of(every, "every")
    return {"health": policy, "every": seconds, "reason": None}


def _subject(history: list[EndpointConfig]) -> Subject | None:
    """What the current configuration (the last of ``history``) puts under watch."""
    current = history[-1]
    policy = HealthPolicy.from_dict(current.health) if current.health else None
    candidate = current.candidate
    if candidate is not None and current.strategy in ("canary", "ab", "shadow"):
        start = current.created_ms
        for config in reversed(history[:-1]):  # since the candidate first took traffic
            if config.candidate is None or config.candidate.ref != candidate.ref:
                break
            start = config.created_ms
        return Subject(current, candidate, current.live, start, policy)
    if candidate is not None or policy is None or len(history) < 2:
        return None
    previous = history[-2]
    recent = now_ms() - current.created_ms < policy.watch * 1000
    switched = previous.live.ref != current.live.ref
    if recent and switched and current.action in WATCHED_ACTIONS:
        config = replace(current, every=None)
        return Subject(config, current.live, previous.live, current.created_ms, policy)
    return None


def _step_due(subject: Subject, stats: SlotStats) -> bool:
    config = subject.config
    if config.strategy != "canary" or config.every is None or config.candidate is None:
        return False
    enough = subject.policy is None or stats.requests >= subject.policy.min_requests
    return enough and now_ms() - config.created_ms >= config.every * 1000


def _next_step(subject: Subject) -> dict[str, Any]:
    config = subject.config
    share = next((s for s in config.steps if s > config.share), 100)
    if share < 100:
        return {"share": share, "reason": None}
    return {"slots": (replace(subject.slot, name="live"),), "share": 0, "reason": None}


def _alert(ctx: Context, written: EndpointConfig, subject: Subject, breach: Breach) -> dict:
    return {
        "kind": "endpoint-rollback",
        "workspace": ctx.workspace,
        "endpoint": written.endpoint,
        "config_version": written.version,
        "rolled_back": subject.slot.ref,
        "serving": written.live.ref,
        "policy": breach.policy,
        "threshold": breach.threshold,
        "observed": breach.observed,
        "window": breach.window,
        "summary": breach.reason,
    }


class Watcher:
    """A daemon thread calling ``run`` (a round) every ``interval`` seconds until
    ``stop``. The server passes a round that builds the serving service on first use, so
    a server that never serves never loads it."""

    def __init__(self, run: Callable[[], object], interval: float) -> None:
        self.run = run
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lw-health", daemon=True)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run()
            except Exception:  # a failing round (catalog away) never ends the watcher
                log.exception("endpoint health round failed")
