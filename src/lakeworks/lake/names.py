"""Which tables a query reads, from the parsed query, never from the words in it.

``select status, count(*) from ref group by 1`` reads ``ref`` only; ``select * from
"orders"`` reads ``orders``; a table named with a keyword (``"order"``) is found when
quoted; a CTE shadows a table of its name within the query that defines it;
schema-qualified names (``other.orders``) and table functions are never workspace tables.
sqlglot parses the query (as for lineage); what it cannot parse, DuckDB's parser lists.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from lakeworks.errors import QueryError
from lakeworks.lake.statements import explained


def tables_read(sql: str, known: Iterable[str]) -> list[str]:
    """The names in ``known`` (lower case) that ``sql`` reads as tables, sorted.

    Raises:
        QueryError: ``sql`` does not parse (the message is DuckDB's, with the position).
    """
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise _unparsed(sql, exc) from exc
    if len(statements) == 1 and statements[0].type == duckdb.StatementType.EXPLAIN:
        sql = explained(statements[0].query)
    try:
        found = _from_tree(_parse(sql))
    except SqlglotError:
        found = _from_duckdb(sql)
    return sorted({name.lower() for name in found} & set(known))


def _parse(sql: str) -> exp.Expression:
    tree = sqlglot.parse_one(sql, dialect="duckdb")
    if isinstance(tree, exp.Command):  # sqlglot kept it as text: no tables found in it
        raise SqlglotError("parsed as a command")
    return tree


def _from_tree(tree: exp.Expression) -> set[str]:
    names = set()
    for table in tree.find_all(exp.Table):
        if table.args.get("db") or table.args.get("catalog"):
            continue
        if not isinstance(table.this, exp.Identifier) or _is_cte(table):
            continue
        names.add(table.name)
    return names


def _is_cte(table: exp.Table) -> bool:
    """Whether a query enclosing ``table`` defines a CTE of its name."""
    name = table.name.lower()
    node = table.parent
    while node is not None:
        with_ = node.args.get("with_") or node.args.get("with")
        if isinstance(with_, exp.With) and any(c.alias.lower() == name for c in with_.expressions):
            return True
        node = node.parent
    return False


def _from_duckdb(sql: str) -> set[str]:
    try:
        return set(duckdb.get_table_names(sql, qualified=False))
    except duckdb.Error as exc:
        raise _unparsed(sql, exc) from exc


def _unparsed(sql: str, exc: duckdb.Error) -> QueryError:
    return QueryError(
        f"the query failed: {str(exc).splitlines()[0]}",
        sql=sql,
        duckdb_error=str(exc),
        hint="check the SQL near the position DuckDB names",
    )
