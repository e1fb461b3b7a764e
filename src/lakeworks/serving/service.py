"""The serving service (``platform.serving``): deploy, promote, roll back and delete
endpoints, and answer predictions through their traffic policy.

Deploying loads and warms every slot's model (a predict on a sample row built from its
signature) before the new configuration is written: a model that fails to load or warm
refuses the deployment and the old configuration keeps serving.

Example:
    >>> platform.serving.deploy(ctx, "churn", "churn@champion")  # doctest: +SKIP
    >>> platform.serving.predict(ctx, "churn", [{"age": 41, "income": 52.0}])  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lakeworks.cache import BoundedCache
from lakeworks.context import Context, check_name
from lakeworks.errors import InvalidInputError, NotFoundError, UserCodeError
from lakeworks.limits import (
    SERVING_CPU_SECONDS,
    SERVING_REQUESTS,
    SERVING_REQUESTS_PER_SECOND,
    NoMeter,
    Unlimited,
)
from lakeworks.serving import keys as entity_keys
from lakeworks.serving import rollout, scoring, strategies
from lakeworks.serving.batching import Batcher
from lakeworks.serving.endpoints import (
    DEFAULT_STEPS,
    EndpointConfig,
    Slot,
    changed,
    check_strategy,
    next_config,
)
from lakeworks.serving.health import Health
from lakeworks.serving.judged import Judged
from lakeworks.serving.loop_batching import LoopBatcher
from lakeworks.serving.observed import Observed
from lakeworks.serving.prediction import (
    Deployment,
    Prediction,
    answer,
    answer_on_loop,
    sample,
    table_of,
)
from lakeworks.serving.scoring import ScoreJob, ScoreResult
from lakeworks.serving.store import EndpointStore
from lakeworks.serving.versions import VersionPoll

if TYPE_CHECKING:
    from lakeworks.config import Settings
    from lakeworks.features.service import Features
    from lakeworks.lake.tables import Tables
    from lakeworks.limits import Limits, Meter
    from lakeworks.lineage.service import Lineage
    from lakeworks.meta.catalog import Catalog
    from lakeworks.monitoring.service import Monitoring
    from lakeworks.registry.predictor import Predictor
    from lakeworks.registry.service import Registry

log = logging.getLogger("lakeworks.serving")


class Serving(Judged, Observed):
    """Endpoints of every workspace. ``features`` is kept for requests by entity key;
    ``tables`` holds the prediction log and ``monitoring`` compares it (``Observed``) and
    judges the drift of a slot's inputs for health policies."""

    def __init__(
        self,
        catalog: Catalog,
        registry: Registry,
        features: Features | None,
        settings: Settings,
        monitoring: Monitoring | None = None,
        *,
        tables: Tables | None = None,
        lineage: Lineage | None = None,
    ) -> None:
        self.registry = registry
        self.table_lineage = lineage  # the table graph, for lineage from any node
        self.tables = tables  # for batch scoring
        self.features = features
        self.settings = settings
        self.monitoring = monitoring
        self.store = EndpointStore(catalog)
        self.versions = VersionPoll(
            self.store.current_version, settings.serving_version_ttl_ms / 1000
        )
        self.health = Health(
            catalog, settings.serving_sample_rows, settings.serving_metrics_retention
        )
        self.evaluator = rollout.Evaluator(self, monitoring, None)  # every workspace's
        self.watchers: list[rollout.Watcher] = []
        # loaded predictors per (workspace, endpoint, configuration version). A configuration
        # is never edited, so an entry never goes stale: a change writes a new version (a new
        # key) and the old entry ages out; ``delete`` discards the endpoint's entries.
        self.loaded: BoundedCache[Deployment] = BoundedCache(settings.serving_cache_size)
        wait = settings.serving_batch_wait_ms / 1000
        self.batcher = Batcher(wait, settings.serving_batch_max_rows) if wait > 0 else None
        self.limits: Limits = Unlimited()  # the platform plugs in quotas and the meter
        self.meter: Meter = NoMeter()
        self.loop_batcher = LoopBatcher(settings.serving_batch_max_rows)
        self._observe(tables, monitoring)  # the prediction log

    # endpoints ---------------------------------------------------------------------
    def list(self, ctx: Context) -> list[EndpointConfig]:
        return [self.store.config(ctx.workspace, n) for n in self.store.names(ctx.workspace)]

    def show(self, ctx: Context, name: str) -> EndpointConfig:
        return self.store.config(ctx.workspace, name)

    def history(self, ctx: Context, name: str) -> list[EndpointConfig]:
        return self.store.history(ctx.workspace, name)

    def deploy(
        self,
        ctx: Context,
        name: str,
        model: Any,
        strategy: str = "blue-green",
        *,
        steps: tuple[int, ...] = DEFAULT_STEPS,
        share: int = 50,
        features: str | None = None,
        health: dict[str, Any] | None = None,
        every: Any = None,
    ) -> EndpointConfig:
        """Put ``model`` (a registry reference) behind endpoint ``name``. A new endpoint
        serves it alone; an existing one takes it by ``strategy``: blue-green switches all
        traffic at once, canary gives it ``steps[0]`` percent, A/B a fixed ``share``,
        shadow a copy of every request. ``features`` names a feature service: requests may
        then send entity keys (default: the current configuration's service, if any).
        ``health``: the policy that rolls it back (``monitoring.health``; default: the
        endpoint's current one); ``every``: a canary's steps are raised that often
        (``"10m"``) while it holds (see ``serving.rollout``)."""
        check_name("endpoint", name)
        check_strategy(strategy)
        version = self.registry.resolve(ctx, model)
        new = Slot("live", version.name, version.version)
        current = self._current(ctx, name)
        config = next_config(name, strategy, new, current, tuple(steps), share, ctx.user)
        features = features or (current.features if current else None)
        if features is not None:
            self._check_features(ctx, name, features)
        config = replace(config, features=features)
        config = replace(config, **rollout.options(current, health, every, strategy))
        return self._write(ctx, config, current)

    def set_health(self, ctx: Context, name: str, health: dict[str, Any] | None) -> EndpointConfig:
        """A new configuration with health policy ``health`` (None: none)."""
        current = self.store.config(ctx.workspace, name)
        values = rollout.options(None, health, current.every, current.strategy)
        return self.change(ctx, current, "set-health", health=values["health"])

    def change(
        self, ctx: Context, current: EndpointConfig, action: str, **values: Any
    ) -> EndpointConfig:
        """The next configuration: ``current`` with ``values``, written by ``action``
        (ConflictError when the endpoint changed since ``current`` was read)."""
        return self._write(ctx, changed(current, action, ctx.user, **values), current)

    def promote(self, ctx: Context, name: str) -> EndpointConfig:
        """Canary: the next step (the last makes the candidate live alone). A/B and
        shadow: the candidate becomes live alone. Blue-green has nothing to promote."""
        current = self.store.config(ctx.workspace, name)
        candidate = current.candidate
        if candidate is None:
            raise InvalidInputError(
                f"endpoint {name!r} has no candidate to promote (it serves {current.live.ref})",
                hint="deploy a new version with strategy canary, ab or shadow first",
                endpoint=name,
            )
        steps = current.steps
        if current.strategy == "canary" and current.share < steps[-1]:
            share = next(s for s in steps if s > current.share)
            if share < 100:
                return self._write(ctx, changed(current, "promote", ctx.user, share=share), current)
        live = replace(candidate, name="live")
        promoted = changed(current, "promote", ctx.user, slots=(live,), share=0)
        return self._write(ctx, promoted, current)

    def rollback(self, ctx: Context, name: str) -> EndpointConfig:
        """Back to the configuration before the current one, written as a new version."""
        current = self.store.config(ctx.workspace, name)
        if current.version == 1:
            raise InvalidInputError(
                f"endpoint {name!r} has no previous configuration to roll back to",
                hint="delete the endpoint or deploy another version",
                endpoint=name,
            )
        previous = self.store.config(ctx.workspace, name, current.version - 1)
        return self._write(ctx, changed(previous, "rollback", ctx.user), current)

    def delete(self, ctx: Context, name: str) -> None:
        current = self.store.current_version(ctx.workspace, name)
        self.store.delete(ctx.workspace, name)
        self.versions.forget(ctx.workspace, name)
        self.health.forget(ctx.workspace, name)
        self.loaded.discard((ctx.workspace, name, v) for v in range(1, current + 1))

    # predictions -------------------------------------------------------------------
    def predict(
        self,
        ctx: Context,
        name: str,
        rows: list[dict[str, Any]] | Any = None,
        *,
        keys: list[dict[str, Any]] | None = None,
        key: str | None = None,
        request_id: str | None = None,
    ) -> Prediction:
        """Predictions for ``rows`` (a list of objects, or an Arrow table) or for entity
        ``keys`` (the endpoint's feature service read online), from the slot the policy
        picks for ``key`` (default: the request id). A model raising for some rows, or a
        key without online values, answers per-row errors; the other rows are answered."""
        self.limits.check(ctx.workspace, SERVING_REQUESTS_PER_SECOND, adding=1)
        cpu = time.thread_time()
        request_id = request_id or uuid.uuid4().hex
        started = time.perf_counter()
        if keys is not None:
            result = self._predict_keys(ctx, name, keys, key, request_id, started)
        else:
            table = table_of(rows, self.settings.serving_max_rows, endpoint=name)
            deployment = self.deployment(ctx, name)
            result = self._answer(ctx, deployment, key, table, request_id, started)
        self._metered(ctx, name, cpu)
        return result

    async def predict_on_loop(
        self, ctx: Context, name: str, rows: Any, *, key: str | None, request_id: str
    ) -> Prediction:
        """``predict`` for rows, run on the calling event loop with natural micro-batching
        (``loop_batching``); the catalog is read only when the version poll is due."""
        self.limits.check(ctx.workspace, SERVING_REQUESTS_PER_SECOND, adding=1)
        cpu = time.thread_time()
        table = table_of(rows, self.settings.serving_max_rows, endpoint=name)
        deployment = self.deployment(ctx, name)
        route = strategies.route(deployment.config, key or request_id)
        start = time.perf_counter()
        with self._timed(deployment, route.answer, table) as answered:
            answered.append(
                await answer_on_loop(deployment, route.answer, table, request_id, self.loop_batcher)
            )
        result = self._shadowed_and_logged(ctx, deployment, route, table, answered[0], key, start)
        self._metered(ctx, name, cpu)
        return result

    def _metered(self, ctx: Context, name: str, cpu: float) -> None:
        """A request and the CPU this thread spent on it, for usage and costs."""
        self.meter.record(ctx, SERVING_REQUESTS, 1, obj=name)
        self.meter.record(ctx, SERVING_CPU_SECONDS, time.thread_time() - cpu, obj=name)

    def deployment(self, ctx: Context, name: str) -> Deployment:
        """The endpoint's current configuration with its models loaded (cached); the
        version is polled from the catalog at most every ``serving_version_ttl_ms``."""
        version = self.versions.current(ctx.workspace, name)
        key = (ctx.workspace, name, version)
        return self.loaded.get_or_make(key, lambda: self._load(ctx, name, version))

    def score(
        self,
        ctx: Context,
        name: str,
        source: str,
        into: str,
        *,
        version: int | None = None,
        mode: str = "overwrite",
    ) -> ScoreResult:
        """Score table ``source`` (at ``version``; default the latest) with the endpoint's
        live model in Arrow batches of ``serving_score_batch_rows`` and write the rows with
        the outputs to ``into`` (``mode``: overwrite or append), recording lineage."""
        if self.tables is None:
            raise InvalidInputError("this platform was built without tables: cannot score")
        check_name("table", into)
        deployment = self.deployment(ctx, name)
        slot = deployment.config.live
        job = ScoreJob(
            name, slot, source, into, version, mode, self.settings.serving_score_batch_rows
        )
        predictor = deployment.predictors[slot.name]
        return scoring.score(self.tables, ctx, predictor, job, self.settings.progress)

    # internals ---------------------------------------------------------------------
    def _predict_keys(
        self,
        ctx: Context,
        name: str,
        keys: Any,
        key: str | None,
        request_id: str,
        started: float,
    ) -> Prediction:
        """``predict`` by entity key: the rows are the online features read; those
        values and the views' versions go to the prediction log with the answer."""
        limit = self.settings.serving_max_rows
        checked = entity_keys.check_keys(keys, limit, endpoint=name)
        deployment = self.deployment(ctx, name)
        keyed = entity_keys.read(self.features, ctx, deployment.config.features, name, checked)
        table = table_of(keyed.rows, limit, endpoint=name, empty_ok=True)
        read = {"features": table, "feature_views": keyed.views}
        result = self._answer(ctx, deployment, key, table, request_id, started, read)
        return entity_keys.merge(keyed, result)

    def _answer(
        self,
        ctx: Context,
        deployment: Deployment,
        key: str | None,
        table: Any,
        request_id: str,
        started: float,
        read: dict[str, Any] | None = None,
    ) -> Prediction:
        """The routed slot's answer, timed for health, its shadow run, both logged."""
        route = strategies.route(deployment.config, key or request_id)
        if table.num_rows == 0:  # every key lacked features: nothing to ask the model
            slot, config = route.answer, deployment.config
            return Prediction(
                request_id, config.endpoint, config.version, slot.name, slot.ref, [], []
            )
        with self._timed(deployment, route.answer, table) as answered:
            answered.append(answer(deployment, route.answer, table, request_id, self.batcher))
        return self._shadowed_and_logged(
            ctx, deployment, route, table, answered[0], key, started, read
        )

    @contextmanager
    def _timed(self, deployment: Deployment, slot: Slot, table: Any) -> Iterator[list[Prediction]]:
        """Time the model call of the with-block (which appends its answer) for the slot's
        health; a refused request (InvalidInputError) is the caller's fault, not a failure."""
        answered: list[Prediction] = []
        start, failed = time.perf_counter(), True
        try:
            yield answered
            failed = any(answered[0].errors)
        except InvalidInputError:
            failed = False
            raise
        finally:
            self.health.observe(deployment, slot, time.perf_counter() - start, failed, table)

    def _shadowed_and_logged(
        self,
        ctx: Context,
        deployment: Deployment,
        route: Any,
        table: Any,
        result: Prediction,
        key: str | None,
        started: float,
        read: dict[str, Any] | None = None,
    ) -> Prediction:
        """The shadow slot run on a copy (when the route has one), then both logged."""
        shadow = None
        if route.shadow is not None:
            shadow = self._shadow(deployment, route.shadow, table, result)
        predictors = deployment.predictors
        self.log_prediction(
            ctx, result, table, key, started, shadow, predictors=predictors, **(read or {})
        )
        return result

    def _check_features(self, ctx: Context, name: str, service: str) -> None:
        if self.features is None:
            raise InvalidInputError(
                f"endpoint {name!r} names feature service {service!r}, but this platform "
                "has no feature store",
                endpoint=name,
            )
        self.features.registry.snapshot(ctx).service(service)  # NotFoundError names it

    def _current(self, ctx: Context, name: str) -> EndpointConfig | None:
        try:
            return self.store.config(ctx.workspace, name)
        except NotFoundError as exc:
            if exc.fields.get("endpoint") != name:
                raise  # the workspace, not the endpoint, is missing
            return None

    def _write(
        self, ctx: Context, config: EndpointConfig, current: EndpointConfig | None
    ) -> EndpointConfig:
        predictors = {s.name: self._warm(ctx, config, s) for s in config.slots}
        expected = current.version if current else None
        version = self.store.write(ctx.workspace, config, expected=expected)
        written = self.store.config(ctx.workspace, config.endpoint, version)
        self.versions.seen(ctx.workspace, config.endpoint, version)
        self.loaded.put(
            (ctx.workspace, config.endpoint, version),
            Deployment(ctx.workspace, written, predictors),
        )
        return written

    def _load(self, ctx: Context, name: str, version: int) -> Deployment:
        config = self.store.config(ctx.workspace, name, version)
        trusted = self.settings.serving_trusted
        slots = {
            s.name: self.registry.load(ctx, (s.model, s.version), trusted) for s in config.slots
        }
        return Deployment(ctx.workspace, config, slots)

    def _warm(self, ctx: Context, config: EndpointConfig, slot: Slot) -> Predictor:
        """The slot's model loaded and run once on a sample row; any failure refuses."""
        try:
            trusted = self.settings.serving_trusted
            predictor = self.registry.load(ctx, (slot.model, slot.version), trusted)
            if predictor.signature is not None:
                predictor.predict(sample(predictor.signature))
            return predictor
        except Exception as exc:
            raise UserCodeError(
                f"deployment to endpoint {config.endpoint!r} refused: model {slot.ref} "
                f"failed to load or warm up: {exc}",
                hint="the endpoint keeps its current configuration; fix or re-register the model",
                endpoint=config.endpoint,
                model=slot.ref,
            ) from exc

    def _shadow(
        self, deployment: Deployment, slot: Slot, table: Any, live: Prediction
    ) -> Prediction | None:
        """Run the shadow slot on a copy; its answer is logged, never returned. It counts
        in the slot's live metrics (a raise or a row error is an error) with how many of
        its answer rows equal the live ones, so a health policy can judge it."""
        start, shadow = time.perf_counter(), None
        try:
            shadow = answer(deployment, slot, table, live.request_id)
        except Exception as exc:  # a shadow never fails the request
            log.warning("shadow %s failed on request %s: %s", slot.ref, live.request_id, exc)
        seconds = time.perf_counter() - start
        # the rows the live slot answered are compared; a row the shadow failed differs
        outputs = shadow.outputs if shadow is not None else [None] * len(live.outputs)
        pairs = [(a, b) for a, b in zip(outputs, live.outputs, strict=True) if b is not None]
        same = sum(a == b for a, b in pairs)
        failed = shadow is None or any(shadow.errors)
        self.health.observe(
            deployment, slot, seconds, failed, table, compared=len(pairs), equal=same
        )
        return shadow
