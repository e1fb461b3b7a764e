"""What a SQL statement does, decided by DuckDB's own parser, never by its first word.

Only queries read: a SELECT (which DuckDB's parser also makes of ``FROM t``, ``VALUES``,
``DESCRIBE``, ``SUMMARIZE`` ...) and an EXPLAIN or EXPLAIN ANALYZE of one.
``EXPLAIN ANALYZE`` executes the statement it explains, so EXPLAIN of anything else (a
COPY, an INSERT, a SET, ...) is refused like the statement itself. A SELECT is then read
whole, as DuckDB's parser serializes it: a data-modifying CTE (``WITH x AS (COPY ...)
SELECT ...``, INSERT/UPDATE/DELETE ... RETURNING) or a function that runs SQL text
(``json_execute_serialized_sql``, ``query``) makes it a write, and it is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import duckdb

from lakeworks.errors import QueryError

_TYPES = duckdb.StatementType
_QUERY_NODES = {"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"}
_RUNS_SQL = {"json_execute_serialized_sql", "query"}
_WRITE_HINT = (
    "write tables with CREATE TABLE x AS SELECT ..., INSERT INTO x SELECT ..., "
    "or ws.sql(...).save('x')"
)


def kind(sql: str) -> duckdb.StatementType:
    """The type of the single statement in ``sql``; for EXPLAIN, of the explained one.

    Raises:
        QueryError: ``sql`` holds no statement or more than one.
        duckdb.ParserException: ``sql`` does not parse.
    """
    statements = duckdb.extract_statements(sql)
    if len(statements) != 1:
        raise QueryError(
            f"expected one statement, found {len(statements)}",
            sql=sql,
            hint="run statements one at a time",
        )
    statement = statements[0]
    if statement.type != _TYPES.EXPLAIN:
        return statement.type
    return kind(explained(statement.query))


def explained(sql: str) -> str:
    """The statement an EXPLAIN statement explains: the text after EXPLAIN, its options
    in parentheses and ANALYZE (as DuckDB's tokenizer splits them)."""
    tokens = [(at, t) for at, t in duckdb.tokenize(sql) if t != duckdb.token_type.comment]
    i = 1  # tokens[0] is EXPLAIN
    while i < len(tokens):
        at, token = tokens[i]
        word = sql[at : tokens[i + 1][0] if i + 1 < len(tokens) else len(sql)].strip().lower()
        if token == duckdb.token_type.keyword and word in ("analyze", "analyse"):
            i += 1
        elif token == duckdb.token_type.operator and word.startswith("("):
            i = _after_parenthesis(sql, tokens, i)
        else:
            return sql[at:]
    return ""


def _after_parenthesis(sql: str, tokens: list, start: int) -> int:
    depth = 0
    for i in range(start, len(tokens)):
        at = tokens[i][0]
        if tokens[i][1] == duckdb.token_type.operator:
            depth += sql[at] == "("
            depth -= sql[at] == ")"
            if depth == 0:
                return i + 1
    return len(tokens)


def check_query(con: duckdb.DuckDBPyConnection, sql: str, shown: str | None = None) -> dict:
    """Refuse ``sql`` unless it is one query (or an EXPLAIN [ANALYZE] of one) that only reads;
    returns the query's parse tree (``query_tree``), which names the tables it reads.

    ``shown`` is the text the user wrote, named in the error (``sql`` may be rewritten);
    ``con`` serializes the parse tree (it runs nothing of ``sql``).

    Raises:
        QueryError: any other statement, however it is wrapped.
    """
    try:
        found = kind(sql)
    except duckdb.Error as exc:
        raise QueryError(f"the query failed: {str(exc).splitlines()[0]}", sql=shown or sql) from exc
    explain = duckdb.extract_statements(sql)[0].type == _TYPES.EXPLAIN
    under = ", not even under EXPLAIN" if explain else ""
    if found != _TYPES.SELECT:
        raise QueryError(
            f"{found.name} statements cannot run here{under}; only queries that return rows",
            sql=shown or sql,
            hint=_WRITE_HINT,
        )
    tree = query_tree(con, explained(sql) if explain else sql)
    work = _hidden_work(tree)
    if work:
        raise QueryError(
            f"the query holds {work}: it cannot run here{under}; only queries that return rows",
            sql=shown or sql,
            hint=_WRITE_HINT,
        )
    return tree


def query_tree(con: duckdb.DuckDBPyConnection, sql: str) -> dict:
    """DuckDB's parse tree (as ``json_serialize_sql`` writes it) of the query ``sql`` runs:
    the statement itself, or the one an EXPLAIN explains. Nothing of ``sql`` runs.

    The tree has ``"error": true`` when that statement is not a query DuckDB can serialize.

    Raises:
        QueryError: ``sql`` does not parse.
    """
    try:
        found = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(
            f"the query failed: {str(exc).splitlines()[0]}", sql=sql, duckdb_error=str(exc)
        ) from exc
    if len(found) == 1 and found[0].type == _TYPES.EXPLAIN:
        sql = explained(found[0].query)
    serialized = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0]
    return json.loads(serialized)


def _hidden_work(tree: dict) -> str | None:
    """What a SELECT does besides reading, from DuckDB's serialized parse tree, or None."""
    if tree.get("error"):
        return f"a statement that is not a plain query ({tree.get('error_message')})"
    for node in nodes(tree):
        node_type = node.get("type")
        query_node = isinstance(node_type, str) and node_type.endswith("_NODE")
        if query_node and node_type not in _QUERY_NODES:
            return "a " + node_type.removesuffix("_NODE").removesuffix("_QUERY") + " statement"
        name = node.get("function_name")
        if isinstance(name, str) and name.lower() in _RUNS_SQL:
            return f"{name}(), which runs SQL text"
    return None


def nodes(value: object) -> Iterator[dict]:
    """Every object in a serialized parse tree, depth first."""
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from nodes(child)
    elif isinstance(value, list):
        for child in value:
            yield from nodes(child)
