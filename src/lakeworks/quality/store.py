"""Catalog access for checks, check results and profiles; returns immutable values."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lakeworks.cache import BoundedCache
from lakeworks.errors import AlreadyExistsError, NotFoundError
from lakeworks.meta.catalog import Catalog, aware, now
from lakeworks.meta.models import QualityCheckRow, QualityResultRow, TableProfileRow, WorkspaceRow
from lakeworks.quality.checks import Check
from lakeworks.quality.evaluate import Outcome


@dataclass(frozen=True)
class CheckInfo:
    """A check attached to a table."""

    id: int
    table: str
    name: str
    kind: str
    check: Check
    created_at: datetime
    created_by: str


class CheckResult(NamedTuple):
    """One stored outcome of one check on one table version.

    A NamedTuple rather than a frozen dataclass: a run over 1,000 tables builds 11,000 of
    them, and a frozen dataclass sets each field through ``object.__setattr__`` (44 ms
    for 11,000 against 7 ms here).
    """

    id: int
    table: str
    version: int | None
    run_id: str
    trigger: str  # manual | write
    check: str
    kind: str
    severity: str
    status: str  # passed | failed | warned
    violating: int
    total: int
    observed: float | None
    message: str
    sample: list[dict[str, Any]] | None
    created_at: datetime

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True)
class Profile:
    """The profile of one table version: ``columns`` maps a column to its statistics."""

    table: str
    version: int
    rows: int
    columns: dict[str, dict[str, Any]]
    created_at: datetime


_FEW_TABLES = 32  # checks_of reads up to this many tables' checks alone, not kept


class _Known(NamedTuple):
    """The checks of a workspace's tables read so far (a table without checks: empty),
    while the workspace's checks are at ``revision``; ``complete``: every table with checks
    is in ``by_table``. Never changed in place: a newer one replaces it."""

    revision: int
    by_table: dict[str, tuple[CheckInfo, ...]]
    complete: bool


class QualityStore:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._workspace_ids: dict[str, int] = {}
        # each check row parsed, by (id, revision that added it); a row never changes
        self._parsed: BoundedCache[CheckInfo] = BoundedCache(65_536)
        # the checks of a workspace's tables read so far, by workspace id (see checks_of)
        self._checks: BoundedCache[_Known] = BoundedCache(256)

    def _workspace_id(self, workspace: str) -> int:
        """Workspace ids never change, so one lookup per process is enough."""
        if workspace not in self._workspace_ids:
            self._workspace_ids[workspace] = self.catalog.workspace(workspace).id
        return self._workspace_ids[workspace]

    # checks -------------------------------------------------------------------------
    def add_checks(
        self, workspace: str, table: str, checks: list[Check], user: str
    ) -> list[CheckInfo]:
        ws = self.catalog.workspace(workspace)
        try:
            with self.catalog.session() as s:
                revision = _bump(s, ws.id)
                rows = [
                    QualityCheckRow(
                        workspace_id=ws.id,
                        table_name=table,
                        name=c.name,
                        kind=c.kind,
                        spec=c.to_spec(),
                        created_at=now(),
                        created_by=user,
                        revision=revision,
                    )
                    for c in checks
                ]
                s.add_all(rows)
                s.flush()
                added = [_check(r) for r in rows]
            self._checks.discard([ws.id])  # this process knows: no revision read needed
            return added
        except IntegrityError as exc:
            raise AlreadyExistsError(
                f"table {table!r} already has a check of that name",
                hint="remove it first, or pass name=... to the check",
                table=table,
            ) from exc

    def checks(self, workspace: str, table: str) -> list[CheckInfo]:
        return list(self.checks_of(workspace, [table]).get(table, ()))

    def checks_of(
        self, workspace: str, tables: list[str] | None
    ) -> dict[str, tuple[CheckInfo, ...]]:
        """The checks of each table (of every table that has any when ``tables`` is None),
        in the order added; a table without checks is absent.

        A check row never changes after it is added, so when many tables are asked for,
        each table's checks are read once and kept while the workspace's
        ``checks_revision`` stays the same. Every add or remove of a check, from any
        process, bumps it in the same transaction, so reading that one value (a primary-key
        lookup) stands in for 11,000 rows of 1,000 tables' checks on every ``run_many``; it
        cannot be fooled by a re-used id or equal timestamps. The revision is read before
        the rows, so kept rows are never older than the revision they are kept under (on
        PostgreSQL they may be newer, which only costs one extra read). Tables asked for
        one by one are read alone, unkept: that is cheaper than keeping track. Each check is
        parsed once per process, found again by (id, revision that added it), which a
        re-used id does not repeat.
        """
        workspace_id = self._workspace_id(workspace)
        mine = QualityCheckRow.__table__.c.workspace_id == workspace_id
        if tables is not None and len(tables) <= _FEW_TABLES:
            with self.catalog.session() as s:
                found = self._read_checks(s, mine, tables)
            return {name: found[name] for name in tables if name in found}
        with self.catalog.session() as s:
            revision = s.execute(
                select(WorkspaceRow.checks_revision).where(WorkspaceRow.id == workspace_id)
            ).scalar_one()
            known = self._checks.get(workspace_id)
            if known is None or known.revision != revision:
                known = _Known(revision, {}, complete=False)
            if tables is None and not known.complete:
                known = _Known(revision, self._read_checks(s, mine, None), complete=True)
            elif tables is not None and not known.complete:
                missing = [name for name in tables if name not in known.by_table]
                if missing:
                    found = self._read_checks(s, mine, missing)
                    read = {name: found.get(name, ()) for name in missing}
                    known = _Known(revision, {**known.by_table, **read}, complete=False)
            self._checks.put(workspace_id, known)  # replaced whole: others read the old
        by_table = known.by_table
        if tables is None:
            return {name: infos for name, infos in by_table.items() if infos}
        return {name: by_table[name] for name in tables if by_table.get(name)}

    def _read_checks(
        self, s: Session, mine: Any, tables: list[str] | None
    ) -> dict[str, tuple[CheckInfo, ...]]:
        """The checks of ``tables`` (None: all) from the catalog, in the order added."""
        table = QualityCheckRow.__table__
        where = [mine] if tables is None else [mine, table.c.table_name.in_(tables)]
        query = select(table.c.id, table.c.table_name, table.c.revision).where(*where)
        rows = s.execute(query.order_by(table.c.id)).all()
        parsed = {(id_, rev): self._parsed.get((id_, rev)) for id_, _, rev in rows}
        if None in parsed.values():
            for row in s.execute(select(table).where(*where)):
                key = (row.id, row.revision)
                if parsed.get(key, False) is None:
                    parsed[key] = self._parsed.put(key, _check(row))
        found: dict[str, list[CheckInfo]] = {}
        for id_, name, rev in rows:
            found.setdefault(name, []).append(parsed[(id_, rev)])  # type: ignore[arg-type]
        return {name: tuple(infos) for name, infos in found.items()}

    def remove_check(self, workspace: str, table: str, name: str) -> None:
        ws = self.catalog.workspace(workspace)
        with self.catalog.session() as s:
            done = s.execute(
                delete(QualityCheckRow).where(
                    QualityCheckRow.workspace_id == ws.id,
                    QualityCheckRow.table_name == table,
                    QualityCheckRow.name == name,
                )
            )
            if done.rowcount:
                _bump(s, ws.id)
            self._checks.discard([ws.id])
            if not done.rowcount:
                raise NotFoundError(
                    f"table {table!r} has no check named {name!r}",
                    hint=f"list them with `lakeworks quality list {table}`",
                    table=table,
                    check=name,
                )

    # results ------------------------------------------------------------------------
    def save_results(
        self,
        workspace: str,
        table: str,
        version: int | None,
        run_id: str,
        trigger: str,
        outcomes: list[Outcome],
    ) -> list[CheckResult]:
        return self.save_runs(workspace, [(table, version, run_id, trigger, outcomes)])[0]

    def save_runs(
        self, workspace: str, runs: list[tuple[str, int | None, str, str, list[Outcome]]]
    ) -> list[list[CheckResult]]:
        """Store the outcomes of several runs ((table, version, run id, trigger, outcomes))
        in one transaction; returns each run's results in order."""
        workspace_id, at = self._workspace_id(workspace), now()
        rows = [
            (
                workspace_id,
                table,
                version,
                run_id,
                trigger,
                o.check.name,
                o.check.kind,
                o.check.severity,
                o.status,
                o.violating,
                o.total,
                o.observed,
                o.message,
                o.sample,
            )
            for table, version, run_id, trigger, outcomes in runs
            for o in outcomes
        ]
        ids: list[int] = []
        if rows:
            with self.catalog.session() as s:
                _insert_results(s.connection(), rows, at)
                ids = _new_ids(s.connection(), rows, [run[2] for run in runs])
        stamp = aware(at)
        stored = [CheckResult(id_, *r[1:], stamp) for id_, r in zip(ids, rows, strict=True)]
        out, start = [], 0
        for *_, outcomes in runs:  # one list per run, in order
            out.append(stored[start : start + len(outcomes)])
            start += len(outcomes)
        return out

    def results(
        self,
        workspace: str,
        table: str,
        *,
        run_id: str | None = None,
        check: str | None = None,
        limit: int = 100,
    ) -> list[CheckResult]:
        """Newest first."""
        ws = self.catalog.workspace(workspace)
        query = select(QualityResultRow).where(
            QualityResultRow.workspace_id == ws.id, QualityResultRow.table_name == table
        )
        if run_id:
            query = query.where(QualityResultRow.run_id == run_id)
        if check:
            query = query.where(QualityResultRow.check_name == check)
        with self.catalog.session() as s:
            rows = s.scalars(query.order_by(QualityResultRow.id.desc()).limit(limit))
            return [_result(r) for r in rows]

    def failures(self, workspace: str, limit: int = 20) -> list[CheckResult]:
        """The newest results that did not pass (failed or warned), of every table."""
        ws = self.catalog.workspace(workspace)
        query = select(QualityResultRow).where(
            QualityResultRow.workspace_id == ws.id, QualityResultRow.status != "passed"
        )
        with self.catalog.session() as s:
            rows = s.scalars(query.order_by(QualityResultRow.id.desc()).limit(limit))
            return [_result(r) for r in rows]

    def observed_history(
        self, workspace_id: int, table: str, check: str, limit: int, before: int
    ) -> list[float]:
        """What ``check`` observed on versions before ``before``, oldest first, one each."""
        with self.catalog.session() as s:
            rows = s.execute(
                select(QualityResultRow.table_version, QualityResultRow.observed)
                .where(
                    QualityResultRow.workspace_id == workspace_id,
                    QualityResultRow.table_name == table,
                    QualityResultRow.check_name == check,
                    QualityResultRow.observed.is_not(None),
                    QualityResultRow.table_version < before,
                )
                .order_by(QualityResultRow.id.desc())
                .limit(limit * 4)
            ).all()
        per_version: dict[int, float] = {}
        for version, observed in rows:
            per_version.setdefault(version, observed)
        return [per_version[v] for v in sorted(per_version)][-limit:]

    # profiles -----------------------------------------------------------------------
    def save_profile(
        self, workspace: str, table: str, version: int, rows: int, columns: dict
    ) -> Profile:
        ws = self.catalog.workspace(workspace)
        with self.catalog.session() as s:
            existing = s.scalar(_profile_query(ws.id, table, version))
            if existing is not None:
                return _profile(existing)
            row = TableProfileRow(
                workspace_id=ws.id,
                table_name=table,
                table_version=version,
                rows=rows,
                profile=columns,
                created_at=now(),
            )
            s.add(row)
            s.flush()
            return _profile(row)

    def profile(self, workspace: str, table: str, version: int | None) -> Profile | None:
        ws = self.catalog.workspace(workspace)
        with self.catalog.session() as s:
            query = (
                _profile_query(ws.id, table, version)
                if version is not None
                else select(TableProfileRow)
                .where(TableProfileRow.workspace_id == ws.id, TableProfileRow.table_name == table)
                .order_by(TableProfileRow.table_version.desc())
                .limit(1)
            )
            row = s.scalar(query)
            return _profile(row) if row is not None else None


