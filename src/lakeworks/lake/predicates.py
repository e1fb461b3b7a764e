"""A user's row predicate (``ws.read(where=...)``, a quality ``expression`` check): one SQL
expression over one table's columns, parsed, never pasted into SQL as typed.

A predicate judges the row in front of it, so it may not hold a query, a subquery, a table
or table function, a second statement, or a name that is not one of the table's columns:
each is refused naming the table, what was found and the fix. What runs is the
expression as sqlglot renders it from the parse tree. DuckDB's own parser then confirms
that it, too, sees one expression that reads nothing but the row.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from lakeworks.errors import InvalidInputError
from lakeworks.lake import duck

# nodes that read something other than the row: queries, tables, files, statements
_READERS = (exp.Query, exp.Subquery, exp.Table, exp.From, exp.Join, exp.Command, exp.Block)
_HINT = "write one expression over the columns {columns}, e.g. \"amount > 0 AND region = 'EU'\""


def parse(text: str, columns: list[str], *, table: str, what: str = "the filter") -> str:
    """``text`` as one expression over ``columns`` of ``table``, rendered for DuckDB.

    Raises:
        InvalidInputError: it does not parse as one expression, reads anything but the row
            (a subquery, a table, a table function), or names an unknown column.

    Example:
        >>> parse("amount > 0", ["amount"], table="orders")
        'amount > 0'
    """
    fields = dict(table=table, predicate=text)
    hint = _HINT.format(columns=columns)
    try:
        tree = sqlglot.parse_one(text, dialect="duckdb")
    except SqlglotError as exc:
        raise InvalidInputError(
            f"{what} {text!r} on table {table!r} is not valid: it does not parse as one "
            f"SQL expression ({str(exc).splitlines()[0]})",
            hint=hint,
            **fields,
        ) from exc
    reader = tree if isinstance(tree, _READERS) else tree.find(*_READERS)
    if reader is not None:
        raise InvalidInputError(
            f"{what} {text!r} on table {table!r} is not valid: it reads other tables or "
            "files, not just the row: found "
            f"{reader.key.upper()} {reader.sql(dialect='duckdb')[:80]!r}",
            hint=hint + "; use ws.sql(...) for queries and a references check for keys "
            "in another table",
            **fields,
        )
    _check_columns(tree, columns, text, what, table, hint)
    rendered = tree.sql(dialect="duckdb", comments=False)
    confirm(rendered, text=text, table=table, what=what)
    return rendered


def _check_columns(
    tree: exp.Expression, columns: list[str], text: str, what: str, table: str, hint: str
) -> None:
    known = {c.lower() for c in columns}
    bound = {p.name.lower() for lam in tree.find_all(exp.Lambda) for p in lam.expressions}
    for column in tree.find_all(exp.Column):
        qualified = column.table and column.table.lower() != table.lower()
        if qualified or column.name.lower() not in known | bound:
            raise InvalidInputError(
                f"{what} {text!r} is not valid: it names {column.sql(dialect='duckdb')!r}, "
                f"which is not a column of table {table!r}",
                hint=hint,
                table=table,
                column=column.name,
                expected=columns,
                found=column.sql(dialect="duckdb"),
            )


def confirm(expression: str, *, text: str, table: str, what: str) -> None:
    """Refuse unless DuckDB's parser sees ``expression`` as one expression reading no
    table, subquery or table function (sqlglot and DuckDB could parse text differently).
    """
    probe = f"SELECT ({expression}) FROM __lw_row"
    con = duck.private()
    try:
        serialized = con.execute("SELECT json_serialize_sql(?)", [probe]).fetchall()[0][0]
    finally:
        con.close()
    if not _one_expression(json.loads(serialized)):
        raise InvalidInputError(
            f"{what} {text!r} on table {table!r} is not valid: DuckDB does not read it as "
            "one expression over the row",
            hint="write one expression over the table's columns, without subqueries",
            table=table,
            predicate=text,
        )


def _one_expression(tree: dict) -> bool:
    """Whether the serialized ``SELECT (e) FROM __lw_row`` is one query node selecting one
    expression from that table alone, with nothing else (no subquery, join, table
    function, filter, grouping or modifier)."""
    statements = tree.get("statements") or []
    if tree.get("error") or len(statements) != 1:
        return False
    node = statements[0]["node"]
    source = node.get("from_table") or {}
    readers = ("SUBQUERY", "TABLE_FUNCTION", "JOIN")
    return (
        _count(tree, lambda t: t.endswith("_NODE")) == 1
        and node.get("type") == "SELECT_NODE"
        and _count(tree, lambda t: t in readers) == 0
        and source.get("type") == "BASE_TABLE"
        and source.get("table_name") == "__lw_row"
        and len(node.get("select_list", [])) == 1
        and not any(
            node.get(k) for k in ("modifiers", "where_clause", "group_expressions", "having")
        )
        and not node.get("qualify")
    )


def _count(node: object, test: Callable[[str], bool]) -> int:
    """How many dicts under ``node`` have a ``type`` or ``class`` passing ``test``."""
    if isinstance(node, dict):
        own = any(isinstance(node.get(k), str) and test(node[k]) for k in ("type", "class"))
        return int(own) + sum(_count(v, test) for v in node.values())
    if isinstance(node, list):
        return sum(_count(v, test) for v in node)
    return 0
