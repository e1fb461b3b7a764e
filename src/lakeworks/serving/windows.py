"""The catalog side of live metrics: each process flushes its counts per endpoint slot
every few seconds as one row (``meta.models.EndpointWindowRow``), and whoever judges an
endpoint's health sums every process's rows over the window. So several replicas (or
server workers) on one catalog are judged on all their traffic, and a judge that starts
late still sees the window.

Rows are only inserted (no process updates another's), and ``purge`` drops those older
than ``serving_metrics_retention``.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import delete, select

from lakeworks.errors import NotFoundError
from lakeworks.meta.catalog import Catalog
from lakeworks.meta.models import EndpointWindowRow
from lakeworks.monitoring.live import Counts, Key
from lakeworks.serving.store import now_ms


class WindowStore:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def flush(self, process: str, items: list[tuple[Key, Counts]]) -> int:
        """Write ``items`` (counts since this process's previous flush); their number."""
        if not items:
            return 0
        at = now_ms()
        ids = self._existing({k[0] for k, _ in items})
        rows = [_row(ids[k[0]], k, c, process, at) for k, c in items if k[0] in ids]
        with self.catalog.session() as s:
            s.add_all(rows)
        return len(rows)

    def read(self, workspace: str, endpoint: str, since_ms: int) -> dict[tuple[str, str], Counts]:
        """Every process's counts of ``endpoint`` flushed after ``since_ms``, summed per
        (slot, model)."""
        query = select(EndpointWindowRow).where(
            EndpointWindowRow.workspace_id == self._workspace_id(workspace),
            EndpointWindowRow.endpoint == endpoint,
            EndpointWindowRow.at_ms > since_ms,
        )
        found: dict[tuple[str, str], Counts] = defaultdict(Counts)
        with self.catalog.session() as s:
            for row in s.scalars(query):
                found[(row.slot, row.model)].merge(_counts(row))
        return dict(found)

    def buckets(
        self, workspace: str, endpoint: str, since_ms: int, step_ms: int
    ) -> dict[tuple[str, str], dict[int, Counts]]:
        """Like ``read``, summed per (slot, model) and per bucket of ``step_ms`` (keyed by
        its start, ``at_ms - at_ms % step_ms``): the series a chart draws."""
        w = EndpointWindowRow  # plain tuples, not ORM objects: a day holds ~17,000 rows per slot
        query = select(w.slot, w.model, w.at_ms, w.requests, w.errors, w.buckets).where(
            w.workspace_id == self._workspace_id(workspace),
            w.endpoint == endpoint,
            w.at_ms > since_ms,
        )
        found: dict[tuple[str, str], dict[int, Counts]] = defaultdict(lambda: defaultdict(Counts))
        with self.catalog.session() as s:
            for slot, model, at, requests, errors, buckets in s.execute(query):
                counts = found[(slot, model)][at - at % step_ms]
                counts.requests += requests
                counts.errors += errors
                counts.buckets = [a + b for a, b in zip(counts.buckets, buckets, strict=True)]
        return {key: dict(per_step) for key, per_step in found.items()}

    def purge(self, before_ms: int) -> None:
        with self.catalog.session() as s:
            s.execute(delete(EndpointWindowRow).where(EndpointWindowRow.at_ms < before_ms))

    def delete(self, workspace: str, endpoint: str) -> None:
        with self.catalog.session() as s:
            s.execute(
                delete(EndpointWindowRow).where(
                    EndpointWindowRow.workspace_id == self._workspace_id(workspace),
                    EndpointWindowRow.endpoint == endpoint,
                )
            )

    def _existing(self, names: set[str]) -> dict[str, int]:
        """The ids of those of ``names`` that still exist (a deleted workspace's counts
        have nowhere to go)."""
        found = {}
        for name in names:
            try:
                found[name] = self._workspace_id(name)
            except NotFoundError:
                continue
        return found

    def _workspace_id(self, name: str) -> int:
        # read each time, not kept: a workspace deleted and made again has a new id
        return self.catalog.workspace(name).id


def _row(workspace_id: int, key: Key, counts: Counts, process: str, at: int) -> EndpointWindowRow:
    return EndpointWindowRow(
        workspace_id=workspace_id,
        endpoint=key[1],
        slot=key[2],
        model=key[3],
        process=process,
        at_ms=at,
        requests=counts.requests,
        errors=counts.errors,
        buckets=counts.buckets,
        label_n=counts.label_n,
        label_sum=counts.label_sum,
        compared=counts.compared,
        equal=counts.equal,
    )


def _counts(row: EndpointWindowRow) -> Counts:
    return Counts(
        row.requests,
        row.errors,
        list(row.buckets),
        row.label_n,
        row.label_sum,
        row.compared,
        row.equal,
    )
