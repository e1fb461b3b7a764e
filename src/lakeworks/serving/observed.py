"""What the serving service knows from its prediction log: feedback, live model metrics,
the A/B read-out, endpoint drift and prediction lineage. ``Serving`` takes these methods
from ``Observed``; they read the log through the table store and compare through the
monitoring service, both handed to ``Serving`` by the composition root.

Example:
    >>> window_of("90m")
    datetime.timedelta(seconds=5400)
"""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pyarrow.compute as pc

from lakeworks.errors import InvalidInputError
from lakeworks.serving import drift, feedback, graph, logged, readout, trace
from lakeworks.serving.log import PredictionLog
from lakeworks.serving.records import LogEntry, output_value

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pyarrow as pa

    from lakeworks.config import Settings
    from lakeworks.context import Context
    from lakeworks.features.service import Features
    from lakeworks.lake.tables import Tables
    from lakeworks.lineage.service import Lineage
    from lakeworks.monitoring.service import Monitoring
    from lakeworks.registry.predictor import Predictor
    from lakeworks.registry.service import Registry
    from lakeworks.serving.endpoints import EndpointConfig, Slot
    from lakeworks.serving.prediction import Deployment, Prediction
    from lakeworks.serving.store import EndpointStore

_WINDOW = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def window_of(window: str | float | timedelta) -> timedelta:
    """``"90s"``, ``"15m"``, ``"1h"``, ``"7d"``, seconds, or a timedelta."""
    if isinstance(window, timedelta):
        seconds = window.total_seconds()
    elif isinstance(window, int | float):
        seconds = float(window)
    else:
        found = _WINDOW.match(str(window).strip())
        seconds = float(found.group(1)) * _UNIT[found.group(2)] if found else -1
    if seconds <= 0:
        raise InvalidInputError(
            f"a window is a positive duration like '15m', '1h' or '7d', not {window!r}",
            expected="<number><s|m|h|d>",
            found=str(window),
        )
    return timedelta(seconds=seconds)


