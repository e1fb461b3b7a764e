"""Catalog access for lineage runs and their input edges; returns frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select

from lakeworks.meta.catalog import Catalog, aware, now
from lakeworks.meta.models import (
    ExperimentRow,
    LineageEdgeRow,
    LineageRunRow,
    RunInputRow,
    RunRow,
)


@dataclass(frozen=True)
class Node:
    """A dataset in the graph: a table version, or a file, query or URL a load read."""

    kind: str  # table | file | query | url | data (rows handed to a write) | run (tracking)
    name: str
    version: int | None = None

    def __str__(self) -> str:
        return f"{self.name}@v{self.version}" if self.version is not None else self.name


@dataclass(frozen=True)
class Edge:
    """``source`` was read by a job run that wrote ``target``; or, when ``target`` is a
    node of kind ``run``, read by that tracking run (``job`` is its experiment)."""

    source: Node
    target: Node
    job: str
    kind: str  # sql | load | write
    run_uuid: str
    operation: str
    user: str
    at: datetime
    pipeline: str | None = None
    pipeline_run_id: int | None = None
    task: str | None = None
    sql: str | None = None
    columns: dict[str, list[str]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": {
                "kind": self.source.kind,
                "name": self.source.name,
                "version": self.source.version,
            },
            "target": {
                "kind": self.target.kind,
                "name": self.target.name,
                "version": self.target.version,
            },
            "job": self.job,
            "kind": self.kind,
            "run": self.run_uuid,
            "operation": self.operation,
            "user": self.user,
            "at": self.at.isoformat(),
            "pipeline": self.pipeline,
            "pipeline_run_id": self.pipeline_run_id,
            "task": self.task,
            "sql": self.sql,
            "columns": self.columns,
        }


@dataclass(frozen=True)
class RunRecord:
    """One recorded write with what it read."""

    workspace: str
    run_uuid: str
    job: str
    kind: str
    table: str
    version: int | None
    operation: str
    user: str
    sources: list[tuple[Node, dict[str, list[str]] | None]] = field(default_factory=list)
    pipeline: str | None = None
    pipeline_run_id: int | None = None
    task: str | None = None
    sql: str | None = None


class LineageStore:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def save(self, run: RunRecord) -> None:
        ws = self.catalog.workspace(run.workspace)
        with self.catalog.session() as s:
            row = LineageRunRow(
                workspace_id=ws.id,
                run_uuid=run.run_uuid,
                job=run.job,
                kind=run.kind,
                pipeline=run.pipeline,
                pipeline_run_id=run.pipeline_run_id,
                task=run.task,
                sql=run.sql,
                table_name=run.table,
                table_version=run.version,
                operation=run.operation,
                user=run.user,
                created_at=now(),
            )
            s.add(row)
            s.flush()
            s.add_all(
                LineageEdgeRow(
                    run_id=row.id,
                    workspace_id=ws.id,
                    source_kind=node.kind,
                    source_name=node.name,
                    source_version=node.version,
                    target_table=run.table,
                    target_version=run.version,
                    columns=columns,
                )
                for node, columns in run.sources
            )

    def into(self, workspace: str, table: str, version: int | None = None) -> list[Edge]:
        """Edges whose target is ``table`` (at ``version`` when given)."""
        ws = self.catalog.workspace(workspace)
        query = self._edges(ws.id).where(LineageEdgeRow.target_table == table)
        if version is not None:
            query = query.where(LineageEdgeRow.target_version == version)
        return self._run(query)

    def out_of(self, workspace: str, table: str, version: int | None = None) -> list[Edge]:
        """Edges whose source is the table ``table`` (at ``version`` when given)."""
        ws = self.catalog.workspace(workspace)
        query = self._edges(ws.id).where(
            LineageEdgeRow.source_kind == "table", LineageEdgeRow.source_name == table
        )
        if version is not None:
            query = query.where(
                or_(
                    LineageEdgeRow.source_version == version,
                    LineageEdgeRow.source_version.is_(None),
                )
            )
        return self._run(query) + self._run_reads(workspace, table, version)

    def into_many(self, workspace: str, keys: list[Key]) -> dict[Key, list[Edge]]:
        """``into`` for many ``(table, version)`` keys at once: one query per chunk of
        names instead of one per key (a graph walk asks for a whole frontier)."""
        ws = self.catalog.workspace(workspace)
        found: dict[Key, list[Edge]] = {key: [] for key in keys}
        for names in _chunks(sorted({name for name, _ in keys})):
            query = self._edges(ws.id).where(LineageEdgeRow.target_table.in_(names))
            for edge in self._run(query):
                for key in {(edge.target.name, None), (edge.target.name, edge.target.version)}:
                    if key in found:
                        found[key].append(edge)
        return found

    def out_of_many(self, workspace: str, keys: list[Key]) -> dict[Key, list[Edge]]:
        """``out_of`` for many ``(table, version)`` keys at once (see ``into_many``)."""
        ws = self.catalog.workspace(workspace)
        edges: dict[Key, list[Edge]] = {key: [] for key in keys}
        reads: dict[Key, list[Edge]] = {key: [] for key in keys}
        versions: dict[str, list[int | None]] = {}
        for name, version in keys:
            versions.setdefault(name, []).append(version)
        for names in _chunks(sorted(versions)):
            query = self._edges(ws.id).where(
                LineageEdgeRow.source_kind == "table", LineageEdgeRow.source_name.in_(names)
            )
            for edge in self._run(query):
                for version in versions[edge.source.name]:
                    if version is None or edge.source.version in (version, None):
                        edges[(edge.source.name, version)].append(edge)
            for edge in self._reads_of(workspace, names):
                for version in versions[edge.source.name]:
                    if version is None or edge.source.version == version:
                        reads[(edge.source.name, version)].append(edge)
        return {key: edges[key] + reads[key] for key in keys}

    def _reads_of(self, workspace: str, names: list[str]) -> list[Edge]:
        rows = self._run_inputs(workspace, "table", RunInputRow.name.in_(names))
        return [_run_edge(i, r, e) for i, r, e in rows]

    def _run_inputs(self, workspace: str, kind: str, matching: Any) -> list[Any]:
        """The (input, run, experiment name) rows of tracking runs' ``kind`` inputs in
        ``workspace`` that match the condition, in the order they were recorded."""
        query = (
            select(RunInputRow, RunRow, ExperimentRow.name)
            .join(RunRow, RunRow.id == RunInputRow.run_id)
            .join(ExperimentRow, ExperimentRow.id == RunRow.experiment_id)
            .where(RunInputRow.workspace == workspace, RunInputRow.kind == kind, matching)
            .order_by(RunInputRow.id)
        )
        with self.catalog.session() as s:
            return list(s.execute(query).all())

    def view_reads(self, workspace: str, view: str) -> list[Edge]:
        """Tracking runs that built a training set from feature view ``view``: edges
        ``view@vN -> run`` from the ``training_set`` inputs tracking records."""
        named = RunInputRow.name.contains(f"{view}@v", autoescape=True)
        rows = self._run_inputs(workspace, "training_set", named)
        edges = []
        for read, run, experiment in rows:
            views = (read.detail or {}).get("views") or {}
            if view in views:
                edge = _run_edge(read, run, experiment)
                source = Node("view", view, views[view])
                edges.append(replace(edge, source=source, operation="training set"))
        return edges

    def _run_reads(self, workspace: str, table: str, version: int | None) -> list[Edge]:
        """Tracking runs that read the table: ``run_inputs`` rows, which tracking writes
        (lineage reads them; tracking sits above lineage and never needs to call it)."""
        query = (
            select(RunInputRow, RunRow, ExperimentRow.name)
            .join(RunRow, RunRow.id == RunInputRow.run_id)
            .join(ExperimentRow, ExperimentRow.id == RunRow.experiment_id)
            .where(
                RunInputRow.workspace == workspace,
                RunInputRow.kind == "table",
                RunInputRow.name == table,
            )
            .order_by(RunInputRow.id)
        )
        if version is not None:
            query = query.where(RunInputRow.version == version)
        with self.catalog.session() as s:
            return [_run_edge(i, r, e) for i, r, e in s.execute(query).all()]

    @staticmethod
    def _edges(workspace_id: int):  # noqa: ANN205
        """Plain rows of the columns ``_edge`` reads (no ORM objects: a walk over a
        thousand edges spent most of its time building them)."""
        return (
            select(*EDGE_COLUMNS)
            .join(LineageRunRow, LineageEdgeRow.run_id == LineageRunRow.id)
            .where(LineageEdgeRow.workspace_id == workspace_id)
            .order_by(LineageEdgeRow.id)
        )

    def _run(self, query) -> list[Edge]:  # noqa: ANN001
        with self.catalog.session() as s:
            return [_edge(row, row) for row in s.execute(query).all()]


EDGE_COLUMNS = (
    LineageEdgeRow.source_kind,
    LineageEdgeRow.source_name,
    LineageEdgeRow.source_version,
    LineageEdgeRow.columns,
    *(getattr(LineageRunRow, c) for c in ("table_name", "table_version", "job", "kind",
      "run_uuid", "operation", "user", "created_at", "pipeline", "pipeline_run_id", "task", "sql")),
)  # fmt: skip
Key = tuple[str, int | None]  # a table and a version of it (None: every version)
CHUNK = 500  # names per IN (...) list, well under SQLite's limit of bound parameters


def _chunks(names: list[str]) -> list[list[str]]:
    return [names[i : i + CHUNK] for i in range(0, len(names), CHUNK)]


def _run_edge(read: RunInputRow, run: RunRow, experiment: str) -> Edge:
    return Edge(
        source=Node("table", read.name, read.version),
        target=Node("run", run.id),
        job=f"experiment:{experiment}",
        kind="run",
        run_uuid=run.id,
        operation="read",
        user=run.user_id,
        at=datetime.fromtimestamp(run.start_time / 1000, UTC),
    )


def _edge(run: Any, edge: Any) -> Edge:
    """An edge from a row with the run's and the edge's columns (``EDGE_COLUMNS``)."""
    return Edge(
        source=Node(edge.source_kind, edge.source_name, edge.source_version),
        target=Node("table", run.table_name, run.table_version),
        job=run.job,
        kind=run.kind,
        run_uuid=run.run_uuid,
        operation=run.operation,
        user=run.user,
        at=aware(run.created_at),
        pipeline=run.pipeline,
        pipeline_run_id=run.pipeline_run_id,
        task=run.task,
        sql=run.sql,
        columns=edge.columns,
    )
