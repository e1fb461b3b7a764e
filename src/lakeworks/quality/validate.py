"""Declaration-time validation: a check that cannot run is refused when it is added.

Unknown columns, a column of the wrong type, a regular expression RE2 (DuckDB's engine)
cannot compile, a SQL predicate that does not parse or bind, and a referential check on a
missing table or key all raise InvalidInputError / NotFoundError naming the fix. Last, the
compiled query is dry-run on an empty table of the same schema, so anything DuckDB would
reject later is rejected now.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import duckdb
import pyarrow as pa

from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.lake import predicates
from lakeworks.lake.scans import quote
from lakeworks.quality import compile as sql
from lakeworks.quality.checks import Check

SchemaOf = Callable[[str], pa.Schema | None]


def _numeric(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)


def _temporal(t: pa.DataType) -> bool:
    return pa.types.is_timestamp(t) or pa.types.is_date(t)


def _string(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


_TYPES = {
    "between": (lambda t: _numeric(t) or _temporal(t), "a number, date or timestamp"),
    "matches": (_string, "text"),
    "length": (_string, "text"),
    "mean": (_numeric, "a number"),
    "stddev": (_numeric, "a number"),
    "quantile": (_numeric, "a number"),
    "freshness": (_temporal, "a date or timestamp"),
}


def validate(
    check: Check,
    table: str,
    schema: pa.Schema,
    schema_of: SchemaOf,
    connect: Callable[[], duckdb.DuckDBPyConnection] = duckdb.connect,
) -> None:
    """Raise when ``check`` cannot run on ``table`` (of ``schema``)."""
    for column in check.columns:
        if column not in schema.names:
            raise InvalidInputError(
                f"check {check.name!r}: table {table!r} has no column {column!r}",
                hint=f"its columns are {schema.names}",
                table=table,
                column=column,
            )
    if check.kind in _TYPES:
        accepts, wanted = _TYPES[check.kind]
        found = schema.field(check.columns[0]).type
        if not accepts(found):
            raise InvalidInputError(
                f"check {check.name!r}: column {check.columns[0]!r} of {table!r} is {found}, "
                f"but a {check.kind} check needs {wanted}",
                table=table,
                column=check.columns[0],
                expected=wanted,
                found=str(found),
            )
    if check.kind == "between":
        _check_bound_types(check, schema.field(check.columns[0]).type, table)
    if check.kind == "accepted_values":
        _check_values(check, schema.field(check.columns[0]).type, table)
    con = connect()
    try:
        if check.kind == "matches":
            _check_regex(con, check)
        if check.kind == "expression":
            _check_predicate(con, check, table, schema)
        if check.kind == "references":
            _register_reference(con, check, schema_of)
        _dry_run(con, check, table, schema)
    finally:
        con.close()


def _check_bound_types(check: Check, found: pa.DataType, table: str) -> None:
    for bound in (check.params.get("min"), check.params.get("max")):
        if bound is None:
            continue
        temporal_bound = isinstance(bound, date | datetime)
        numeric_bound = isinstance(bound, int | float) and not isinstance(bound, bool)
        if (_temporal(found) and not temporal_bound) or (_numeric(found) and not numeric_bound):
            raise InvalidInputError(
                f"check {check.name!r}: bound {bound!r} does not fit column "
                f"{check.columns[0]!r} of type {found}",
                hint="give dates/datetimes for date and timestamp columns, numbers otherwise",
                table=table,
            )


def _check_values(check: Check, found: pa.DataType, table: str) -> None:
    fits = (
        (lambda v: isinstance(v, int | float) and not isinstance(v, bool))
        if _numeric(found)
        else ((lambda v: isinstance(v, str)) if _string(found) else (lambda v: True))
    )
    wrong = [v for v in check.params["values"] if not fits(v)]
    if wrong:
        raise InvalidInputError(
            f"check {check.name!r}: values {wrong} do not fit column {check.columns[0]!r} "
            f"of type {found}",
            table=table,
            column=check.columns[0],
        )


def _check_regex(con: duckdb.DuckDBPyConnection, check: Check) -> None:
    pattern = check.params["pattern"]
    try:
        con.sql(f"SELECT regexp_matches('', {sql.literal(pattern)})").fetchall()
    except duckdb.Error as exc:
        raise InvalidInputError(
            f"check {check.name!r}: the regular expression {pattern!r} does not compile: "
            f"{str(exc).splitlines()[0]}",
            hint="patterns use RE2 syntax (no look-arounds or back-references)",
            pattern=pattern,
        ) from exc


def _empty(con: duckdb.DuckDBPyConnection, view: str, schema: pa.Schema) -> None:
    con.register(view, schema.empty_table())


def _check_predicate(
    con: duckdb.DuckDBPyConnection, check: Check, table: str, schema: pa.Schema
) -> None:
    predicate = check.params["sql"]
    _check_self_contained(check, predicate, table, schema)
    probe = f"SELECT ({predicate}) AS p FROM {quote(table)}"
    try:
        if len(con.extract_statements(probe)) != 1:
            raise InvalidInputError(
                f"check {check.name!r}: the predicate must be one SQL expression",
                predicate=predicate,
            )
        _empty(con, table, schema)
        kind = con.sql(probe).types[0]
    except duckdb.Error as exc:
        raise InvalidInputError(
            f"check {check.name!r}: the SQL predicate {predicate!r} is not valid: "
            f"{str(exc).splitlines()[0]}",
            hint=f"write a boolean expression over the columns {schema.names}",
            table=table,
            predicate=predicate,
        ) from exc
    if str(kind) != "BOOLEAN":
        raise InvalidInputError(
            f"check {check.name!r}: the predicate {predicate!r} is {kind}, not a boolean",
            hint="compare values, e.g. 'amount >= 0'",
            predicate=predicate,
        )


def _check_self_contained(check: Check, predicate: str, table: str, schema: pa.Schema) -> None:
    """A predicate judges the row in front of it: one expression (as both sqlglot and
    DuckDB parse it) with no subqueries or table functions, which could read other tables
    or files. The text is checked as stored, since it is what the check compiles to."""
    what = f"check {check.name!r}: the predicate"
    predicates.parse(predicate, schema.names, table=table, what=what)
    predicates.confirm(predicate, text=predicate, table=table, what=what)


def _register_reference(con: duckdb.DuckDBPyConnection, check: Check, schema_of: SchemaOf) -> None:
    other, key = check.params["table"], check.params["key"]
    other_schema = schema_of(other)
    if other_schema is None:
        raise NotFoundError(
            f"check {check.name!r} references table {other!r}, which does not exist",
            hint="create the referenced table first",
            table=other,
        )
    if key not in other_schema.names:
        raise InvalidInputError(
            f"check {check.name!r}: the referenced table {other!r} has no column {key!r}",
            hint=f"its columns are {other_schema.names}",
            table=other,
            column=key,
        )
    _empty(con, sql.ref_view(check), other_schema)


def _dry_run(con: duckdb.DuckDBPyConnection, check: Check, table: str, schema: pa.Schema) -> None:
    view = "__lw_check_target"
    _empty(con, view, schema)
    try:
        con.sql(sql.summary_query([check], view)).fetchall()
    except duckdb.Error as exc:
        raise InvalidInputError(
            f"check {check.name!r} cannot run on table {table!r}: {str(exc).splitlines()[0]}",
            hint="check the values and bounds against the column types",
            table=table,
        ) from exc
