"""Run search: a parsed filter and order compiled to one SELECT over the catalog's tables.

The statement for ``metrics.auc > 0.8 and params.depth = '6'`` ordered by ``metrics.loss``::

    SELECT runs.*, <sort keys> FROM runs
      JOIN latest_metrics f0 ON f0.run_id = runs.id AND f0.key = 'auc' AND f0.value > 0.8 ...
      JOIN params f1 ON f1.run_id = runs.id AND f1.key = 'depth' AND f1.value = '6'
      LEFT JOIN latest_metrics s0 ON s0.run_id = runs.id AND s0.key = 'loss'
     WHERE runs.experiment_id IN (...) AND runs.lifecycle_stage IN (...) AND <after the token>
     ORDER BY <missing last>, s0.value, runs.start_time DESC, runs.id
     LIMIT max_results + 1

Every joined row is found by its primary key ``(run_id, key)``, so a join never repeats a
run and no DISTINCT is needed; conditions on one key share one join, and a sort on a key
the filter already joins reuses it. The sort always ends with the run id, so the order is
total, and a page token carries the last row's sort keys (keyset pagination): pages never
repeat or skip a run, however deep, even while new runs are logged.

Which join SQLite starts from is its planner's choice, made well only with statistics
(``tracking.statistics``) and the (key, value, run_id) indexes of migrations 0006a
(SQLite) and 0006b (PostgreSQL).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    exists,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from lakeworks.errors import InvalidInputError
from lakeworks.meta.models import (
    SEARCH_INDEX_BYTES,
    LatestMetricRow,
    ParamRow,
    RunRow,
    RunTagRow,
)
from lakeworks.tracking import statistics
from lakeworks.tracking.filters import (
    ATTRIBUTE,
    METRIC,
    RUNS,
    Comparison,
    Filter,
    Key,
    Order,
    parse_filter,
    parse_order,
)

MAX_RESULTS = 50_000  # MLflow's limit
DEFAULT_MAX_RESULTS = 1_000
STAGES = {"active": ("active",), "deleted": ("deleted",), "all": ("active", "deleted")}

# Core tables and aliases: building a statement with them costs a fraction of ORM aliases
_TABLES = {
    METRIC: LatestMetricRow.__table__,
    "param": ParamRow.__table__,
    "tag": RunTagRow.__table__,
}
_COLUMNS = {
    "run_id": RunRow.id,
    "run_name": RunRow.name,
    "status": RunRow.status,
    "user_id": RunRow.user_id,
    "start_time": RunRow.start_time,
    "end_time": RunRow.end_time,
}


@dataclass(frozen=True)
class RunSearch:
    """One search, validated: what the statement and the page token are built from."""

    experiment_ids: tuple[int, ...]
    filter: Filter
    order: tuple[Order, ...]
    run_view: str = "active"

    @classmethod
    def parse(
        cls,
        experiment_ids: Sequence[int],
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        run_view: str = "active",
    ) -> RunSearch:
        if run_view not in STAGES:
            raise InvalidInputError(
                f"invalid run_view {run_view!r}", expected=", ".join(STAGES), found=run_view
            )
        return cls(
            tuple(experiment_ids), parse_filter(filter, RUNS), parse_order(order_by), run_view
        )

    def fingerprint(self) -> str:
        """Names this search in its page tokens, so a token is not used with another one."""
        text = repr((sorted(self.experiment_ids), self.filter, self.order, self.run_view))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def search_rows(
    s: Session,
    search: RunSearch,
    max_results: int = DEFAULT_MAX_RESULTS,
    page_token: str | None = None,
) -> tuple[list[RunRow], str | None]:
    """One page of runs: at most ``max_results`` rows and the token of the next page (None
    on the last page).

    Example:
        >>> search = RunSearch.parse([1], "metrics.auc > 0.8", ["metrics.auc"])  # doctest: +SKIP
        >>> rows, token = search_rows(session, search, max_results=100)  # doctest: +SKIP
    """
    _check_max_results(max_results)
    engine = s.get_bind().engine
    statistics.refresh(engine)
    statement, keys = _statement(engine.dialect.name, search)
    after = _decode_token(page_token, search)
    if after is not None:
        if len(after) != len(keys):
            raise _bad_token(page_token, "it is not a token this search returned")
        statement = statement.where(_after(keys, after))
    found = s.execute(statement.limit(max_results + 1)).all()
    rows = [row[0] for row in found[:max_results]]
    token = _encode_token(search, found[max_results - 1][1:]) if len(found) > max_results else None
    return rows, token


def _check_max_results(max_results: int) -> None:
    if (
        isinstance(max_results, bool)
        or not isinstance(max_results, int)
        or not 0 < max_results <= MAX_RESULTS
    ):
        raise InvalidInputError(
            f"max_results must be a whole number from 1 to {MAX_RESULTS}, got {max_results!r}",
            hint="ask for fewer runs per page and follow the page token",
            expected=f"1..{MAX_RESULTS}",
            found=repr(max_results),
        )


# the statement ------------------------------------------------------------------------------
SortKey = tuple[ColumnElement[Any], bool]  # (never-NULL expression, ascending)


def _statement(dialect: str, search: RunSearch) -> tuple[Select, list[SortKey]]:
    compiler = _Compiler(dialect)
    statement = select(RunRow).where(
        RunRow.experiment_id.in_(search.experiment_ids),
        RunRow.lifecycle_stage.in_(STAGES[search.run_view]),
    )
    statement = compiler.filtered(statement, search.filter)
    statement, keys = compiler.ordered(statement, search.order)
    labels = [expression.label(f"sort_{i}") for i, (expression, _) in enumerate(keys)]
    order = [e if ascending else e.desc() for e, ascending in keys]
    return statement.add_columns(*labels).order_by(*order), keys


class _Compiler:
    """Compiles one search's comparisons and order for one SQL dialect."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.joined: dict[Key, Any] = {}  # key -> the alias its filter joins (inner)

    def filtered(self, statement: Select, filter: Filter) -> Select:
        by_key: dict[Key, list[Comparison]] = {}
        for comparison in filter.comparisons:
            if comparison.key.kind == ATTRIBUTE:
                column = _COLUMNS[comparison.key.name]
                statement = statement.where(self._compare(column, comparison))
            elif comparison.op == "IS NULL":
                statement = statement.where(
                    ~exists().where(*_owned(_TABLES[comparison.key.kind], comparison.key))
                )
            else:
                by_key.setdefault(comparison.key, []).append(comparison)
        for number, (key, comparisons) in enumerate(by_key.items()):
            row = _TABLES[key.kind].alias(f"f{number}")
            conditions = [self._condition(row, c) for c in comparisons if c.op != "IS NOT NULL"]
            statement = statement.join(row, and_(*_owned(row, key), *conditions))
            self.joined[key] = row
        return statement

    def ordered(self, statement: Select, order: Sequence[Order]) -> tuple[Select, list[SortKey]]:
        keys: list[SortKey] = []
        for number, item in enumerate(order):
            statement, bucket, value = self._sort_key(statement, item.key, number)
            if bucket is not None:  # missing (and NaN) last, whatever the direction
                keys.append((bucket, True))
            keys.append((value, item.ascending))
        if Key(ATTRIBUTE, "start_time") not in {item.key for item in order}:
            keys.append((RunRow.start_time, False))
        return statement, [*keys, (RunRow.id, True)]

    def _sort_key(self, statement: Select, key: Key, number: int) -> tuple[Select, Any, Any]:
        """The statement with what ``key`` needs joined, the key's bucket (0 for a value, 1
        for NaN, 2 for missing; None when it is never missing) and its value, never NULL."""
        if key.kind == ATTRIBUTE:
            column = _COLUMNS[key.name]
            if column.nullable:
                return statement, case((column.is_(None), 2), else_=0), func.coalesce(column, 0)
            return statement, None, self._collated(column)
        row = self.joined.get(key)
        if row is None:
            row = _TABLES[key.kind].alias(f"s{number}")
            statement = statement.outerjoin(row, and_(*_owned(row, key)))
        if key.kind == METRIC:
            bucket = case((row.c.run_id.is_(None), 2), (row.c.is_nan == true(), 1), else_=0)
            return statement, bucket, func.coalesce(row.c.value, 0.0)
        bucket = case((row.c.run_id.is_(None), 2), else_=0)
        return statement, bucket, self._collated(func.coalesce(row.c.value, ""))

    def _condition(self, row: Any, comparison: Comparison) -> ColumnElement[bool]:
        condition = self._compare(row.c.value, comparison)
        if comparison.key.kind != METRIC:
            return and_(condition, *self._short(row, comparison))
        # NaN is stored as 0 with is_nan: it satisfies only != (as in MLflow and IEEE 754)
        if comparison.op == "!=":
            return or_(condition, row.c.is_nan == true())
        return and_(condition, row.c.is_nan == false())

    def _short(self, row: Any, comparison: Comparison) -> tuple[ColumnElement[bool], ...]:
        """On PostgreSQL, ``value = 'v'`` with a short ``v`` also says the value is short
        (true, and what lets the planner use the partial (key, value) index)."""
        value = comparison.value
        if self.dialect != "postgresql" or comparison.op != "=":
            return ()
        if len(str(value).encode()) > SEARCH_INDEX_BYTES:
            return ()
        return (func.octet_length(row.c.value) <= SEARCH_INDEX_BYTES,)

    def _compare(self, column: Any, comparison: Comparison) -> ColumnElement[bool]:
        if comparison.op in {"LIKE", "ILIKE"}:
            return self._like(column, comparison)
        return _OPERATORS[comparison.op](column, comparison.value)

    def _like(self, column: Any, comparison: Comparison) -> ColumnElement[bool]:
        """MLflow's LIKE and ILIKE: ``%`` and ``_`` are the only special characters (no
        escape character, which PostgreSQL has by default), LIKE is case-sensitive (SQLite's
        LIKE ignores case, its GLOB does not)."""
        pattern = comparison.value
        if self.dialect == "postgresql":
            like = column.like if comparison.op == "LIKE" else column.ilike
            return like(pattern, escape="")
        if comparison.op == "ILIKE":
            return column.ilike(pattern)
        return column.op("GLOB")("".join(_GLOB.get(char, char) for char in pattern))

    def _collated(self, expression: Any) -> Any:
        """Text sorted by code point on every backend, as Python sorts it."""
        if self.dialect == "postgresql" and isinstance(expression.type, String):
            return expression.collate("C")
        return expression


