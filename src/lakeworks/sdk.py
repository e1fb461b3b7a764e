"""The Python SDK: a Workspace is a thin door over the services for one workspace."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lakeworks.context import Context

if TYPE_CHECKING:
    import pyarrow as pa

    from lakeworks.features.lookup import OnlineResult
    from lakeworks.features.materialize import MaterializeResult
    from lakeworks.features.offline import TrainingSet
    from lakeworks.features.push import PushResult
    from lakeworks.features.registry import ApplyResult, Change
    from lakeworks.features.service import Features
    from lakeworks.features.store import DefinitionVersion
    from lakeworks.features.streaming import StreamFeatureResult
    from lakeworks.ingest.loads import LoadResult
    from lakeworks.lake.sql import Query
    from lakeworks.lake.tables import TableInfo, VersionInfo, WriteResult
    from lakeworks.lineage import LineageGraph
    from lakeworks.meta.catalog import LoadRecord, TableEntry
    from lakeworks.monitoring import DriftReport
    from lakeworks.pipelines.service import BackfillResult, Pipelines
    from lakeworks.pipelines.store import PipelineInfo, RunInfo
    from lakeworks.platform import Platform
    from lakeworks.protection.anonymise import Anonymised
    from lakeworks.quality import (
        Check,
        CheckInfo,
        CheckResult,
        Profile,
        QualityReport,
        ReloadResult,
    )
    from lakeworks.registry import (
        AliasEvent,
        Approval,
        ModelVersion,
        Page,
        Predictor,
        RegisteredModel,
        Report,
    )
    from lakeworks.registry.service import Registry
    from lakeworks.sdk_protection import WorkspacePii, WorkspaceRetention, WorkspaceSecrets
    from lakeworks.security.costs import CostReport
    from lakeworks.security.quotas import QuotaStatus
    from lakeworks.serving.drift import EndpointDrift
    from lakeworks.serving.feedback import FeedbackResult
    from lakeworks.serving.graph import ObjectGraph
    from lakeworks.serving.readout import ABReadout, ModelMetrics
    from lakeworks.serving.stream_scoring import ScoreResult
    from lakeworks.serving.trace import PredictionTrace
    from lakeworks.streams.consumer import Consumer
    from lakeworks.streams.log import Event, GroupInfo, StreamInfo
    from lakeworks.streams.service import IngestResult
    from lakeworks.tracking.client import ActiveRun, WorkspaceRuns
    from lakeworks.tracking.evaluate import Evaluation, Kind
    from lakeworks.tracking.hpo import TuneResult
    from lakeworks.tracking.records import Experiment
    from lakeworks.tracking.service import Tracking

Format = Literal["arrow", "pandas", "polars"]


class Workspace:
    """One workspace of a lakeworks platform, acting as one user.

    Example:
        >>> import lakeworks as lw
        >>> ws = lw.connect(home="/tmp/lw-doctest")
        >>> ws.write("numbers", [{"n": 1}, {"n": 2}]).rows
        2
        >>> ws.sql("select sum(n) as total from numbers").arrow().to_pylist()
        [{'total': 3}]
    """

    def __init__(self, platform: Platform, ctx: Context) -> None:
        self.platform = platform
        self.ctx = ctx
        self._experiment: str | None = None

    @property
    def name(self) -> str:
        return self.ctx.workspace

    # tables -------------------------------------------------------------------------
    def tables(self) -> list[TableEntry]:
        return self.platform.tables.list(self.ctx)

    def describe(self, table: str) -> TableInfo:
        return self.platform.tables.describe(self.ctx, table)

    def create_table(
        self,
        table: str,
        data: Any = None,
        *,
        schema: pa.Schema | None = None,
        description: str | None = None,
    ) -> WriteResult:
        return self.platform.tables.create(
            self.ctx, table, data, schema=schema, description=description
        )

    def write(
        self, table: str, data: Any, *, mode: str = "append", schema_mode: str | None = None
    ) -> WriteResult:
        """Append (default) or overwrite; creates the table on first write."""
        return self.platform.tables.write(self.ctx, table, data, mode=mode, schema_mode=schema_mode)

    def upsert(self, table: str, data: Any, keys: list[str] | str) -> WriteResult:
        keys = [keys] if isinstance(keys, str) else keys
        return self.platform.tables.upsert(self.ctx, table, data, keys)

    def delete(self, table: str, where: str) -> WriteResult:
        return self.platform.tables.delete(self.ctx, table, where)

    def read(
        self,
        table: str,
        *,
        columns: list[str] | None = None,
        where: str | None = None,
        version: int | None = None,
        as_of: datetime | str | None = None,
        limit: int | None = None,
        format: Format = "arrow",
    ) -> Any:
        """Read a table, optionally some columns/rows of it, at a version or time."""
        data = self.platform.tables.read(
            self.ctx, table, columns=columns, where=where, version=version, as_of=as_of, limit=limit
        )
        return _as(data, format)

    def history(self, table: str, limit: int | None = None) -> list[VersionInfo]:
        return self.platform.tables.history(self.ctx, table, limit)

    def compact(self, table: str) -> dict[str, Any]:
        return self.platform.tables.compact(self.ctx, table)

    def vacuum(self, table: str, retention_hours: int = 168, dry_run: bool = False) -> list[str]:
        return self.platform.tables.vacuum(self.ctx, table, retention_hours, dry_run)

    def drop_table(self, table: str) -> None:
        self.platform.tables.drop(self.ctx, table)

    # sql ----------------------------------------------------------------------------
    def sql(self, query: str, timeout: float | None = None) -> Query | WriteResult:
        """Run SQL over this workspace's tables (``orders@v3`` reads version 3).

        A SELECT returns a Query (``.arrow()``, ``.to_pandas()``, ``.to_polars()``,
        ``.batches()``, ``.save(name)``); CREATE TABLE AS / INSERT INTO return a WriteResult.
        Each run stops after ``timeout`` seconds with ``StatementTimeoutError`` (None: the
        ``statement_timeout`` setting, 300 s by default; 0: no limit).
        """
        return self.platform.sql.execute(self.ctx, query, timeout)

    # ingestion ----------------------------------------------------------------------
    def ingest(self, source: Any, table: str, **options: Any) -> LoadResult:
        """Load files, a SQL database or an HTTP API into ``table``; see ``lakeworks.ingest``."""
        return self.platform.ingest.load(self.ctx, source, table, **options)

    def loads(self, table: str | None = None) -> list[LoadRecord]:
        return self.platform.catalog.loads(self.ctx.workspace, table)

    # quotas and costs -------------------------------------------------------------
    def quotas(self) -> list[QuotaStatus]:
        """Every quota of this workspace: its limit (None: no limit) and current use."""
        return self.platform.quotas.show(self.ctx)

    def set_quota(self, name: str, limit: float | None) -> QuotaStatus:
        """Set one quota of this workspace; None removes it (``ws.set_quota("tables", 100)``)."""
        return self.platform.quotas.set(self.ctx, name, limit)

    def costs(
        self, by: str | tuple[str, ...] = ("user", "pipeline"), since: str = "30d"
    ) -> CostReport:
        """This workspace's usage and cost since ``since`` (``30d``, ``12h``, an ISO time),
        grouped by any of ``user`` and ``pipeline``."""
        return self.platform.costs.of_workspace(self.ctx, by, since=since)

    # pipelines ----------------------------------------------------------------------
    @property
    def pipelines(self) -> WorkspacePipelines:
        """Register, run, backfill and inspect pipelines (``ws.pipelines.run("name")``)."""
        return WorkspacePipelines(self.platform.pipelines, self.ctx)

    # quality and lineage -------------------------------------------------------------
    @property
    def quality(self) -> WorkspaceQuality:
        """Checks, results, gates, profiles: ``ws.quality.add("t", [qc.not_null("id")])``."""
        return WorkspaceQuality(self)

    @property
    def lineage(self) -> WorkspaceLineage:
        """``ws.lineage("orders")``: what a table was made from and what was made from it;
        ``ws.lineage.prediction(request_id)``: what made one prediction."""
        return WorkspaceLineage(self)

    # features -----------------------------------------------------------------------
    @property
    def features(self) -> WorkspaceFeatures:
        """The feature store of this workspace: apply, training_set, online, push."""
        return WorkspaceFeatures(self.platform.features, self.ctx)

    @property
    def endpoints(self) -> WorkspaceEndpoints:
        """Serving: ``ws.endpoints.deploy("churn", model="churn@champion")``, ``predict``."""
        return WorkspaceEndpoints(self)

    # models -------------------------------------------------------------------------
    @property
    def models(self) -> WorkspaceModels:
        """The model registry: ``ws.models.register("churn", model=clf, training_data=X)``,
        ``ws.models.load("churn@champion").predict(frame)``."""
        return WorkspaceModels(self.platform.registry, self.ctx)

    # tracking -----------------------------------------------------------------------
    def set_experiment(self, name: str) -> Experiment:
        """Make ``name`` the experiment of later ``start_run()`` calls (created if new)."""
        from lakeworks.tracking.client import experiment_named

        experiment = experiment_named(self.platform.tracking, self.ctx, name)
        self._experiment = name
        return experiment

    def start_run(
        self,
        experiment: str | None = None,
        *,
        name: str | None = None,
        nested: bool = False,
        tags: dict[str, Any] | None = None,
    ) -> ActiveRun:
        """Open a run (use it in ``with``); metrics are logged asynchronously in batches.

        ``experiment`` defaults to the one of ``set_experiment``, else ``"default"``;
        ``nested=True`` inside an open run starts a child run. See ``tracking.client``.
        """
        from lakeworks.tracking.client import experiment_named, start_run

        tracking = self.platform.tracking
        name_of_experiment = experiment or self._experiment or "default"
        exp = experiment_named(tracking, self.ctx, name_of_experiment)
        return start_run(tracking, self.ctx, exp.id, name=name, nested=nested, tags=tags)

    @property
    def runs(self) -> WorkspaceRuns:
        """Runs of this workspace: get, search, to_frame, delete, metric_history."""
        from lakeworks.tracking.client import WorkspaceRuns

        return WorkspaceRuns(self.platform.tracking, self.ctx)

    # hyper-parameter search and autolog ------------------------------------------------
    def tune(self, objective: Callable[..., Any], *, experiment: str, **options: Any) -> TuneResult:
        """Run (or continue) an Optuna study: the study a parent run, each trial a child run.

        ``objective`` is an ordinary Optuna objective; options: ``n_trials``, ``timeout``,
        ``direction`` / ``directions``, ``metric``, ``sampler``, ``pruner``, ``executor``
        (``threads``, ``processes``, ``dask``), ``n_jobs``, ``study_name``, ``catch``.
        See ``lakeworks.tracking.hpo``.
        """
        return self.platform.hpo.tune(self.ctx, objective, experiment=experiment, **options)

    def autolog(
        self,
        *,
        experiment: str | None = None,
        eval_data: tuple[Any, Any] | None = None,
        log_models: bool = True,
        libraries: list[str] | None = None,
    ) -> None:
        """Log every scikit-learn, XGBoost and LightGBM fit as a run until
        ``autolog_disable()``: params, metrics, the model (the registry's safe format, under
        the run's ``model/``, ready for ``ws.models.register(..., artifact_path="model")``)
        and its signature. A fit inside ``start_run`` logs into that run; outside, into a
        new run of ``experiment`` (default: the one of ``set_experiment``, else
        ``"default"``). ``eval_data=(X, y)``: also evaluate on this held-out set."""
        from lakeworks.tracking import autolog

        autolog.enable(
            self.platform.tracking,
            self.ctx,
            experiment=experiment or self._experiment or "default",
            eval_data=eval_data,
            save_model=_save_model if log_models else None,
            libraries=libraries,
        )

    def autolog_disable(self) -> None:
        """Put back every method ``autolog`` patched."""
        from lakeworks.tracking import autolog

        autolog.disable()

    # evaluation ---------------------------------------------------------------------
    def evaluate(
        self,
        model: Any,
        data: Any,
        *,
        target: str,
        kind: Kind | None = None,
        positive_label: Any = None,
        features: list[str] | None = None,
        run_id: str | None = None,
    ) -> Evaluation:
        """Evaluate a fitted model (or predict function) on a table name or Arrow, pandas,
        Polars data; see ``lakeworks.tracking.evaluate.evaluate``.

        Logged to run ``run_id`` (default: the active run, if any) as ``eval_<metric>``
        metrics and the artifact ``evaluation.json`` (curves, confusion matrix, residuals).
        """
        from lakeworks.tracking.evaluate import evaluate

        if isinstance(data, str):
            data = self.read(data)
        evaluation = evaluate(
            model, data, target=target, kind=kind, positive_label=positive_label, features=features
        )
        if run_id is not None:
            _log_evaluation(self.platform.tracking, self.ctx, run_id, evaluation)
        elif (run := _active_run()) is not None:
            _log_evaluation(run.tracking, run.ctx, run.id, evaluation)
        return evaluation

    # streams ------------------------------------------------------------------------
    @property
    def streams(self) -> WorkspaceStreams:
        """Event streams: publish, tail, lag, and exactly-once ingestion into a table."""
        return WorkspaceStreams(self)

    # monitoring ---------------------------------------------------------------------
    @property
    def monitor(self) -> WorkspaceMonitor:
        """Drift reports: ``ws.monitor.compare("orders@v3", "orders")``."""
        return WorkspaceMonitor(self)

    # data protection -----------------------------------------------------------------
    @property
    def secrets(self) -> WorkspaceSecrets:
        """Encrypted secrets that connections and pipelines name as ``secret://name``."""
        from lakeworks.sdk_protection import WorkspaceSecrets

        return WorkspaceSecrets(self.platform, self.ctx)

    @property
    def pii(self) -> WorkspacePii:
        """Personal-data tags: ``ws.pii.scan("customers")``, ``ws.pii.tag(...)``."""
        from lakeworks.sdk_protection import WorkspacePii

        return WorkspacePii(self.platform, self.ctx)

    @property
    def retention(self) -> WorkspaceRetention:
        """Retention rules: ``ws.retention.set("events", versions_days=30)``."""
        from lakeworks.sdk_protection import WorkspaceRetention

        return WorkspaceRetention(self.platform, self.ctx)

    def anonymise(
        self,
        table: str,
        into: str,
        *,
        generalise: dict[str, int | float | str] | None = None,
        quasi: list[str] | None = None,
        drop: list[str] | None = None,
    ) -> Anonymised:
        """Write an anonymised copy of ``table`` into ``into`` and report its k-anonymity.

        PII-tagged identifiers become keyed pseudonyms, free text and addresses are
        redacted, ``generalise`` coarsens quasi-identifiers (``{"age": 10, "zip":
        "prefix:3", "birth_date": "month"}``). See ``lakeworks.protection.anonymise``.
        """
        from lakeworks.sdk_protection import anonymise

        return anonymise(self.platform, self.ctx, table, into, generalise, quasi, drop)

    def __repr__(self) -> str:
        return f"<Workspace {self.name!r} as {self.ctx.user!r}>"


def _save_model(model: Any, folder: Path, training_data: Any, signature: Any) -> None:
    """Autolog's model writer: the registry's format of ``model`` and its signature."""
    from lakeworks.registry.registration import save_model

    save_model(
        model, folder, format=None, trusted=False, signature=signature, training_data=training_data
    )


class WorkspaceMonitor:
    """Monitoring of one workspace (``ws.monitor``).

    Example:
        >>> import lakeworks as lw
        >>> ws = lw.connect(home="/tmp/lw-monitor-doctest")
        >>> before = [{"x": float(i)} for i in range(100)]
        >>> after = [{"x": float(i) + 50} for i in range(100)]
        >>> ws.monitor.compare(before, after).drifted_columns
        ['x']
    """

    def __init__(self, ws: Workspace) -> None:
        self._ws = ws

    def compare(
        self,
        reference: Any,
        current: Any,
        *,
        columns: list[str] | None = None,
        method: str | None = None,
        threshold: float | None = None,
        drift_share: float = 0.5,
    ) -> DriftReport:
        """Which columns drifted from ``reference`` to ``current``: each an Arrow table, a
        pandas or Polars frame, a list of dicts, or a table name (``"orders@v3"``).
        ``method`` (ks, wasserstein, psi, jensenshannon, chisquare, z) with its
        ``threshold`` applies to every column; default: Evidently's choice per column."""
        return self._ws.platform.monitoring.compare(
            self._ws.ctx,
            reference,
            current,
            columns=columns,
            method=method,
            threshold=threshold,
            drift_share=drift_share,
        )

    def __call__(self, endpoint: str) -> EndpointMonitor:
        """The monitor of serving endpoint ``endpoint``: ``.drift(window="1h")``,
        ``.model_metrics(window)``, ``.set_reference("table@vN")``."""
        self._ws.platform.serving.show(self._ws.ctx, endpoint)  # NotFoundError when unknown
        return EndpointMonitor(self._ws, endpoint)


class EndpointMonitor:
    """Drift and live metrics of one endpoint (``ws.monitor("churn")``); see
    docs/monitoring.md."""

    def __init__(self, ws: Workspace, endpoint: str) -> None:
        self._service = ws.platform.serving
        self._ctx = ws.ctx
        self.endpoint = endpoint

    def drift(self, window: Any = "1h", **options: Any) -> EndpointDrift:
        """Input drift per feature and prediction drift of the requests of the last
        ``window`` against the model's training reference (``slot=``, ``reference=``,
        ``method=``, ``threshold=`` as in ``Serving.drift``)."""
        return self._service.drift(self._ctx, self.endpoint, window, **options)

    def model_metrics(self, window: Any = "1h") -> dict[str, ModelMetrics]:
        """Per slot: accuracy/AUC or RMSE/MAE over the labeled predictions of ``window``."""
        return self._service.live_metrics(self._ctx, self.endpoint, window)

    def set_reference(self, reference: str, *, slot: str = "live") -> str:
        """Make ``reference`` (``table`` or ``table@vN``) the drift reference of the model
        version in ``slot``."""
        return self._service.set_reference(self._ctx, self.endpoint, reference, slot=slot)


class WorkspaceLineage:
    """Lineage of one workspace (``ws.lineage``): tables, and single predictions."""

    def __init__(self, ws: Workspace) -> None:
        self._ws = ws

    def __call__(self, table: str, version: int | None = None, depth: int = 10) -> LineageGraph:
        """What ``table`` (a version of it, or all) was made from and what was made from it."""
        return self._ws.platform.lineage.graph(self._ws.ctx, table, version, depth)

    def around(self, node: str, depth: int = 3) -> ObjectGraph:
        """The graph around any node: ``table:orders``, ``run:<id>``, ``model:churn/2``,
        ``view:<name>``, ``endpoint:<name>`` or ``prediction:<request id>``."""
        return self._ws.platform.serving.lineage(self._ws.ctx, node, depth)

    def prediction(self, request_id: str) -> PredictionTrace:
        """What made the prediction ``request_id``: the endpoint configuration, the model
        version, its inputs and online features, and the run and table versions the model
        was trained on."""
        return self._ws.platform.serving.trace(self._ws.ctx, request_id)


class WorkspaceQuality:
    """The quality service bound to one workspace (``ws.quality``).

    Example:
        >>> from lakeworks.quality import checks as qc
        >>> ws = lw.connect(home="/tmp/lw-quality-doctest")  # doctest: +SKIP
        >>> ws.quality.add("orders", [qc.not_null("id"), qc.unique("id")])  # doctest: +SKIP
        >>> ws.quality.run("orders").passed  # doctest: +SKIP
        True
    """

    def __init__(self, ws: Workspace) -> None:
        self._service = ws.platform.quality
        self._ctx = ws.ctx

    def add(self, table: str, checks: Check | list[Check]) -> list[CheckInfo]:
        return self._service.add(self._ctx, table, checks)

    def list(self, table: str) -> list[CheckInfo]:
        return self._service.checks(self._ctx, table)

    def remove(self, table: str, name: str) -> None:
        self._service.remove(self._ctx, table, name)

    def run(self, table: str, version: int | None = None) -> QualityReport:
        return self._service.run(self._ctx, table, version)

    def run_many(self, tables: list[str] | None = None) -> list[QualityReport]:
        """Check many tables at their latest versions (default: every table with checks);
        tables of one schema and the same checks share one scan."""
        return self._service.run_many(self._ctx, tables)

    def results(
        self, table: str, *, run_id: str | None = None, check: str | None = None, limit: int = 100
    ) -> list[CheckResult]:
        return self._service.results(self._ctx, table, run_id=run_id, check=check, limit=limit)

    def reload(self, table: str, where: str | None = None) -> ReloadResult:
        """Write quarantined rows (fixed in ``<table>__quarantine``, or after a check
        changed) again through the checks; rows that still fail stay quarantined."""
        return self._service.reload(self._ctx, table, where)

    def profile(self, table: str, version: int | None = None) -> Profile:
        return self._service.profile(self._ctx, table, version)


class WorkspacePipelines:
    """The pipelines of one workspace; see ``lakeworks.pipelines``.

    Example:
        >>> ws.pipelines.register("pipelines/orders.py")  # doctest: +SKIP
        >>> run = ws.pipelines.run("orders_daily", params={"limit": 10})  # doctest: +SKIP
        >>> run.state, [t.state for t in run.tasks]  # doctest: +SKIP
        ('succeeded', ['succeeded', 'succeeded'])
    """

    def __init__(self, service: Pipelines, ctx: Context) -> None:
        self.service = service
        self.ctx = ctx

    def register(self, path_or_module: Any) -> list[PipelineInfo]:
        """Register every pipeline in a .py file, a module name or a module object."""
        return self.service.register(self.ctx, path_or_module)

    def list(self) -> list[PipelineInfo]:
        return self.service.list(self.ctx)

    def get(self, name: str) -> PipelineInfo:
        return self.service.get(self.ctx, name)

    def run(self, name: str, params: dict[str, Any] | None = None, wait: bool = True) -> RunInfo:
        """Run now; returns the finished run (or the started one with ``wait=False``)."""
        return self.service.run(self.ctx, name, params, wait=wait)

    def backfill(
        self,
        name: str,
        start: datetime | str,
        end: datetime | str,
        *,
        rerun_succeeded: bool = False,
        wait: bool = True,
    ) -> BackfillResult:
        """Run every schedule interval in ``[start, end)`` that has not succeeded yet."""
        return self.service.backfill(
            self.ctx, name, start, end, rerun_succeeded=rerun_succeeded, wait=wait
        )

    def runs(self, name: str | None = None, state: str | None = None) -> list[RunInfo]:
        return self.service.runs(self.ctx, name, state)

    def run_info(self, run_id: int) -> RunInfo:
        return self.service.run_info(self.ctx, run_id)

    def task_logs(self, run_id: int, task: str) -> str:
        return self.service.task_logs(self.ctx, run_id, task)

    def cancel(self, run_id: int) -> RunInfo:
        return self.service.cancel(self.ctx, run_id)

    def resume(self, run_id: int, wait: bool = True) -> RunInfo:
        """Re-run a failed or cancelled run, keeping the tasks that succeeded."""
        return self.service.resume(self.ctx, run_id, wait=wait)

    def wait(self, run_id: int, timeout: float = 60.0) -> RunInfo:
        return self.service.wait(self.ctx, run_id, timeout)

    def pause(self, name: str, paused: bool = True) -> PipelineInfo:
        return self.service.pause(self.ctx, name, paused)


def _as(data: pa.Table, format: Format) -> Any:
    if format == "pandas":
        return data.to_pandas()
    if format == "polars":
        import polars

        return polars.from_arrow(data)
    return data


class WorkspaceFeatures:
    """The feature store of one workspace (``ws.features``).

    Example:
        >>> import lakeworks as lw
        >>> from lakeworks.features import Entity
        >>> ws = lw.connect(home="/tmp/lw-features-doctest")
        >>> print(ws.features.apply([Entity("rider", join_keys=["rider_id"])]))  # doctest: +SKIP
        + entity rider (v1)
    """

    def __init__(self, service: Features, ctx: Context) -> None:
        self._service = service
        self._ctx = ctx

    def apply(self, definitions: Any, *, dry_run: bool = False) -> ApplyResult:
        """Register entities, feature views and services; returns the diff (print it)."""
        return self._service.apply(self._ctx, definitions, dry_run=dry_run)

    def list(self, kind: str | None = None) -> list[DefinitionVersion]:
        """The current version of every definition ('entity', 'view' or 'service')."""
        return self._service.list(self._ctx, kind)

    def get(self, name: str, kind: str = "view") -> Any:
        return self._service.get(self._ctx, name, kind)

    def versions(self, name: str, kind: str = "view") -> list[DefinitionVersion]:
        return self._service.versions(self._ctx, name, kind)

    def rollback(self, name: str, to_version: int, kind: str = "view") -> Change:
        """Make version ``to_version``'s definition current again (as a new version)."""
        return self._service.rollback(self._ctx, name, to_version, kind)

    def training_set(
        self,
        entities: Any,
        features: Any,
        *,
        point_in_time: Literal["known", "event"] = "known",
        timestamp: str | None = None,
        full_names: bool = False,
        save_as: str | None = None,
    ) -> TrainingSet:
        """Each feature's latest value at or before each entity row's time.

        ``entities``: Arrow, pandas, Polars, a list of dicts or a table name, with the join
        keys and one timestamp column (naive timestamps are UTC). ``point_in_time="known"``
        (default) also hides values lakeworks learned after the row's time.
        """
        return self._service.training_set(
            self._ctx,
            entities,
            features,
            point_in_time=point_in_time,
            timestamp=timestamp,
            full_names=full_names,
            save_as=save_as,
        )

    def materialize(
        self, view: str, start: datetime | str | None = None, end: datetime | str | None = None
    ) -> MaterializeResult:
        """Write the latest value per entity in [start, end) to the online store."""
        return self._service.materialize(self._ctx, view, start, end)

    def online(
        self, features: Any, entity_rows: list[dict[str, Any]], *, full_names: bool = False
    ) -> OnlineResult:
        """The latest values for each entity row, each with a status."""
        return self._service.online(self._ctx, features, entity_rows, full_names=full_names)

    def push(self, view: str, rows: Any) -> PushResult:
        """Serve ``rows`` online now and append them to the view's source table."""
        return self._service.push(self._ctx, view, rows)


class WorkspaceModels:
    """The model registry of one workspace (``ws.models``); see ``lakeworks.registry``.

    Example:
        >>> v = ws.models.register("churn", model=clf, training_data=X)  # doctest: +SKIP
        >>> ws.models.set_alias("churn", "champion", v.version)  # doctest: +SKIP
        >>> ws.models.load("churn@champion").predict(X.head())  # doctest: +SKIP
    """

    def __init__(self, service: Registry, ctx: Context) -> None:
        self._service = service
        self._ctx = ctx

    def register(self, name: str, model: Any = None, **options: Any) -> ModelVersion:
        """A new version of ``name``: from ``model``, or ``run_id=`` with
        ``artifact_path=``; options as ``Registry.register`` (``training_data``,
        ``evaluation_data``, ``target``, ``sensitive_column``, ``trusted``, ...)."""
        return self._service.register(self._ctx, name, model=model, **options)

    def load(self, ref: Any, *, trusted: bool | list[str] = False) -> Predictor:
        """``"churn@champion"``, ``"churn/3"``, ``("churn", 3)`` or ``"churn"`` (latest)."""
        return self._service.load(self._ctx, ref, trusted=trusted)

    def list(self) -> list[RegisteredModel]:
        return self._service.list_models(self._ctx)

    def get(self, name: str) -> RegisteredModel:
        return self._service.get_model(self._ctx, name)

    def versions(self, name: str) -> list[ModelVersion]:
        return self._service.list_versions(self._ctx, name)

    def version(self, ref: Any) -> ModelVersion:
        return self._service.resolve(self._ctx, ref)

    def search(
        self, filter: str | None = None, order_by: list[str] | None = None, max_results: int = 100
    ) -> Page:
        """Versions matching MLflow's grammar: ``name LIKE 'churn%' and tags.team = 'risk'``."""
        return self._service.search_versions(self._ctx, filter, order_by, max_results)

    def set_alias(self, name: str, alias: str, version: int, *, force: bool = False) -> AliasEvent:
        return self._service.set_alias(self._ctx, name, alias, version, force=force)

    def delete_alias(self, name: str, alias: str) -> AliasEvent:
        return self._service.delete_alias(self._ctx, name, alias)

    def alias_events(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        return self._service.alias_events(self._ctx, name, alias)

    def set_tag(self, name: str, key: str, value: str, version: int | None = None) -> None:
        self._service.set_tag(self._ctx, name, key, value, version)

    def approve(
        self, name: str, version: int, stage: str = "approved", comment: str | None = None
    ) -> Approval:
        return self._service.approve(self._ctx, name, version, stage, comment)

    def approvals(self, name: str, version: int) -> list[Approval]:
        return self._service.approvals(self._ctx, name, version)

    def reports(self, name: str, version: int) -> list[Report]:
        return self._service.reports(self._ctx, name, version)

    def lineage(self, name: str, version: int) -> dict[str, Any]:
        return self._service.lineage(self._ctx, name, version)

    def delete_version(self, name: str, version: int) -> None:
        self._service.delete_version(self._ctx, name, version)


def _log_evaluation(tracking: Tracking, ctx: Context, run_id: str, evaluation: Evaluation) -> None:
    """``eval_<metric>`` metrics and the whole report as the artifact ``evaluation.json``."""
    import io
    import json

    from lakeworks.tracking.records import Metric

    metrics = [Metric(key, value) for key, value in evaluation.logged_metrics().items()]
    tracking.log_batch(ctx, run_id, metrics=metrics)
    document = json.dumps(evaluation.to_dict(), allow_nan=False).encode()
    tracking.log_artifact_stream(ctx, run_id, "evaluation.json", io.BytesIO(document))


def _active_run() -> ActiveRun | None:
    """The run ``ws.start_run()`` opened in this context, if one is open."""
    from lakeworks.tracking.client import current_run

    return current_run.get()


class WorkspaceStreams:
    """The streams of one workspace (``ws.streams``); see docs/streams.md.

    Example:
        >>> import lakeworks as lw
        >>> ws = lw.connect(home="/tmp/lw-streams-doctest")
        >>> ids = ws.streams.publish("clicks", [{"id": 1, "page": "/home"}])
        >>> ws.streams.ingest("clicks", table="clicks", once=True).events >= 1
        True
    """

    def __init__(self, ws: Workspace) -> None:
        self._service = ws.platform.streams
        self._platform = ws.platform
        self._ctx = ws.ctx

    def publish(self, stream: str, records: Any, *, maxlen: int | None = None) -> list[str]:
        """Append events (dicts as JSON, str or bytes as they are); returns their ids."""
        return self._service.publish(self._ctx, stream, records, maxlen)

    def list(self) -> list[StreamInfo]:
        return self._service.list(self._ctx)

    def tail(self, stream: str, count: int = 10) -> list[Event]:
        """The newest ``count`` events, oldest first."""
        return self._service.tail(self._ctx, stream, count)

    def lag(self, stream: str, group: str) -> GroupInfo:
        """Events not yet delivered to ``group`` (``lag``) and not acknowledged (``pending``)."""
        return self._service.lag(self._ctx, stream, group)

    def trim(self, stream: str, *, maxlen: int | None = None, max_age: float | None = None) -> int:
        """Retention: keep the newest ``maxlen`` events, drop those older than ``max_age`` s."""
        return self._service.trim(self._ctx, stream, maxlen=maxlen, max_age=max_age)

    def consumer(
        self, stream: str, group: str, name: str, *, visibility: float = 30.0, start: str = "0"
    ) -> Consumer:
        """A consumer in ``group``: ``read``, then ``ack``; what a dead consumer left
        unacknowledged for ``visibility`` seconds is delivered to another."""
        return self._service.consumer(
            self._ctx, stream, group, name, visibility=visibility, start=start
        )

    def ingest(self, stream: str | None = None, table: str = "", **options: Any) -> IngestResult:
        """Append the stream to ``table`` exactly once (``every="1s"``, ``max_batch``,
        ``required=[...]``, ``once=True`` to drain and return, ``stop=threading.Event()``);
        or an external ``source="nats://host:4222/subject"`` / ``"mqtt://host:1883/topic"``
        instead of a stream (``dedupe="id"`` for MQTT's at-least-once delivery)."""
        return self._service.ingest(self._ctx, stream, table, **options)

    def run_features(self, view: str, **options: Any) -> StreamFeatureResult:
        """Run the processor of a ``StreamFeatureView``: windowed values online as events
        arrive, offline every ``offline_every`` (``once=True`` to drain and return,
        ``stop=threading.Event()``); see docs/streams.md, "Streaming features"."""
        return self._platform.stream_features.run(self._ctx, view, **options)

    def score(self, stream: str, *, endpoint: str, to: str, **options: Any) -> ScoreResult:
        """Score ``stream`` with serving ``endpoint``, one answer per event on stream
        ``to`` (``once=True`` to drain and return, ``stop=threading.Event()``)."""
        return self._platform.stream_scoring.score(
            self._ctx, stream, endpoint=endpoint, to=to, **options
        )


class WorkspaceEndpoints:
    """The serving endpoints of one workspace (``ws.endpoints``); see docs/serving.md.

    Example:
        >>> ws.endpoints.deploy("churn", model="churn@champion")  # doctest: +SKIP
        >>> ws.endpoints.deploy("churn", model="churn/4", strategy="canary")  # doctest: +SKIP
        >>> ws.endpoints.promote("churn").share  # doctest: +SKIP
        25
    """

    def __init__(self, ws: Workspace) -> None:
        self._service = ws.platform.serving
        self._ctx = ws.ctx

    def deploy(self, name: str, *, model: Any, strategy: str = "blue-green", **options: Any):  # noqa: ANN201
        """Serve ``model`` at ``name`` by ``strategy`` (blue-green, canary, ab, shadow);
        ``steps=`` (canary), ``share=`` (A/B), ``features=`` (a feature service, for
        requests by entity key), ``health={...}`` (the policy that rolls it back) and
        ``every="10m"`` (canary steps on schedule) as in ``Serving.deploy``."""
        return self._service.deploy(self._ctx, name, model, strategy, **options)

    def set_health(self, name: str, health: dict[str, Any] | None):  # noqa: ANN201
        """A new configuration with this health policy (None: none); see docs/serving.md."""
        return self._service.set_health(self._ctx, name, health)

    def metrics(self, name: str, window: Any = 60):  # noqa: ANN201
        """Requests, errors and p50/p99 latency per slot over ``window`` (``"5m"``)."""
        return self._service.metrics(self._ctx, name, window)

    def series(self, name: str, window: Any = "1h", step: Any = "1m"):  # noqa: ANN201
        """Requests per second, error rate and p50/p99 latency per slot in buckets of
        ``step`` over ``window``, with the configuration changes of the window."""
        return self._service.series(self._ctx, name, window, step)

    def watch(self, interval: float | None = None):  # noqa: ANN201
        """Judge this workspace's endpoints in this process (canary steps on schedule,
        automatic rollback) every ``interval`` seconds, until ``.stop()`` (or the end of
        a ``with`` block). ``lakeworks server`` does this for every workspace already."""
        return self._service.watch([self._ctx.workspace], interval)

    def list(self) -> list:
        return self._service.list(self._ctx)

    def show(self, name: str):  # noqa: ANN201
        return self._service.show(self._ctx, name)

    def history(self, name: str) -> list:
        return self._service.history(self._ctx, name)

    def promote(self, name: str):  # noqa: ANN201
        return self._service.promote(self._ctx, name)

    def rollback(self, name: str):  # noqa: ANN201
        return self._service.rollback(self._ctx, name)

    def delete(self, name: str) -> None:
        self._service.delete(self._ctx, name)

    def predict(  # noqa: ANN201
        self,
        name: str,
        rows: Any = None,
        *,
        keys: list[dict[str, Any]] | None = None,
        key: str | None = None,
    ):
        """The endpoint's answer for ``rows`` (a list of dicts or an Arrow table) or for
        entity ``keys`` (a Prediction: outputs, errors, model)."""
        return self._service.predict(self._ctx, name, rows, keys=keys, key=key)

    def score(  # noqa: ANN201
        self,
        name: str,
        *,
        table: str | None = None,
        training_set: str | None = None,
        into: str,
        version: int | None = None,
        mode: str = "overwrite",
    ):
        """Score a table (or a saved training set) with the endpoint's live model in Arrow
        batches and write the outputs to table ``into``; returns a ScoreResult."""
        source = table if training_set is None else training_set
        return self._service.score(self._ctx, name, source, into, version=version, mode=mode)

    def feedback(self, name: str, *, label: Any, **request: Any) -> FeedbackResult:
        """The true ``label`` of a logged prediction, by ``request_id=`` or by ``key=``
        (its latest request); a list labels each row, ``row=`` one of several."""
        return self._service.feedback(self._ctx, name, label=label, **request)

    def model_metrics(self, name: str, window: Any = "1h") -> dict[str, ModelMetrics]:
        """Per slot: the model metrics over the labeled predictions of ``window``."""
        return self._service.live_metrics(self._ctx, name, window)

    def ab(self, name: str, window: Any = "1h", *, confidence: float = 0.95) -> ABReadout:
        """The A/B read-out: candidate minus live, with its interval and significance."""
        return self._service.ab_readout(self._ctx, name, window, confidence=confidence)