# what save_runs inserts per result, before created_at (the same for all): the workspace
# id, then CheckResult's fields from ``table`` to ``sample``, in order
_RESULT_COLUMNS = (
    "workspace_id",
    "table_name",
    "table_version",
    "run_id",
    "trigger",
    "check_name",
    "kind",
    "severity",
    "status",
    "violating",
    "total",
    "observed",
    "message",
    "sample",
)
_INSERTED = (*_RESULT_COLUMNS, "created_at")


def _insert_results(conn: Connection, rows: list[tuple], at: datetime) -> None:
    """Insert result ``rows`` (values of ``_RESULT_COLUMNS``), all created ``at``, with one
    DB-API ``executemany``.

    Core's executemany builds and processes a parameter dict per row, which is most of
    the cost of storing 11,000 results (0.2 s of Python against 0.05 s in SQLite); here
    only the JSON ``sample`` of a failing check is encoded per row, and ``at`` once, each
    by its column type's own bind processor.
    """
    statement, order, encode, stamp = _results_insert(conn.dialect)
    end, sample = (stamp(at) if stamp else at,), _RESULT_COLUMNS.index("sample")
    values = [
        r + end if r[sample] is None else r[:sample] + (encode(r[sample]),) + r[sample + 1 :] + end
        for r in rows
    ]
    if order is None:
        conn.exec_driver_sql(statement, [dict(zip(_INSERTED, v, strict=True)) for v in values])
        return
    if order != list(range(len(_INSERTED))):  # in the order of the statement's placeholders
        values = [tuple(v[i] for i in order) for v in values]
    conn.exec_driver_sql(statement, values)