_GLOB = {"%": "*", "_": "?", "*": "[*]", "?": "[?]", "[": "[[]"}
_OPERATORS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "=": lambda c, v: c == v,
    "!=": lambda c, v: c != v,
    ">": lambda c, v: c > v,
    ">=": lambda c, v: c >= v,
    "<": lambda c, v: c < v,
    "<=": lambda c, v: c <= v,
    "IN": lambda c, v: c.in_(v),
    "NOT IN": lambda c, v: c.not_in(v),
}


def _owned(row: Any, key: Key) -> tuple[ColumnElement[bool], ...]:
    return row.c.run_id == RunRow.id, row.c.key == key.name


# pages --------------------------------------------------------------------------------------
def _after(keys: list[SortKey], values: list[Any]) -> ColumnElement[bool]:
    """Rows after ``values`` in the order of ``keys``: (a, b) > (x, y) spelled out."""
    alternatives = []
    for i, ((expression, ascending), value) in enumerate(zip(keys, values, strict=True)):
        beyond = expression > value if ascending else expression < value
        equal = [e == v for (e, _), v in zip(keys[:i], values[:i], strict=True)]
        alternatives.append(and_(*equal, beyond))
    return or_(*alternatives)


def _encode_token(search: RunSearch, values: Sequence[Any]) -> str:
    token = {"search": search.fingerprint(), "after": list(values)}
    return base64.urlsafe_b64encode(json.dumps(token).encode()).decode()


def _decode_token(token: str | None, search: RunSearch) -> list[Any] | None:
    if not token:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
        fingerprint, after = decoded["search"], decoded["after"]
    except (ValueError, KeyError, TypeError):
        raise _bad_token(token, "it is not a token this search returned") from None
    if fingerprint != search.fingerprint():
        raise _bad_token(token, "it belongs to a search with another filter, order or view")
    return after


def _bad_token(token: str, reason: str) -> InvalidInputError:
    shown = token if len(token) <= 40 else token[:40] + "..."
    return InvalidInputError(
        f"invalid page token {shown!r}: {reason}",
        hint="pass back the next_page_token of the previous page, with the same filter, "
        "order_by, experiments and run_view",
        found=shown,
    )
