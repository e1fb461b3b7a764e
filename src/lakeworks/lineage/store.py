"""Catalog access for lineage runs and their input edges; returns frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
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
        return (
            select(LineageEdgeRow, LineageRunRow)
            .join(LineageRunRow, LineageEdgeRow.run_id == LineageRunRow.id)
            .where(LineageEdgeRow.workspace_id == workspace_id)
            .order_by(LineageEdgeRow.id)
        )

    def _run(self, query) -> list[Edge]:  # noqa: ANN001
        with self.catalog.session() as s:
            return [_edge(run, edge) for edge, run in s.execute(query).all()]


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


def _edge(run: LineageRunRow, edge: LineageEdgeRow) -> Edge:
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