@lru_cache(maxsize=8)
def _results_insert(dialect: Dialect) -> tuple[str, list[int] | None, Callable, Callable | None]:
    """The results insert compiled for ``dialect`` (once: compiling takes ~1.5 ms, much of
    checking one small table): its SQL, the order of its positional placeholders (None:
    named), and the bind processors of ``sample`` and ``created_at``."""
    table = QualityResultRow.__table__
    compiled = insert(table).compile(dialect=dialect, column_keys=list(_INSERTED))
    order = [_INSERTED.index(p) for p in compiled.positiontup] if compiled.positional else None
    encode = table.c.sample.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
    stamp = table.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    return str(compiled), order, encode, stamp


def _new_ids(conn: Connection, rows: list[tuple], run_ids: list[str]) -> list[int]:
    """The ids of the result ``rows`` just inserted, in order, in the same transaction.

    On SQLite the rows of one transaction get consecutive ids (each is the largest id so
    far plus one, and nobody else writes while it holds the write lock), so the largest id
    gives them all: reading 11,000 ids back by run id took 0.1 s of a 1,000-table run.
    Both ends are read back to be sure; on any other database, or should the ends not
    match, the ids are read back by run id (indexed; (run id, check) is unique).
    """
    table = QualityResultRow.__table__
    key = (table.c.run_id, table.c.check_name)
    if conn.dialect.name == "sqlite":
        last = conn.execute(select(func.max(table.c.id))).scalar_one()
        ids = list(range(last - len(rows) + 1, last + 1))
        ends = select(table.c.id, *key).where(table.c.id.in_([ids[0], last]))
        expected = {(ids[0], rows[0][3], rows[0][5]), (last, rows[-1][3], rows[-1][5])}
        if {tuple(row) for row in conn.execute(ends)} == expected:
            return ids
    found = select(table.c.id, *key).where(table.c.run_id.in_(run_ids))
    ids = {(run_id, check): id_ for id_, run_id, check in conn.execute(found).all()}
    return [ids[(r[3], r[5])] for r in rows]


