"""Catalog access for checks, check results and profiles; returns immutable values."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, String, delete, func, insert, select, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lakeworks.cache import BoundedCache
from lakeworks.errors import AlreadyExistsError, NotFoundError
from lakeworks.meta.catalog import Catalog, aware, now
from lakeworks.meta.models import QualityCheckRow, QualityResultRow, TableProfileRow
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
    while its checks look as ``fingerprint`` says; ``complete``: every table with checks
    is in ``by_table``. Never changed in place: a newer one replaces it."""

    fingerprint: tuple[Any, ...]
    by_table: dict[str, tuple[CheckInfo, ...]]
    complete: bool


class QualityStore:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._workspace_ids: dict[str, int] = {}
        # each check row parsed, by (id, created_at as stored); a row never changes
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
                rows = [
                    QualityCheckRow(
                        workspace_id=ws.id,
                        table_name=table,
                        name=c.name,
                        kind=c.kind,
                        spec=c.to_spec(),
                        created_at=now(),
                        created_by=user,
                    )
                    for c in checks
                ]
                s.add_all(rows)
                s.flush()
                added = [_check(r) for r in rows]
            self._checks.discard([ws.id])  # this process knows: no fingerprint needed
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
        each table's checks are read once and kept until the workspace's checks change:
        when the count, sum or largest of their ids, or the newest created_at, differs (a
        removal changes the count or the sum, an addition the largest id; a re-used SQLite
        id comes with a newer created_at). That one aggregate row stands in for 11,000 rows
        of 1,000 tables' checks on every ``run_many``. It reads every check row of the
        workspace (~11 ms for 11,000), so a few tables are read alone instead. Each check
        is parsed once per process, found again by (id, created_at as stored).
        """
        workspace_id = self._workspace_id(workspace)
        table = QualityCheckRow.__table__
        mine = table.c.workspace_id == workspace_id
        if tables is not None and len(tables) <= _FEW_TABLES:  # cheaper than the aggregate
            with self.catalog.session() as s:
                found = self._read_checks(s, mine, tables)
            return {name: found[name] for name in tables if name in found}
        with self.catalog.session() as s:
            changes = select(
                func.count(), func.max(table.c.id), func.sum(table.c.id), func.max(_stamp())
            ).where(mine)
            fingerprint = tuple(s.execute(changes).one())
            known = self._checks.get(workspace_id)
            if known is None or known.fingerprint != fingerprint:
                known = _Known(fingerprint, {}, complete=False)
            if tables is None and not known.complete:
                known = _Known(fingerprint, self._read_checks(s, mine, None), complete=True)
            elif tables is not None and not known.complete:
                missing = [name for name in tables if name not in known.by_table]
                if missing:
                    found = self._read_checks(s, mine, missing)
                    read = {name: found.get(name, ()) for name in missing}
                    known = _Known(fingerprint, {**known.by_table, **read}, complete=False)
            self._checks.put(workspace_id, known)  # replaced whole: others read the old
        by_table = known.by_table
        if tables is None:
            return {name: infos for name, infos in by_table.items() if infos}
        return {name: by_table[name] for name in tables if by_table.get(name)}

    def _read_checks(
        self, s: Session, mine: Any, tables: list[str] | None
    ) -> dict[str, tuple[CheckInfo, ...]]:
        """The checks of ``tables`` (None: all) from the catalog, in the order added."""
        table, stamp = QualityCheckRow.__table__, _stamp()
        where = [mine] if tables is None else [mine, table.c.table_name.in_(tables)]
        query = select(table.c.id, table.c.table_name, stamp).where(*where)
        rows = s.execute(query.order_by(table.c.id)).all()
        parsed = {(id_, at): self._parsed.get((id_, at)) for id_, _, at in rows}
        if None in parsed.values():
            for row in s.execute(select(table, stamp.label("stamp")).where(*where)):
                if parsed.get((row.id, row.stamp), False) is None:
                    parsed[(row.id, row.stamp)] = self._parsed.put((row.id, row.stamp), _check(row))
        found: dict[str, list[CheckInfo]] = {}
        for id_, name, at in rows:
            found.setdefault(name, []).append(parsed[(id_, at)])  # type: ignore[arg-type]
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


def _stamp() -> Any:
    """A check's created_at as stored (no datetime parsing): with its id, what tells a
    check apart from one that re-used its SQLite id."""
    return type_coerce(QualityCheckRow.__table__.c.created_at, String)


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
