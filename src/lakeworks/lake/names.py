"""Which tables a query reads, from DuckDB's parse of it, never from the words in it.

``select status, count(*) from ref group by 1`` reads ``ref`` only; ``select * from
"orders"`` reads ``orders``; a table named with a keyword (``"order"``) is found when
quoted; a CTE shadows a table of its name in the query that defines it (and in the CTEs
after it); schema-qualified names (``other.orders``) and table functions are never
workspace tables. The tree is the one DuckDB will run (``json_serialize_sql``), so no
second parser can disagree with it.
"""

from __future__ import annotations

from collections.abc import Iterable


def tables_read(tree: dict, known: Iterable[str]) -> list[str]:
    """The names in ``known`` (lower case) that the query of parse tree ``tree`` reads as
    tables, sorted (``tree`` as ``statements.check_query`` returns it)."""
    found: set[str] = set()
    if not tree.get("error"):
        _collect(tree, frozenset(), found)
    return sorted(found & set(known))


def _collect(value: object, ctes: frozenset[str], found: set[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _collect(item, ctes, found)
        return
    if not isinstance(value, dict):
        return
    entries = (value.get("cte_map") or {}).get("map") or []
    visible = ctes
    for entry in entries:  # a CTE sees those before it, and itself when recursive
        name = entry["key"].lower()
        body = entry["value"].get("query_node") or {}
        own = {name} if body.get("type") == "RECURSIVE_CTE_NODE" else set()
        _collect(entry["value"], visible | own, found)
        visible = visible | {name}
    if value.get("type") in ("BASE_TABLE", "SHOW_REF"):
        table = value.get("table_name") or ""
        qualified = value.get("schema_name") or value.get("catalog_name")
        if table and not qualified and table.lower() not in visible:
            found.add(table.lower())
    for key, child in value.items():
        if key != "cte_map":
            _collect(child, visible, found)