def _bump(s: Session, workspace_id: int) -> int:
    """Bump the workspace's checks revision in the transaction of ``s`` and return the new
    one. On PostgreSQL the update locks the workspace row until commit, so concurrent
    changes to one workspace's checks get distinct, ordered revisions."""
    s.execute(
        update(WorkspaceRow)
        .where(WorkspaceRow.id == workspace_id)
        .values(checks_revision=WorkspaceRow.checks_revision + 1)
        .execution_options(synchronize_session=False)
    )
    query = select(WorkspaceRow.checks_revision).where(WorkspaceRow.id == workspace_id)
    return s.execute(query).scalar_one()


def _profile_query(workspace_id: int, table: str, version: int):  # noqa: ANN202
    return select(TableProfileRow).where(
        TableProfileRow.workspace_id == workspace_id,
        TableProfileRow.table_name == table,
        TableProfileRow.table_version == version,
    )


def _check(row: Any) -> CheckInfo:
    return CheckInfo(
        row.id,
        row.table_name,
        row.name,
        row.kind,
        _parse(json.dumps(row.spec, sort_keys=True)),
        aware(row.created_at),
        row.created_by,
    )


_SPECS: BoundedCache[Check] = BoundedCache(16_384)


def _parse(spec: str) -> Check:
    """One Check per distinct spec text (keyed by the text: never stale): 1,000 tables with
    the same 11 checks share 11 (Checks are frozen), which leaves some 30,000 fewer objects
    for each garbage collection."""
    return _SPECS.get_or_make(spec, lambda: Check.from_spec(json.loads(spec)))


def _result(row: Any) -> CheckResult:
    """A stored result from its row (``save_runs`` builds its results from the inserted
    values instead)."""
    return CheckResult(
        id=row.id,
        table=row.table_name,
        version=row.table_version,
        run_id=row.run_id,
        trigger=row.trigger,
        check=row.check_name,
        kind=row.kind,
        severity=row.severity,
        status=row.status,
        violating=row.violating,
        total=row.total,
        observed=row.observed,
        message=row.message,
        sample=row.sample,
        created_at=aware(row.created_at),
    )


def _profile(row: TableProfileRow) -> Profile:
    return Profile(row.table_name, row.table_version, row.rows, row.profile, aware(row.created_at))
