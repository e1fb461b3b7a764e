"""Run search until ``tracking.search`` lands (branch h/search), then a door to it.

``tracking.search`` compiles MLflow's filter grammar (``metrics.auc > 0.8 and
params.depth = '6'``) and order to one SELECT with keyset page tokens; when that module is
present every search goes through it (``RunSearch.parse`` + ``search_rows``). Without it,
this module searches with no filter, orders by run attributes and pages by offset.
"""

from __future__ import annotations

import base64
import importlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lakeworks.errors import InvalidInputError
from lakeworks.meta.models import RunRow

MAX_RESULTS = 50_000
_STAGES = {"active": ("active",), "deleted": ("deleted",), "all": ("active", "deleted")}


class RunQuery:
    """Builds and runs one page of a run search."""

    def page(
        self,
        s: Session,
        experiment_ids: list[int],
        filter: str | None,
        order_by: Sequence[str],
        max_results: int,
        page_token: str | None,
        run_view: str,
    ) -> tuple[list[RunRow], str | None]:
        full = _full_search()
        if full is not None:
            search = full.RunSearch.parse(experiment_ids, filter, order_by, run_view)
            return full.search_rows(s, search, max_results, page_token)
        if not 0 < max_results <= MAX_RESULTS:
            raise InvalidInputError(
                f"max_results must be between 1 and {MAX_RESULTS}, got {max_results}",
                expected=f"1..{MAX_RESULTS}",
                found=str(max_results),
            )
        offset = decode_token(page_token)
        query = select(RunRow).where(
            RunRow.experiment_id.in_(experiment_ids),
            RunRow.lifecycle_stage.in_(_STAGES[run_view]),
        )
        query = self.ordered(self.filtered(query, filter), order_by)
        rows = list(s.scalars(query.offset(offset).limit(max_results + 1)))
        token = encode_token(offset + max_results) if len(rows) > max_results else None
        return rows[:max_results], token

    def filtered(self, query: Select, filter: str | None) -> Select:
        if filter and filter.strip():
            raise InvalidInputError(
                "run filters are not available in this build", hint="search without a filter"
            )
        return query

    def ordered(self, query: Select, order_by: Sequence[str]) -> Select:
        clauses = [attribute_order(o) for o in order_by]
        return query.order_by(*clauses, RunRow.start_time.desc(), RunRow.id)


_ATTRIBUTES = {
    "start_time": RunRow.start_time,
    "end_time": RunRow.end_time,
    "run_name": RunRow.name,
    "status": RunRow.status,
    "user_id": RunRow.user_id,
    "run_id": RunRow.id,
}


def attribute_order(clause: str):  # noqa: ANN201 - an order-by clause
    """``attributes.start_time DESC`` and the like; other keys need ``tracking.filters``."""
    parts = clause.strip().split()
    key = parts[0].removeprefix("attributes.").removeprefix("attribute.") if parts else ""
    direction = parts[1].upper() if len(parts) == 2 else "ASC"
    if key not in _ATTRIBUTES or len(parts) > 2 or direction not in {"ASC", "DESC"}:
        raise InvalidInputError(
            f"invalid order_by clause {clause!r}",
            hint=f"use one of {sorted(_ATTRIBUTES)} followed by ASC or DESC",
            found=clause,
        )
    column = _ATTRIBUTES[key]
    return column.desc() if direction == "DESC" else column.asc()


def _full_search() -> Any:
    try:  # imported by name: the module comes from another branch (h/search)
        return importlib.import_module("lakeworks.tracking.search")
    except ImportError:
        return None


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
        if isinstance(offset, int) and offset >= 0:
            return offset
    except (ValueError, KeyError, TypeError):
        pass
    raise InvalidInputError(
        f"invalid page token {token!r}", hint="pass the token a search returned"
    )
