"""Run compiled checks on a DuckDB view and judge each one: passed, failed or warned.

Summary queries go through ``con.execute``, not ``con.sql``: a relation binds and plans
its query once more before it runs, which is about 2 ms of a small table's check. (Arrow
results stay with ``con.sql``, which hands them over without a copy.)
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import duckdb
import pyarrow as pa

from lakeworks.quality import compile as sql
from lakeworks.quality.checks import Check

SAMPLE_ROWS = 5


class Outcome(NamedTuple):
    """How one check came out (before it is stored as a CheckResult); a NamedTuple for
    the reason CheckResult is one."""

    check: Check
    status: str  # passed | failed | warned
    violating: int
    total: int
    observed: float | None
    message: str
    sample: list[dict[str, Any]] | None = None


History = Callable[[Check], list[float]]


def run(
    con: duckdb.DuckDBPyConnection,
    view: str,
    checks: list[Check],
    history: History,
    now: datetime | None = None,
    sample_rows: int = SAMPLE_ROWS,
) -> list[Outcome]:
    """Evaluate ``checks`` over ``view`` in one scan, plus, when a row-level check fails,
    one query gathering the samples of violating rows of all of them."""
    if not checks:
        return []
    row = con.execute(sql.summary_query(checks, view)).fetchall()[0]
    outcomes = judge_all(checks, row[0], row[1:], history, now or datetime.now(UTC))
    return with_samples(con, view, outcomes, sample_rows)


def summaries(
    con: duckdb.DuckDBPyConnection,
    files: dict[str, list[str]],
    columns: list[str],
    checks: list[Check],
    key_ranges: Mapping[int, sql.KeyRange] | None = None,
) -> dict[str, tuple[int, tuple[Any, ...]]]:
    """The summary aggregates of many tables that share a schema and checks, in one scan
    of all their Parquet files: table -> (rows, one value per check). Among several
    tables, one whose files hold no rows is absent.

    ``key_ranges`` come from the files' statistics (see ``compile.summary``); should a
    value lie outside its range after all, the scan runs again without them.
    """
    if key_ranges:
        try:
            return _summaries(con, files, columns, checks, key_ranges)
        except duckdb.OutOfRangeException:
            pass
    return _summaries(con, files, columns, checks, None)


def _summaries(
    con: duckdb.DuckDBPyConnection,
    files: dict[str, list[str]],
    columns: list[str],
    checks: list[Check],
    key_ranges: Mapping[int, sql.KeyRange] | None,
) -> dict[str, tuple[int, tuple[Any, ...]]]:
    if len(files) == 1:  # one table: a plain aggregate over its files
        ((name, paths),) = files.items()
        query = sql.table_summary_query(checks, paths, columns, key_ranges)
        row = con.execute(query).fetchall()[0]
        return {name: (row[0], row[1:])}
    paths = [f for fs in files.values() for f in fs]
    if len(paths) == len(files):  # one file per table: group by the file, no join
        names = list(files)
        query = sql.grouped_summary_query(
            checks, paths, columns, one_file_each=True, key_ranges=key_ranges
        )
        return {names[row[0]]: (row[1], row[2:]) for row in con.execute(query).fetchall()}
    owner = [t for t, fs in files.items() for _ in fs]
    con.register(sql.GROUP_FILES, pa.table({"file_index": range(len(paths)), "t": owner}))
    try:
        query = sql.grouped_summary_query(
            checks, paths, columns, one_file_each=False, key_ranges=key_ranges
        )
        rows = con.execute(query).fetchall()
    finally:
        con.unregister(sql.GROUP_FILES)
    return {row[0]: (row[1], row[2:]) for row in rows}


def judge_all(
    checks: list[Check], total: int, values: tuple[Any, ...], history: History, now: datetime
) -> list[Outcome]:
    return [judge(c, total, v, history, now) for c, v in zip(checks, values, strict=True)]


def with_samples(
    con: duckdb.DuckDBPyConnection, view: str, outcomes: list[Outcome], sample_rows: int
) -> list[Outcome]:
    """Each failing row-level outcome with a sample of (up to ``sample_rows``) rows that
    violate it: one query for all of them (``compile.samples_query``), and a second only
    for the checks the first left short of rows."""
    failing = [i for i, o in enumerate(outcomes) if o.status != "passed" and o.check.row_level]
    if not failing:
        return outcomes
    checks = [outcomes[i].check for i in failing]
    buckets = [_buckets(outcomes[i]) for i in failing]
    samples = _samples(con, view, checks, sample_rows, buckets, together=True)
    short = [
        at
        for at, i in enumerate(failing)
        if len(samples[at]) < min(sample_rows, _rows_involved(outcomes[i]))
    ]
    if short:
        again = _samples(
            con, view, [checks[at] for at in short], sample_rows, [1] * len(short), together=False
        )
        for at, rows in zip(short, again, strict=True):
            samples[at] = rows
    done = list(outcomes)
    for at, i in enumerate(failing):
        done[i] = outcomes[i]._replace(sample=json_rows(samples[at]))
    return done


_KEYS_PER_SAMPLE = 64  # repeated keys expected in the share of keys a unique sample reads


def _buckets(outcome: Outcome) -> int:
    """Into how many hash buckets a unique check's keys are split to find its sample in
    one of them: as many as leaves some ``_KEYS_PER_SAMPLE`` repeated keys in each (a
    check with 5,000 repeated rows reads 1 key in 78); 1 for other kinds."""
    if outcome.check.kind != "unique":
        return 1
    return max(1, outcome.violating // _KEYS_PER_SAMPLE)


def _rows_involved(outcome: Outcome) -> int:
    """The fewest rows a sample of ``outcome`` can show: its violating rows, or for
    ``unique`` those plus the first row of a repeated key."""
    return outcome.violating + (outcome.check.kind == "unique")


def _samples(
    con: duckdb.DuckDBPyConnection,
    view: str,
    checks: list[Check],
    sample_rows: int,
    buckets: list[int],
    *,
    together: bool,
) -> list[list[dict[str, Any]]]:
    """Up to ``sample_rows`` violating rows of each of ``checks``, in their order."""
    query = sql.samples_query(checks, view, sample_rows, buckets, together=together)
    data = con.sql(query).to_arrow_table()
    found: list[list[dict[str, Any]]] = [[] for _ in checks]
    which = data.column(sql.SAMPLE_CHECKS).to_pylist()
    for hits, row in zip(which, data.drop_columns([sql.SAMPLE_CHECKS]).to_pylist(), strict=True):
        for i in hits:
            if i is not None and len(found[i]) < sample_rows:
                found[i].append(row)
    return found


def judge(check: Check, total: int, value: Any, history: History, now: datetime) -> Outcome:
    """Decide one check from the aggregate ``value`` the summary query computed."""
    if check.row_level:
        return _row_level(check, int(value or 0), total)
    return _TABLE_LEVEL[check.kind](check, total, value, history, now)


def _outcome(
    check: Check, passed: bool, violating: int, total: int, observed: Any, message: str
) -> Outcome:
    status = "passed" if passed else ("failed" if check.severity == "error" else "warned")
    number = float(observed) if isinstance(observed, int | float) else None
    return Outcome(check, status, violating, total, number, message)


def _row_level(check: Check, violating: int, total: int) -> Outcome:
    """A row-level check fails when more rows violate than it allows (run once per check
    of every table checked: 11,000 times for 1,000 tables, so kept short)."""
    if total == 0:
        return Outcome(check, "passed", violating, 0, None, _NO_ROWS)
    percent = 100.0 * violating / total
    limit, allowed = check.allowance
    too_many = (limit is not None and violating > limit) or (
        check.max_percent is not None and percent > check.max_percent
    )
    what = "rows repeat a key" if check.kind == "unique" else "rows violate"
    message = f"{violating} of {total} {what} ({percent:.2f}%; allowed {allowed})"
    status = "passed" if not too_many else "failed" if check.severity == "error" else "warned"
    return Outcome(check, status, violating, total, None, message)


_NO_ROWS = "the table has no rows, so no row violates"


def _bounds(check: Check, observed: Any, what: str) -> tuple[bool, str]:
    low, high = check.params.get("min"), check.params.get("max")
    inside = (low is None or observed >= low) and (high is None or observed <= high)
    expected = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
    return inside, f"{what} is {observed:g}, expected within {expected}"


def _row_count(check: Check, total: int, value: Any, history: History, now: datetime) -> Outcome:
    passed, message = _bounds(check, total, "the row count")
    return _outcome(check, passed, 0, total, total, message)


def _statistic(check: Check, total: int, value: Any, history: History, now: datetime) -> Outcome:
    what = f"the {check.kind} of {check.columns[0]}"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        need = "two non-null values" if check.kind == "stddev" else "a non-null value"
        message = f"{what} is undefined: the table has {total} rows and it needs {need}"
        return _outcome(check, False, 0, total, None, message)
    passed, message = _bounds(check, float(value), what)
    return _outcome(check, passed, 0, total, value, message)


def _freshness(check: Check, total: int, value: Any, history: History, now: datetime) -> Outcome:
    column = check.columns[0]
    if value is None:
        message = f"{column} has no non-null values ({total} rows), so the table is not fresh"
        return _outcome(check, False, 0, total, None, message)
    newest = _as_utc(value)
    age = (now - newest).total_seconds()
    limit = check.params["max_age_s"]
    message = f"newest {column} is {newest.isoformat()}, {age:.0f}s old (allowed {limit:.0f}s)"
    return _outcome(check, age <= limit, 0, total, age, message)


def _as_utc(value: date | datetime) -> datetime:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _anomaly(check: Check, total: int, value: Any, history: History, now: datetime) -> Outcome:
    what = (
        "the row count"
        if check.kind == "row_count_anomaly"
        else f"the null rate of {check.columns[0]}"
    )
    if value is None:
        message = f"{what} is undefined on an empty table; nothing to compare"
        return _outcome(check, True, 0, total, None, message)
    observed = float(value)
    past = history(check)[-check.params["window"] :]
    if len(past) < check.params["min_history"]:
        message = (
            f"{what} is {observed:g}; not enough history to judge "
            f"({len(past)} of {check.params['min_history']} earlier versions)"
        )
        return _outcome(check, True, 0, total, observed, message)
    mean, spread = statistics.fmean(past), statistics.pstdev(past)
    if spread == 0:
        z = 0.0 if math.isclose(observed, mean) else math.inf
    else:
        z = abs(observed - mean) / spread
    message = (
        f"{what} is {observed:g}; history mean {mean:g}, stddev {spread:g} over "
        f"{len(past)} versions: z = {z:.2f} (allowed {check.params['z']:g})"
    )
    return _outcome(check, z <= check.params["z"], 0, total, observed, message)


_TABLE_LEVEL = {
    "row_count": _row_count,
    "freshness": _freshness,
    "mean": _statistic,
    "stddev": _statistic,
    "quantile": _statistic,
    "null_rate_anomaly": _anomaly,
    "row_count_anomaly": _anomaly,
}


def json_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as JSON-safe values (times as ISO text, NaN as null)."""
    return json.loads(json.dumps(rows, default=_encode), parse_constant=lambda _: None)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
