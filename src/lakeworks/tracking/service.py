"""The tracking service, ``platform.tracking``: every door (SDK, CLI, REST, MLflow routes)
calls these methods, each with a Context first; the workspace comes from the context.

Example:
    >>> t = platform.tracking  # doctest: +SKIP
    >>> exp = t.create_experiment(ctx, "churn")  # doctest: +SKIP
    >>> run = t.create_run(ctx, exp.id)  # doctest: +SKIP
    >>> t.log_batch(ctx, run.id, metrics=[Metric("auc", 0.91, step=1)])  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError
from lakeworks.tracking import batches, experiments, runs
from lakeworks.tracking.artifacts.refs import ArtifactRefs
from lakeworks.tracking.metrics import TrackingMetrics
from lakeworks.tracking.records import (
    FINISHED_STATUSES,
    TAG_NOTE,
    TAG_PARENT_RUN,
    TAG_RUN_NAME,
    TAG_USER,
    ArtifactInfo,
    Experiment,
    GcResult,
    Metric,
    Run,
    RunInput,
    now_ms,
)
from lakeworks.tracking.search import RunSearch, search_rows

if TYPE_CHECKING:
    from lakeworks.config import Settings
    from lakeworks.lineage.service import Lineage
    from lakeworks.meta.catalog import Catalog
    from lakeworks.tracking.artifacts.base import ObjectStore

Pairs = Iterable[tuple[str, Any]] | dict[str, Any]
log = logging.getLogger("lakeworks.tracking")
_REAP_EVERY = 1.0  # seconds between two looks for runs whose heartbeat stopped


class Tracking:
    """Experiments, runs, their params, metrics, tags, inputs and artifacts."""

    def __init__(
        self,
        catalog: Catalog,
        objects: ObjectStore,
        settings: Settings,
        lineage: Lineage | None = None,
    ) -> None:
        self.catalog = catalog
        self.settings = settings
        self.lineage = lineage
        self._reaped_at = 0.0
        self.artifacts = ArtifactRefs(catalog, objects)
        self.metrics = TrackingMetrics()

    # experiments ----------------------------------------------------------------------
    def create_experiment(
        self,
        ctx: Context,
        name: str,
        *,
        artifact_location: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> Experiment:
        with self.catalog.session() as s:
            return experiments.create(
                s, ctx.workspace, name, ctx.user, artifact_location, dict(tags or {})
            )

    def get_experiment(self, ctx: Context, experiment_id: int | str) -> Experiment:
        with self.catalog.session() as s:
            return experiments.record(
                s, experiments.row(s, ctx.workspace, experiment_id), ctx.workspace
            )

    def get_experiment_by_name(self, ctx: Context, name: str) -> Experiment:
        with self.catalog.session() as s:
            return experiments.record(
                s, experiments.row_by_name(s, ctx.workspace, name), ctx.workspace
            )

    def list_experiments(self, ctx: Context, *, include_deleted: bool = False) -> list[Experiment]:
        with self.catalog.session() as s:
            return experiments.listed(s, ctx.workspace, include_deleted)

    def delete_experiment(self, ctx: Context, experiment_id: int | str) -> None:
        """Mark the experiment and its runs deleted; ``gc`` purges the runs later."""
        self._set_experiment_stage(ctx, experiment_id, "deleted", now_ms())

    def restore_experiment(self, ctx: Context, experiment_id: int | str) -> None:
        """Bring back a deleted experiment and its runs deleted with it (not yet purged)."""
        self._set_experiment_stage(ctx, experiment_id, "active", None)

    def _set_experiment_stage(
        self, ctx: Context, experiment_id: int | str, stage: str, deleted_time: int | None
    ) -> None:
        with self.catalog.session() as s:
            experiments.set_stage(s, ctx.workspace, experiment_id, stage, deleted_time)

    def rename_experiment(self, ctx: Context, experiment_id: int | str, new_name: str) -> None:
        with self.catalog.session() as s:
            row = experiments.row(s, ctx.workspace, experiment_id)
            if row.name != new_name:
                experiments.check_free(s, row.workspace_id, new_name, ctx.workspace)
            row.name, row.updated_at = new_name, now_ms()

    def set_experiment_tag(
        self, ctx: Context, experiment_id: int | str, key: str, value: str
    ) -> None:
        with self.catalog.session() as s:
            row = experiments.row(s, ctx.workspace, experiment_id)
            experiments.set_tags(s, row.id, {key: value})

    # runs -------------------------------------------------------------------------------
    def create_run(
        self,
        ctx: Context,
        experiment_id: int | str,
        *,
        name: str | None = None,
        start_time: int | None = None,
        tags: dict[str, str] | None = None,
        parent_run_id: str | None = None,
        heartbeat: bool = False,
    ) -> Run:
        """A new RUNNING run. ``heartbeat``: the caller promises ``heartbeat()`` calls, so
        the run is marked FAILED once they stop (``reap_stale_runs``)."""
        tags = dict(tags or {})
        with self.catalog.session() as s:
            exp = experiments.active_row(s, ctx.workspace, experiment_id)
            if parent_run_id is not None:
                runs.row(s, ctx.workspace, parent_run_id)
                tags[TAG_PARENT_RUN] = parent_run_id
            name = name or tags.get(TAG_RUN_NAME)
            row = runs.new_row(exp, ctx.user, name, start_time, parent_run_id, heartbeat)
            s.add(row)
            s.flush()
            tags.setdefault(TAG_RUN_NAME, row.name)
            tags.setdefault(TAG_USER, ctx.user)
            batches.write_tags(s, row.id, tags.items())
            run = runs.records(s, ctx.workspace, [row])[0]
        self.metrics.runs.labels(ctx.workspace).inc()
        return run

    def record_run(
        self,
        ctx: Context,
        experiment_id: int | str,
        *,
        name: str,
        status: str,
        start_time: int | None = None,
        end_time: int | None = None,
        parent_run_id: str | None = None,
        tags: dict[str, str] | None = None,
        params: Pairs = (),
        metrics: Iterable[Metric] = (),
    ) -> str:
        """A whole run that already happened (an Optuna trial), written in one transaction:
        ``create_run`` + ``log_batch`` + ``update_run`` at a third of the cost. Returns
        its id."""
        tags = {TAG_RUN_NAME: name, TAG_USER: ctx.user, **(tags or {})}
        with self.catalog.session() as s:
            exp = experiments.active_row(s, ctx.workspace, experiment_id)
            if parent_run_id is not None:
                runs.row(s, ctx.workspace, parent_run_id)
                tags[TAG_PARENT_RUN] = parent_run_id
            row = runs.new_row(exp, ctx.user, name, start_time, parent_run_id, False)
            row.status = runs.check_status(status)
            row.end_time = end_time if end_time is not None or status == "RUNNING" else now_ms()
            s.add(row)
            s.flush()
            batches.write_tags(s, row.id, tags.items())
            batches.write_params(s, row.id, _pairs(params))
            points = [(m.key, m.value, m.step, m.timestamp) for m in metrics]
            batches.write_metrics(s, batches.metric_rows(row.id, points))
            return row.id

    def get_run(self, ctx: Context, run_id: str) -> Run:
        self.reap_stale_runs()
        with self.catalog.session() as s:
            return runs.records(s, ctx.workspace, [runs.row(s, ctx.workspace, run_id)])[0]

    def update_run(
        self,
        ctx: Context,
        run_id: str,
        *,
        status: str | None = None,
        end_time: int | None = None,
        name: str | None = None,
    ) -> Run:
        """Change a run's status, end time or name. A finishing status with no end time
        gets the current time."""
        with self.catalog.session() as s:
            row = runs.change(s, runs.row(s, ctx.workspace, run_id), status, end_time, name)
            run = runs.records(s, ctx.workspace, [row])[0]
        if status in FINISHED_STATUSES:
            self._emit_lineage(ctx, run)
        return run

    def _emit_lineage(self, ctx: Context, run: Run) -> None:
        """An OpenLineage event for a finished run that read tables (a failure to emit is
        the lineage client's to log; it never fails the run)."""
        if self.lineage is None:
            return
        tables = [(i.name, i.version) for i in self.list_inputs(ctx, run.id) if i.kind == "table"]
        experiment = self.get_experiment(ctx, run.info.experiment_id).name
        self.lineage.tracking_run(
            ctx,
            run_id=run.id,
            experiment=experiment,
            tables=tables,
            failed=run.info.status != "FINISHED",
        )

    def delete_run(self, ctx: Context, run_id: str) -> None:
        """Mark the run deleted: hidden from searches, kept until ``gc``."""
        self._set_stage(ctx, run_id, "deleted", now_ms())

    def restore_run(self, ctx: Context, run_id: str) -> None:
        self._set_stage(ctx, run_id, "active", None)

    def _set_stage(self, ctx: Context, run_id: str, stage: str, deleted_time: int | None) -> None:
        with self.catalog.session() as s:
            row = runs.row(s, ctx.workspace, run_id)
            row.lifecycle_stage, row.deleted_time = stage, deleted_time

    def heartbeat(self, ctx: Context, run_id: str) -> None:
        """Mark the run alive now (see ``reap_stale_runs``)."""
        with self.catalog.session() as s:
            runs.heartbeat(s, experiments.workspace_id(s, ctx.workspace), run_id)

    def reap_stale_runs(self) -> int:
        """Mark FAILED every RUNNING run whose heartbeat is older than
        ``settings.tracking_heartbeat_timeout`` seconds; returns how many. One UPDATE."""
        now = time.monotonic()
        if now - self._reaped_at < _REAP_EVERY:  # reads call this: at most once a second
            return 0
        self._reaped_at = now
        timeout_ms = int(self.settings.tracking_heartbeat_timeout * 1000)
        with self.catalog.session() as s:
            return runs.reap_stale(s, timeout_ms)

    # run data ----------------------------------------------------------------------------
    def log_batch(
        self,
        ctx: Context,
        run_id: str,
        *,
        metrics: Iterable[Metric] = (),
        params: Pairs = (),
        tags: Pairs = (),
    ) -> None:
        """Write metrics, params and tags in one transaction (see ``tracking.batches``):
        a retried metric point is ignored, a param re-logged with another value is an
        InvalidInputError naming the key and both values, and then nothing is written."""
        points = [(m.key, m.value, m.step, m.timestamp) for m in metrics]
        self.log_points(ctx, run_id, points, params=params, tags=tags)

    def log_points(
        self,
        ctx: Context,
        run_id: str,
        points: Iterable[batches.Point],
        *,
        params: Pairs = (),
        tags: Pairs = (),
    ) -> None:
        """``log_batch`` with metrics as (key, value, step, timestamp) tuples: the SDK's
        buffered points, written without making a record of each."""
        metric_rows = batches.metric_rows(run_id, points)
        with self.catalog.session() as s:
            runs.active_row(s, ctx.workspace, run_id)
            batches.write_params(s, run_id, _pairs(params))
            batches.write_tags(s, run_id, _pairs(tags))
            batches.write_metrics(s, metric_rows)
        if metric_rows:
            self.metrics.points.labels(ctx.workspace).inc(len(metric_rows))

    def log_metric(
        self,
        ctx: Context,
        run_id: str,
        key: str,
        value: float,
        *,
        step: int = 0,
        timestamp: int | None = None,
    ) -> None:
        self.log_batch(ctx, run_id, metrics=[Metric(key, value, step, timestamp)])

    def log_param(self, ctx: Context, run_id: str, key: str, value: Any) -> None:
        self.log_batch(ctx, run_id, params=[(key, value)])

    def set_tag(self, ctx: Context, run_id: str, key: str, value: Any) -> None:
        self.log_batch(ctx, run_id, tags=[(key, value)])

    def set_note(self, ctx: Context, run_id: str, note: str) -> None:
        """A run's note is the tag ``mlflow.note.content``, as MLflow keeps it."""
        self.set_tag(ctx, run_id, TAG_NOTE, note)

    def delete_tag(self, ctx: Context, run_id: str, key: str) -> None:
        with self.catalog.session() as s:
            runs.active_row(s, ctx.workspace, run_id)
            batches.delete_tag(s, run_id, key)

    def get_metric_history(self, ctx: Context, run_id: str, key: str) -> list[Metric]:
        """Every point of ``key``, by step then timestamp."""
        with self.catalog.session() as s:
            runs.row(s, ctx.workspace, run_id)
            return runs.history(s, run_id, key)

    def metric_series(self, ctx: Context, run_ids: Sequence[str]) -> runs.Series:
        """Every metric of the runs for charts: key -> run id -> (steps, values), NaN and
        infinities as None; one query, so comparing 20 runs of 1,000 steps stays fast."""
        with self.catalog.session() as s:
            for run_id in run_ids:
                runs.row(s, ctx.workspace, run_id)
            return runs.series(s, run_ids)

    def log_input(self, ctx: Context, run_id: str, run_input: RunInput) -> None:
        """Record that the run read ``run_input`` (a table version, a training set)."""
        with self.catalog.session() as s:
            runs.row(s, ctx.workspace, run_id)
            runs.add_input(s, run_id, run_input, ctx.workspace)

    def list_inputs(self, ctx: Context, run_id: str) -> list[RunInput]:
        with self.catalog.session() as s:
            runs.row(s, ctx.workspace, run_id)
            return runs.inputs(s, run_id)

    # search ------------------------------------------------------------------------------
    def search_runs(
        self,
        ctx: Context,
        experiment_ids: Sequence[int | str],
        *,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int = 1000,
        page_token: str | None = None,
        run_view: str = "active",
    ) -> tuple[list[Run], str | None]:
        """Runs of the experiments matching ``filter`` (MLflow's grammar), sorted by
        ``order_by`` (newest first by default), a page at a time."""
        self.reap_stale_runs()
        with self.catalog.session() as s:
            ids = [experiments.row(s, ctx.workspace, e).id for e in experiment_ids]
            search = RunSearch.parse(ids, filter, order_by, run_view)
            rows, token = search_rows(s, search, max_results, page_token)
            return runs.records(s, ctx.workspace, rows), token

    def best_run(
        self, ctx: Context, experiment_id: int | str, metric: str, *, mode: str = "max"
    ) -> Run | None:
        """The active run of the experiment with the greatest (``mode="max"``) or least
        latest value of ``metric``, NaN never best; None when no run has the metric."""
        if mode not in ("max", "min"):
            raise InvalidInputError(f"mode must be 'max' or 'min', not {mode!r}", found=mode)
        with self.catalog.session() as s:
            exp = experiments.row(s, ctx.workspace, experiment_id)
            row = runs.best(s, exp.id, metric, descending=mode == "max")
            return None if row is None else runs.records(s, ctx.workspace, [row])[0]

    # artifacts ---------------------------------------------------------------------------
    def log_artifact(
        self, ctx: Context, run_id: str, local_path: str | Path, artifact_path: str | None = None
    ) -> list[ArtifactInfo]:
        """Store a file or a folder (recursively) under ``artifact_path`` of the run."""
        self._active_run(ctx, run_id)
        return self.artifacts.put_path("run", run_id, Path(local_path), artifact_path)

    def log_artifacts(
        self, ctx: Context, run_id: str, local_dir: str | Path, artifact_path: str | None = None
    ) -> list[ArtifactInfo]:
        """Store the files of a folder (recursively) directly under ``artifact_path``."""
        self._active_run(ctx, run_id)
        return self.artifacts.put_path("run", run_id, Path(local_dir), artifact_path, contents=True)

    def log_artifact_stream(
        self, ctx: Context, run_id: str, path: str, stream: IO[bytes]
    ) -> ArtifactInfo:
        """Store the bytes of a binary file object as ``path``; read in chunks, never whole."""
        self._active_run(ctx, run_id)
        return self.artifacts.put_stream("run", run_id, path, stream)

    def list_artifacts(
        self, ctx: Context, run_id: str, path: str | None = None
    ) -> list[ArtifactInfo]:
        self.get_run_info(ctx, run_id)
        return self.artifacts.list("run", run_id, path)

    def open_artifact(self, ctx: Context, run_id: str, path: str) -> IO[bytes]:
        self.get_run_info(ctx, run_id)
        return self.artifacts.open("run", run_id, path)

    def download_artifacts(
        self, ctx: Context, run_id: str, path: str | None, dst: str | Path
    ) -> Path:
        """Copy an artifact file or folder (``None``: all of them) under ``dst``."""
        self.get_run_info(ctx, run_id)
        return self.artifacts.download("run", run_id, path, Path(dst))

    def gc(self, ctx: Context | None = None, *, dry_run: bool = False) -> GcResult:
        """Purge runs in the 'deleted' stage (of ``ctx``'s workspace, or all) with their
        rows and artifact refs, then delete stored objects no ref points to."""
        from lakeworks.tracking import gc

        grace = self.settings.tracking_gc_grace
        return gc.collect(self.catalog, self.artifacts.objects, ctx, grace_s=grace, dry_run=dry_run)

    def get_run_info(self, ctx: Context, run_id: str) -> None:
        with self.catalog.session() as s:
            runs.row(s, ctx.workspace, run_id)

    def _active_run(self, ctx: Context, run_id: str) -> None:
        with self.catalog.session() as s:
            runs.active_row(s, ctx.workspace, run_id)

    def close(self) -> None:
        """Write what the SDK's runs open on this service have buffered (they stay open)."""
        from lakeworks.tracking.client import open_runs

        for run in open_runs(self):
            try:
                run.flush()
            except Exception:  # closing goes on; the run's own end retries
                log.exception("could not flush run %s on close", run.id)


def _pairs(items: Pairs) -> list[tuple[str, Any]]:
    return list(items.items()) if isinstance(items, dict) else list(items)
