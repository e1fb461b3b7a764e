"""The SQL of run search: experiments, run view, filter, order and pages.

The filter grammar (MLflow's ``metrics.auc > 0.8 and params.depth = '6'``) is compiled by
``tracking.filters`` when that module is present; without it a filter is refused.
Pages are offsets carried in an opaque token.
"""

from __future__ import annotations

import base64
import importlib
import json
from collections.abc import Sequence

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
        if not filter or not filter.strip():
            return query
        compile_filter = _compiler()
        return query.where(compile_filter(filter))

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


def _compiler():  # noqa: ANN202 - the filter compiler of tracking.filters
    try:  # imported by name: the module comes from another branch (h/search)
        compile_filter = importlib.import_module("lakeworks.tracking.filters").compile_filter
    except ImportError:
        raise InvalidInputError(
            "run filters are not available in this build", hint="search without a filter"
        ) from None
    return compile_filter


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
