"""Column-level lineage of a SQL statement with sqlglot, where it can resolve it."""

from __future__ import annotations

import logging

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import lineage

log = logging.getLogger("lakeworks.lineage")


def column_sources(
    sql: str, schemas: dict[str, dict[str, str]], outputs: list[str]
) -> dict[str, list[tuple[str, str]]]:
    """For each output column, the (view, column) pairs it is computed from.

    ``schemas`` maps each view the SQL reads to its columns and types. An output sqlglot
    cannot trace (``count(*)``, a star it cannot expand) maps to an empty list.
    """
    try:
        tree = sqlglot.parse_one(sql, dialect="duckdb")
    except SqlglotError as exc:
        log.info("no column lineage: sqlglot cannot parse the statement: %s", exc)
        return {}
    found: dict[str, list[tuple[str, str]]] = {}
    for column in outputs:
        try:
            node = lineage(column, tree, schema=schemas, dialect="duckdb")
        except (SqlglotError, KeyError, ValueError) as exc:
            log.info("no column lineage for %s: %s", column, exc)
            found[column] = []
            continue
        pairs = {
            (leaf.source.name, leaf.name.rsplit(".", 1)[-1].strip('"'))
            for leaf in node.walk()
            if not leaf.downstream and isinstance(leaf.source, exp.Table)
        }
        found[column] = sorted(pairs)
    return found