class Observed:
    """The prediction log and what is read from it (mixed into ``Serving``)."""

    settings: Settings
    registry: Registry
    store: EndpointStore
    features: Features | None
    table_lineage: Lineage | None

    def _observe(self, tables: Tables | None, monitoring: Monitoring | None) -> None:
        self.tables = tables
        self.monitoring = monitoring
        on = self.settings.serving_log and tables is not None
        self.predictions = PredictionLog(tables, self.settings) if on else None

    def deployment(self, ctx: Context, name: str) -> Deployment:
        raise NotImplementedError  # Serving's

    def log_prediction(
        self,
        ctx: Context,
        result: Prediction,
        inputs: pa.Table,
        key: str | None,
        started: float,
        shadow: Prediction | None = None,
        *,
        features: pa.Table | None = None,
        feature_views: dict[str, int] | None = None,
        predictors: Mapping[str, Predictor] | None = None,
    ) -> None:
        """Hand one answered request (and its shadow's answer) to the prediction log.

        ``features``: the online feature values read for a request by entity key (one
        row per input row), with ``feature_views`` the versions of the views read.
        ``predictors``: the deployment's models by slot; the log scores a binary
        classifier's rows with them on its writer thread (``records.scores_of``).
        """
        if self.predictions is None:
            return
        latency = (time.perf_counter() - started) * 1000
        now = int(time.time() * 1e6)
        read = {"features": features, "feature_views": dict(feature_views or {})}
        for answer, returned in ((result, True), (shadow, False)):
            if answer is not None:
                predictor = predictors.get(answer.slot) if predictors is not None else None
                entry = LogEntry(
                    ctx.workspace, answer, inputs, key, latency, now, returned,
                    predictor=predictor, **read,
                )  # fmt: skip
                self.predictions.record(entry)

    def close_log(self) -> None:
        """Write what the prediction log buffers and stop its thread."""
        if self.predictions is not None:
            self.predictions.close()

    # feedback and metrics ----------------------------------------------------------
    def feedback(
        self,
        ctx: Context,
        name: str,
        *,
        label: Any,
        request_id: str | None = None,
        key: str | None = None,
        row: int | None = None,
    ) -> feedback.FeedbackResult:
        """Record the true ``label`` of a logged prediction, by ``request_id`` or by the
        latest request with ``key``; a list labels each row of the request."""
        self.store.config(ctx.workspace, name)  # the endpoint must exist
        found = feedback.record(
            ctx, self._tables(), self.predictions, name,
            label=label, request_id=request_id, key=key, row=row,
        )  # fmt: skip
        for outcome in found.outcomes:
            self.labelled(ctx.workspace, name, outcome)
        return found

    def labelled(self, workspace: str, endpoint: str, outcome: feedback.Outcome) -> None:
        """Called once per labeled row after its label is written: where live health
        metrics take labeled outcomes (``Health.label``) once they exist."""

    def live_metrics(
        self, ctx: Context, name: str, window: str | float | timedelta = "1h"
    ) -> dict[str, readout.ModelMetrics]:
        """Per slot of the current configuration: the metrics of its model version over
        the predictions of the last ``window`` that have labels (see ``serving.readout``)."""
        return _metrics(*self._labeled(ctx, name, window))

    def slot_metric(
        self, ctx: Context, name: str, slot: Slot, since_ms: int, metric: str
    ) -> tuple[float | None, int]:
        """``metric`` (a key of ``health.LIVE_METRICS``) of what ``slot``'s model answered at
        ``name`` since ``since_ms`` (a shadow's answers too), over the rows labelled so far,
        and how many rows it was computed over (None while it cannot be computed yet):
        what a health policy naming a live metric judges."""
        query = logged.Query(endpoint=name, since_us=since_ms * 1000)
        rows = _answered_by(logged.predictions(ctx, self._tables(), self.predictions, query), slot)
        # a label is given after its answer: labels older than the window label none of it
        labels = _latest_labels(logged.feedback(ctx, self._tables(), query))
        mine = rows.select(["request_id", "row", "output", "score"]).to_pylist()
        found = [(r, labels[(r["request_id"], r["row"])]) for r in mine
                 if (r["request_id"], r["row"]) in labels]  # fmt: skip
        scores = [_score(r) for r, _ in found]
        values = readout.metrics_of(
            [output_value(r["output"]) for r, _ in found],
            [label for _, label in found],
            classifier=metric in ("accuracy", "auc"),
            scores=scores,
        )
        counted = sum(s is not None for s in scores) if metric == "auc" else len(found)
        return values.get(metric), counted

    def ab_readout(
        self,
        ctx: Context,
        name: str,
        window: str | float | timedelta = "1h",
        *,
        confidence: float = 0.95,
    ) -> readout.ABReadout:
        """The candidate against the live variant over ``window``: the difference of the
        metric with its confidence interval and p-value (see ``serving.readout``)."""
        if not 0 < confidence < 1:
            raise InvalidInputError(f"confidence is in (0, 1), not {confidence}", found=confidence)
        config, labeled, counts, classifier = self._labeled(ctx, name, window)
        if config.candidate is None:
            raise InvalidInputError(
                f"endpoint {name!r} serves one variant ({config.live.ref}): an A/B read-out "
                "needs a candidate",
                hint="deploy a second version with strategy='ab'",
                endpoint=name,
            )
        found = readout.compare(
            labeled["live"], labeled["candidate"],
            classifier=classifier["live"], confidence=confidence,
        )  # fmt: skip
        metric, test, difference, low, high, p_value, note = found
        metrics = _metrics(config, labeled, counts, classifier)
        variants = (metrics["live"], metrics["candidate"])
        return readout.ABReadout(
            name, str(window), metric, test, variants, difference, low, high, p_value,
            confidence, note,
        )  # fmt: skip

    def _labeled(
        self, ctx: Context, name: str, window: str | float | timedelta
    ) -> tuple[EndpointConfig, dict[str, readout.Labeled], dict[str, int], dict[str, bool]]:
        """Per slot: labeled rows, predictions counted, and whether it is a classifier."""
        deployment = self.deployment(ctx, name)
        config = deployment.config
        rows = self._window(ctx, name, window)
        labels = _latest_labels(logged.feedback(ctx, self._tables(), logged.Query(name)))
        labeled, counts, classifier = {}, {}, {}
        for slot in config.slots:
            columns = ["request_id", "row", "output", "score"]
            mine = _answered_by(rows, slot).select(columns).to_pylist()
            counts[slot.name] = len(mine)
            found = [(r, labels[(r["request_id"], r["row"])]) for r in mine
                     if (r["request_id"], r["row"]) in labels]  # fmt: skip
            labeled[slot.name] = readout.Labeled(
                [output_value(r["output"]) for r, _ in found],
                [label for _, label in found],
                [_score(r) for r, _ in found],
            )
            has_proba = deployment.predictors[slot.name].has_proba
            classifier[slot.name] = readout.is_classifier(has_proba, labeled[slot.name].labels)
        return config, labeled, counts, classifier

    # drift ---------------------------------------------------------------------------
    def drift(
        self,
        ctx: Context,
        name: str,
        window: str | float | timedelta = "1h",
        *,
        slot: str = "live",
        reference: str | None = None,
        method: str | None = None,
        threshold: float | None = None,
    ) -> drift.EndpointDrift:
        """Input drift per feature and prediction drift of what ``slot``'s model answered
        in the last ``window``, against its training reference (see ``serving.drift``)."""
        deployment = self.deployment(ctx, name)
        chosen = _slot(deployment.config, slot)
        predictor = deployment.predictors[chosen.name]
        version = self.registry.get_version(ctx, chosen.model, chosen.version)
        source = drift.reference_of(ctx, self.registry, version, reference)
        rows = _answered_by(self._window(ctx, name, window), chosen)
        if rows.num_rows == 0:
            raise InvalidInputError(
                f"endpoint {name!r} logged no prediction by {chosen.ref} in the last {window}",
                hint="send traffic first, or widen the window",
                endpoint=name,
                window=str(window),
            )
        features = _features(predictor, rows)
        ref = drift.reference_table(ctx, self._tables(), source, predictor, features)
        cur = drift.current_table(rows, features, ref.schema)
        report = self._monitoring().compare(
            ctx, ref, cur, columns=cur.column_names, method=method, threshold=threshold
        )
        current = f"{name} requests to {chosen.ref} in the last {window}"
        report = drift.named(report, source, current)
        return drift.EndpointDrift(
            name, chosen.name, chosen.ref, str(window), source, rows.num_rows, report
        )

    def set_reference(self, ctx: Context, name: str, reference: str, *, slot: str = "live") -> str:
        """Make ``reference`` (``table`` or ``table@vN``) the drift reference of the model
        version in ``slot``: kept as that version's tag, so it follows the version."""
        chosen = _slot(self.store.config(ctx.workspace, name), slot)
        table, _ = drift.parse_reference(reference)
        self._tables().describe(ctx, table)  # the table must exist
        self.registry.set_tag(ctx, chosen.model, drift.REFERENCE_TAG, reference, chosen.version)
        return reference

    # lineage -------------------------------------------------------------------------
    def trace(self, ctx: Context, request_id: str) -> trace.PredictionTrace:
        """From a request id to the endpoint configuration, the model version, the inputs
        and online feature values, and the run and table versions it was trained on."""
        query = logged.Query(request_id=request_id)
        rows = logged.predictions(ctx, self._tables(), self.predictions, query)
        labels = logged.feedback(ctx, self._tables(), query)
        return trace.trace(ctx, self.store, self.registry, rows, labels, request_id)

    def lineage(self, ctx: Context, node: str, depth: int = 3) -> graph.ObjectGraph:
        """The lineage graph around any node (``table:orders``, ``run:<id>``,
        ``model:churn/2``, ``view:rider_stats``, ``endpoint:churn_api``,
        ``prediction:<request id>``), ``depth`` steps up and downstream (``graph``)."""
        if self.table_lineage is None:
            raise InvalidInputError("this serving service was built without the lineage graph")
        walk = graph.ObjectLineage(
            self.table_lineage,
            self.registry,
            self.features,
            lambda c: [self.store.config(c.workspace, n) for n in self.store.names(c.workspace)],
            lambda c, name: self.store.config(c.workspace, name),
            self.trace,
        )
        return walk.graph(ctx, node, depth)

    # internals -----------------------------------------------------------------------
    def _window(self, ctx: Context, name: str, window: str | float | timedelta) -> pa.Table:
        since = int((time.time() - window_of(window).total_seconds()) * 1e6)
        query = logged.Query(endpoint=name, since_us=since)
        rows = logged.predictions(ctx, self._tables(), self.predictions, query)
        return rows.filter(pc.field("returned"))

    def _tables(self) -> Tables:
        if self.tables is None:
            raise InvalidInputError("this serving service was built without a table store")
        return self.tables

    def _monitoring(self) -> Monitoring:
        if self.monitoring is None:
            raise InvalidInputError("this serving service was built without monitoring")
        return self.monitoring


