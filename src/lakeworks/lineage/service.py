"""The lineage service (``platform.lineage``) and the hook that records every write.

Example:
    >>> ws.sql("create table counts as select island from penguins")  # doctest: +SKIP
    >>> [str(e.source) for e in ws.lineage("counts").upstream]  # doctest: +SKIP
    ['penguins@v1']
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeworks.context import Context
from lakeworks.hooks import Hook, Inputs
from lakeworks.lineage import jobs
from lakeworks.lineage import openlineage as ol
from lakeworks.lineage.columns import column_sources
from lakeworks.lineage.store import Edge, LineageStore, Node, RunRecord

if TYPE_CHECKING:
    import pyarrow as pa

    from lakeworks.config import Settings
    from lakeworks.lake.storage import Storage
    from lakeworks.lake.tables import Tables
    from lakeworks.meta.catalog import Catalog

log = logging.getLogger("lakeworks.lineage")
MAX_EDGES = 1000
_SOURCE_KINDS = {
    "file": "file",
    "sql": "query",
    "http": "url",
    "stream": "stream",
    "model": "model",  # batch scoring: the model version that made the rows
}
_KEEPS_ROWS = {"append", "upsert", "delete"}


@dataclass(frozen=True)
class LineageGraph:
    """What a table version came from (``upstream``) and what was made from it
    (``downstream``), as edges source -> target, nearest first."""

    table: str
    version: int | None
    upstream: tuple[Edge, ...]
    downstream: tuple[Edge, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "version": self.version,
            "upstream": [e.to_dict() for e in self.upstream],
            "downstream": [e.to_dict() for e in self.downstream],
        }


class Lineage:
    def __init__(
        self, catalog: Catalog, storage: Storage, settings: Settings, tables: Tables
    ) -> None:
        self.catalog = catalog
        self.storage = storage
        self.settings = settings
        self.tables = tables
        self.store = LineageStore(catalog)
        self._client: Any = None
        self._client_made = False
        self._schemas: dict[tuple[int, int | None], pa.Schema] = {}

    def graph(
        self, ctx: Context, table: str, version: int | None = None, depth: int = 10
    ) -> LineageGraph:
        """Upstream and downstream of ``table`` (all its versions unless ``version``)."""
        self.tables.entry(ctx, table)
        up = self._walk(ctx, (table, version), self.store.into_many, lambda e: e.source, depth)
        down = self._walk(ctx, (table, version), self.store.out_of_many, lambda e: e.target, depth)
        return LineageGraph(table, version, tuple(up), tuple(down))

    def view_readers(self, ctx: Context, view: str) -> list[Edge]:
        """The tracking runs that built a training set from feature view ``view``."""
        return self.store.view_reads(ctx.workspace, view)

    def _walk(
        self, ctx: Context, start: tuple[str, int | None], step, next_node, depth: int
    ) -> list[Edge]:  # noqa: ANN001
        """Breadth first, one store call per frontier (``step`` answers many keys at once),
        edges in the order of the frontier's keys, as one call per key would give them."""
        edges: list[Edge] = []
        seen, frontier = {start}, [start]
        taken: set[tuple[str, Node]] = set()
        for _ in range(depth):
            following = []
            found = step(ctx.workspace, frontier)
            for key in frontier:
                for edge in found[key]:
                    if (edge.run_uuid, edge.source) in taken:
                        continue
                    taken.add((edge.run_uuid, edge.source))
                    edges.append(edge)
                    node = next_node(edge)
                    reached = (node.name, node.version)
                    if node.kind == "table" and reached not in seen:
                        seen.add(reached)
                        following.append(reached)
            frontier = following
            if not frontier or len(edges) > MAX_EDGES:
                break
        return edges

    # recording ----------------------------------------------------------------------
    @property
    def client(self) -> Any:
        if not self._client_made:
            self._client = ol.make_client(self.settings)
            self._client_made = True
        return self._client

    def emit(self, event: Any) -> None:
        if self.client is not None:
            try:
                self.client.emit(event)
            except Exception as exc:  # an unreachable Marquez never fails a write
                log.warning("could not emit an OpenLineage event: %s", exc)

    def tracking_run(
        self,
        ctx: Context,
        *,
        run_id: str,
        experiment: str,
        tables: list[tuple[str, int | None]],
        failed: bool,
    ) -> None:
        """The OpenLineage event of a finished tracking run that read ``tables`` (job
        ``<workspace>.experiment.<name>``, run id the run's uuid). The graph itself reads
        the run's inputs from the catalog (``LineageStore.out_of``)."""
        if self.client is None or not tables:
            return
        inputs = [
            ol.dataset("table", f"{ctx.workspace}.{t}", self.schema(ctx, t, v), output=False)
            for t, v in tables
        ]
        self.emit(
            ol.event(
                "FAIL" if failed else "COMPLETE",
                run_uuid=str(uuid.UUID(hex=run_id)),
                job_name=f"{ctx.workspace}.experiment.{experiment}",
                inputs=inputs,
                outputs=[],
                job=None,
                workspace=ctx.workspace,
            )
        )

    def sources(self, ctx: Context, inputs: Inputs) -> list[Node]:
        nodes = [Node("table", t, v) for t, v in dict.fromkeys(inputs.tables)]
        kind = _SOURCE_KINDS.get(inputs.source_kind or "", "file")
        nodes += [Node(kind, s) for s in inputs.sources]
        job = jobs.current_job.get()
        if job is not None:
            nodes += [Node("table", t, v) for t, v in job.reads if Node("table", t, v) not in nodes]
        if not nodes and inputs.sql:
            return [Node("query", inputs.sql)]
        return nodes or [Node("data", f"rows written by {ctx.user}")]

    def schema(self, ctx: Context, table: str, version: int | None) -> pa.Schema | None:
        """The schema of a table version, for schema facets and column lineage.

        A write asks for the same versions several times (START, COMPLETE, columns); a
        version never changes, so each (table entry, version) is read from the log once.
        """
        from lakeworks.lake.versions import arrow_schema, open_delta

        entry = self.catalog.find_table(ctx.workspace, table)
        if entry is None:  # a table dropped since, or not created yet
            return None
        key = (entry.id, version)
        if version is not None and key in self._schemas:
            return self._schemas[key]
        try:
            dt = open_delta(entry.location, self.storage.options(), table=table, version=version)
        except Exception:  # the version was vacuumed, or the files are gone
            return None
        schema = arrow_schema(dt)
        if len(self._schemas) >= 4096:
            self._schemas.clear()
        self._schemas[(entry.id, dt.version())] = schema
        return schema


