"""Search of registered models and versions with MLflow's filter grammar
(``tracking.filters``): ``name = 'churn'``, ``name LIKE '%churn%'``, ``run_id = '...'``,
``tags.team = 'risk'``, joined by AND; order by name, version, times; pages by token.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, not_, select

from lakeworks.errors import InvalidInputError
from lakeworks.meta.models import (
    ModelVersionRow,
    ModelVersionTagRow,
    RegisteredModelRow,
    RegisteredModelTagRow,
)
from lakeworks.registry.records import Page
from lakeworks.tracking.filters import (
    ATTRIBUTE,
    NUMBER,
    STRING,
    TAG,
    Comparison,
    Grammar,
    Order,
    parse_filter,
    parse_order,
)

VERSIONS = Grammar(
    kinds=frozenset({ATTRIBUTE, TAG}),
    attributes={
        "name": STRING,
        "run_id": STRING,
        "source_path": STRING,
        "status": STRING,
        "format": STRING,
        "version_number": NUMBER,
        "creation_timestamp": NUMBER,
        "last_updated_timestamp": NUMBER,
    },
    aliases={"source": "source_path", "version": "version_number"},
    list_attributes=frozenset({"run_id", "name"}),
    null_kinds=frozenset({TAG}),
)
MODELS = Grammar(
    kinds=frozenset({ATTRIBUTE, TAG}),
    attributes={"name": STRING, "creation_timestamp": NUMBER, "last_updated_timestamp": NUMBER},
    list_attributes=frozenset({"name"}),
    null_kinds=frozenset({TAG}),
)
_VERSION_COLUMNS = {
    "name": RegisteredModelRow.name,
    "run_id": ModelVersionRow.run_id,
    "source_path": ModelVersionRow.source,
    "status": ModelVersionRow.status,
    "format": ModelVersionRow.format,
    "version_number": ModelVersionRow.version,
    "creation_timestamp": ModelVersionRow.created_ms,
    "last_updated_timestamp": ModelVersionRow.updated_ms,
}
_MODEL_COLUMNS = {
    "name": RegisteredModelRow.name,
    "creation_timestamp": RegisteredModelRow.created_ms,
    "last_updated_timestamp": RegisteredModelRow.updated_ms,
}
MAX_RESULTS = 1000


def version_conditions(text: str | None, dialect: str) -> list[ColumnElement[bool]]:
    tag = _tag_test(ModelVersionTagRow, ModelVersionTagRow.version_id, ModelVersionRow.id)
    return _conditions(parse_filter(text, VERSIONS), _VERSION_COLUMNS, tag, dialect)


def model_conditions(text: str | None, dialect: str) -> list[ColumnElement[bool]]:
    tag = _tag_test(RegisteredModelTagRow, RegisteredModelTagRow.model_id, RegisteredModelRow.id)
    return _conditions(parse_filter(text, MODELS), _MODEL_COLUMNS, tag, dialect)


def version_order(clauses: list[str] | None) -> list[Any]:
    default = [RegisteredModelRow.name.asc(), ModelVersionRow.version.desc()]
    return _order(parse_order(clauses, VERSIONS), _VERSION_COLUMNS) + default


def model_order(clauses: list[str] | None) -> list[Any]:
    return _order(parse_order(clauses, MODELS), _MODEL_COLUMNS) + [RegisteredModelRow.name.asc()]


def page_bounds(max_results: int, page_token: str | None) -> tuple[int, int]:
    """(offset, limit) of one page; a token is the offset it continues from."""
    if not 1 <= max_results <= MAX_RESULTS:
        raise InvalidInputError(
            f"max_results must be between 1 and {MAX_RESULTS}, not {max_results}",
            expected=f"1..{MAX_RESULTS}",
            found=max_results,
        )
    if not page_token:
        return 0, max_results
    try:
        offset = int(json.loads(base64.urlsafe_b64decode(page_token))["offset"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(
            f"invalid page_token {page_token!r}", hint="pass the token a search returned"
        ) from exc
    return max(offset, 0), max_results


def page(fetch: Callable[[int, int], list[Any]], max_results: int, page_token: str | None) -> Page:
    """One page of what ``fetch(offset, limit)`` finds, with the next page's token."""
    offset, limit = page_bounds(max_results, page_token)
    found = fetch(offset, limit + 1)  # one more than the page: is there a next one?
    return Page(found[:limit], next_token(offset, limit, len(found)))


def next_token(offset: int, limit: int, got: int) -> str | None:
    """The token of the next page, or None when this one was the last (``got`` asks for
    one row more than the page, to know)."""
    if got <= limit:
        return None
    return base64.urlsafe_b64encode(json.dumps({"offset": offset + limit}).encode()).decode()


def _conditions(
    parsed: Any, columns: dict[str, Any], tag: Callable[..., Any], dialect: str
) -> list[ColumnElement[bool]]:
    out = []
    for c in parsed.comparisons:
        if c.key.kind == TAG:
            out.append(tag(c, dialect))
        else:
            out.append(_compare(columns[c.key.name], c, dialect))
    return out


def _tag_test(table: type, owner: Any, owner_id: Any) -> Callable[..., Any]:
    def test(c: Comparison, dialect: str) -> ColumnElement[bool]:
        keyed = select(table.id).where(owner == owner_id, table.key == c.key.name)
        if c.op == "IS NULL":
            return not_(exists(keyed))
        if c.op == "IS NOT NULL":
            return exists(keyed)
        return exists(keyed.where(_compare(table.value, c, dialect)))

    return test


def _compare(column: Any, c: Comparison, dialect: str) -> ColumnElement[bool]:
    value = c.value
    if c.op == "LIKE":
        return column.op("GLOB")(_glob(value)) if dialect == "sqlite" else column.like(value)
    if c.op == "ILIKE":
        return column.ilike(value)
    if c.op == "IN":
        return column.in_(value)
    if c.op == "NOT IN":
        return column.not_in(value)
    if c.op == "IS NULL":
        return column.is_(None)
    if c.op == "IS NOT NULL":
        return column.is_not(None)
    ops = {
        "=": column.__eq__,
        "!=": column.__ne__,
        ">": column.__gt__,
        ">=": column.__ge__,
        "<": column.__lt__,
        "<=": column.__le__,
    }
    return and_(column.is_not(None), ops[c.op](value))


def _glob(pattern: str) -> str:
    """A case-sensitive SQL LIKE pattern as SQLite GLOB (SQLite's LIKE ignores case)."""
    special = {"*": "[*]", "?": "[?]", "[": "[[]", "%": "*", "_": "?"}
    return "".join(special.get(ch, ch) for ch in pattern)


def _order(orders: tuple[Order, ...], columns: dict[str, Any]) -> list[Any]:
    out = []
    for order in orders:
        if order.key.kind != ATTRIBUTE:
            raise InvalidInputError(
                f"cannot order by {order.key.kind} {order.key.name!r}",
                expected=", ".join(sorted(columns)),
                found=f"{order.key.kind}.{order.key.name}",
            )
        column = columns[order.key.name]
        out.append(column.asc() if order.ascending else column.desc())
    return out