def _slot(config: EndpointConfig, name: str) -> Slot:
    for slot in config.slots:
        if slot.name == name:
            return slot
    raise InvalidInputError(
        f"endpoint {config.endpoint!r} has no slot {name!r}",
        hint=f"its slots are {[s.name for s in config.slots]}",
        expected=", ".join(s.name for s in config.slots),
        found=name,
    )


def _metrics(
    config: EndpointConfig,
    labeled: dict[str, readout.Labeled],
    counts: dict[str, int],
    classifier: dict[str, bool],
) -> dict[str, readout.ModelMetrics]:
    found = {}
    for slot in config.slots:
        mine = labeled[slot.name]
        values = readout.metrics_of(
            mine.predictions, mine.labels, classifier=classifier[slot.name], scores=mine.scores
        )
        found[slot.name] = readout.ModelMetrics(
            slot.name, slot.ref, counts[slot.name], len(mine.labels), values
        )
    return found


def _answered_by(rows: pa.Table, slot: Slot) -> pa.Table:
    return rows.filter(
        (pc.field("model") == slot.model) & (pc.field("model_version") == slot.version)
    )


def _latest_labels(labels: pa.Table) -> dict[tuple[str, int], Any]:
    ordered = labels.sort_by("time").select(["request_id", "row", "label"]).to_pylist()
    return {(r["request_id"], r["row"]): json.loads(r["label"]) for r in ordered}


def _score(row: dict[str, Any]) -> float | None:
    """The row's logged positive-class score, else a ``probability`` or ``score`` field
    of its output (a model that answers its own score)."""
    if row["score"] is not None:
        return float(row["score"])
    values = json.loads(row["output"]) if row["output"] else {}
    found = [values[f] for f in readout.SCORE_FIELDS if isinstance(values, dict) and f in values]
    return float(found[0]) if found and isinstance(found[0], int | float) else None


def _features(predictor: Any, rows: pa.Table) -> list[str]:
    """The model's input columns: its signature's, else those the logged inputs carry."""
    if predictor.signature is not None:
        return [spec.name for spec in predictor.signature.inputs]
    first = json.loads(rows.column("inputs")[0].as_py())
    return list(first)