class LineageHook(Hook):
    """Records each write's inputs in the catalog and emits its OpenLineage events."""

    def __init__(self, lineage: Lineage) -> None:
        self.lineage = lineage

    def table_read(self, *, table: str, version: int, **_: Any) -> None:
        jobs.record_read(table, version)

    def write_started(
        self, *, ctx: Context, table: str, write_id: str, inputs: Inputs, **_: Any
    ) -> None:
        self._emit("START", ctx, table, write_id, inputs, None)

    def write_failed(
        self,
        *,
        ctx: Context,
        table: str,
        write_id: str,
        inputs: Inputs,
        error: BaseException,
        **_: Any,
    ) -> None:
        self._emit("FAIL", ctx, table, write_id, inputs, None, error)

    def write_finished(
        self,
        *,
        ctx: Context,
        table: str,
        operation: str,
        write_id: str,
        inputs: Inputs,
        version: int,
        **_: Any,
    ) -> None:
        job = jobs.current_job.get()
        sources = self.lineage.sources(ctx, inputs)
        if operation in _KEEPS_ROWS and version > 0:  # the new version holds the previous one
            sources = [Node("table", table, version - 1), *sources]
        columns = self._columns(ctx, table, version, inputs)
        self.lineage.store.save(
            RunRecord(
                workspace=ctx.workspace,
                run_uuid=_run_uuid(write_id),
                job=_job_name(ctx, table, inputs, job),
                kind=inputs.kind,
                table=table,
                version=version,
                operation=operation,
                user=ctx.user,
                sources=[(n, columns.get(n.name) if n.kind == "table" else None) for n in sources],
                pipeline=job.pipeline if job else None,
                pipeline_run_id=job.run_id if job else None,
                task=job.task if job else None,
                sql=inputs.sql,
            )
        )
        self._emit("COMPLETE", ctx, table, write_id, inputs, version)

    def _columns(
        self, ctx: Context, table: str, version: int, inputs: Inputs
    ) -> dict[str, dict[str, list[str]]]:
        """{source table: {output column: [source columns]}} for a SQL write."""
        if inputs.kind != "sql" or not inputs.rewritten:
            return {}
        views = _views(inputs)
        schemas = {}
        for view, (name, at) in views.items():
            schema = self.lineage.schema(ctx, name, at)
            if schema is not None:
                schemas[view] = {f.name: "VARCHAR" for f in schema}
        output = self.lineage.schema(ctx, table, version)
        if output is None:
            return {}
        found: dict[str, dict[str, list[str]]] = {}
        for out, pairs in column_sources(inputs.rewritten, schemas, output.names).items():
            for view, column in pairs:
                name = views.get(view, (view.split("@")[0], None))[0]
                found.setdefault(name, {}).setdefault(out, []).append(column)
        return found

    def _emit(
        self,
        state: str,
        ctx: Context,
        table: str,
        write_id: str,
        inputs: Inputs,
        version: int | None,
        error: BaseException | None = None,
    ) -> None:
        if self.lineage.client is None:
            return
        job = jobs.current_job.get()
        ins = [
            ol.dataset(
                n.kind,
                f"{ctx.workspace}.{n.name}" if n.kind == "table" else n.name,
                self.lineage.schema(ctx, n.name, n.version) if n.kind == "table" else None,
                output=False,
            )
            for n in self.lineage.sources(ctx, inputs)
            if n.kind != "data"
        ]
        out_schema = self.lineage.schema(ctx, table, version) if state == "COMPLETE" else None
        outs = [ol.dataset("table", f"{ctx.workspace}.{table}", out_schema, output=True)]
        self.lineage.emit(
            ol.event(
                state,
                run_uuid=_run_uuid(write_id),
                job_name=_job_name(ctx, table, inputs, job),
                inputs=ins,
                outputs=outs,
                job=job,
                workspace=ctx.workspace,
                sql=inputs.sql,
                error=error,
            )
        )


def _run_uuid(write_id: str) -> str:
    return str(uuid.UUID(hex=write_id))


def _job_name(ctx: Context, table: str, inputs: Inputs, job: jobs.JobRun | None) -> str:
    if job is not None:
        return f"{ctx.workspace}.{job.pipeline}.{job.task}"
    return f"{ctx.workspace}.{inputs.kind}.{table}"


def _views(inputs: Inputs) -> dict[str, tuple[str, int]]:
    """The DuckDB view names a rewritten statement reads, each with its table version."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    versions: dict[str, list[int]] = {}
    for table, version in inputs.tables:
        versions.setdefault(table, []).append(version)
    try:
        names = {
            t.name
            for t in sqlglot.parse_one(inputs.rewritten, dialect="duckdb").find_all(exp.Table)
        }
    except SqlglotError:
        return {}
    views = {}
    for name in names:
        base, _, when = name.partition("@")
        if base not in versions:
            continue
        if when.startswith("v") and when[1:].isdigit():
            views[name] = (base, int(when[1:]))
        else:
            views[name] = (base, max(versions[base]) if not when else min(versions[base]))
    return views
