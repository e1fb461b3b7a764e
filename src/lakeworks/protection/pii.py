"""Personal data: columns tagged with what they hold, and the masking policy readers see.

Tags: ``email``, ``name``, ``phone``, ``address``, ``id``, ``free_text``. Policies:
``redact`` (``***``), ``partial`` (the shape kept: ``j***@example.com``, ``*******1234``),
``hash`` (a keyed HMAC-SHA256 pseudonym: equal values mask equally, so masked columns
still join) and ``none`` (tagged, not masked). ``scan`` suggests tags from sampled values.

Example:
    >>> ws.pii.scan("customers")  # doctest: +SKIP
    [Suggestion(column='email', tag='email', share=1.0, reason='email pattern')]
    >>> ws.pii.tag("customers", "email", "email", policy="hash")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import delete, select

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.lake.tables import Tables
from lakeworks.meta.catalog import Catalog, aware, now
from lakeworks.meta.protection import PiiTagRow
from lakeworks.protection.detectors import Suggestion, suggest
from lakeworks.security.secrets import workspace_id

TAGS = ("email", "name", "phone", "address", "id", "free_text")
POLICIES = ("redact", "partial", "hash", "none")
DEFAULT_POLICY = {
    "email": "partial",
    "name": "redact",
    "phone": "partial",
    "address": "redact",
    "id": "hash",
    "free_text": "redact",
}
SCAN_ROWS = 1000


@dataclass(frozen=True)
class PiiTag:
    table: str
    column: str
    tag: str
    policy: str
    created_at: datetime
    created_by: str


class Pii:
    """Tags of personal data (``platform.pii``)."""

    def __init__(
        self,
        catalog: Catalog,
        tables: Tables,
        changed: Callable[[str], None] = lambda workspace: None,
    ) -> None:
        self.catalog = catalog
        self.tables = tables
        self.changed = changed  # told the workspace whose tags changed (the masks it keeps)

    def tag(
        self, ctx: Context, table: str, column: str, tag: str, policy: str | None = None
    ) -> PiiTag:
        """Tag ``table.column`` (replacing its tag); ``policy`` defaults by tag."""
        _check(tag, TAGS, "PII tag", table, column)
        policy = policy or DEFAULT_POLICY[tag]
        _check(policy, POLICIES, "masking policy", table, column)
        self._check_column(ctx, table, column)
        with self.catalog.session() as s:
            ws_id = workspace_id(s, ctx.workspace)
            row = s.scalar(_row(ws_id, table, column))
            if row is None:
                row = PiiTagRow(workspace_id=ws_id, table_name=table, column_name=column)
                s.add(row)
            row.tag, row.policy, row.created_at, row.created_by = tag, policy, now(), ctx.user
            s.flush()
            found = _tag(row)
        self.changed(ctx.workspace)
        return found

    def untag(self, ctx: Context, table: str, column: str) -> None:
        with self.catalog.session() as s:
            ws_id = workspace_id(s, ctx.workspace)
            gone = s.execute(
                delete(PiiTagRow).where(
                    PiiTagRow.workspace_id == ws_id,
                    PiiTagRow.table_name == table,
                    PiiTagRow.column_name == column,
                )
            ).rowcount
        self.changed(ctx.workspace)
        if not gone:
            raise NotFoundError(
                f"column {column!r} of table {table!r} has no PII tag", table=table, column=column
            )

    def tags(self, ctx: Context, table: str | None = None) -> list[PiiTag]:
        """The tags of the workspace (of one table with ``table``)."""
        with self.catalog.session() as s:
            query = select(PiiTagRow).where(
                PiiTagRow.workspace_id == workspace_id(s, ctx.workspace)
            )
            if table is not None:
                query = query.where(PiiTagRow.table_name == table)
            order = (PiiTagRow.table_name, PiiTagRow.column_name)
            return [_tag(r) for r in s.scalars(query.order_by(*order))]

    def scan(self, ctx: Context, table: str, rows: int = SCAN_ROWS) -> list[Suggestion]:
        """Suggested tags for the text columns of ``table`` from its first ``rows`` rows."""
        if rows < 1:
            raise InvalidInputError("rows must be at least 1", table=table, rows=rows)
        data = self.tables.read(ctx, table, limit=rows, unmasked=True)
        found = []
        for name in data.column_names:
            values = _texts(data.column(name))
            if values is not None and (hit := suggest(name, values)):
                found.append(hit)
        return found

    def _check_column(self, ctx: Context, table: str, column: str) -> None:
        names = self.tables.describe(ctx, table).schema.names
        if column not in names:
            raise InvalidInputError(
                f"table {table!r} has no column {column!r}",
                hint=f"its columns are {names}",
                table=table,
                column=column,
            )


def _texts(column: pa.ChunkedArray) -> list[str] | None:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column.to_pylist()
    if pa.types.is_integer(column.type):  # ids and card numbers stored as numbers
        return pc.cast(column, pa.string()).to_pylist()
    return None


def _check(value: str, allowed: tuple[str, ...], what: str, table: str, column: str) -> None:
    if value not in allowed:
        raise InvalidInputError(
            f"unknown {what} {value!r} for column {column!r} of table {table!r}",
            hint=f"expected one of {list(allowed)}",
            table=table,
            column=column,
            expected=", ".join(allowed),
            found=value,
        )


def _row(ws_id: int, table: str, column: str):  # noqa: ANN202
    return select(PiiTagRow).where(
        PiiTagRow.workspace_id == ws_id,
        PiiTagRow.table_name == table,
        PiiTagRow.column_name == column,
    )


def _tag(row: PiiTagRow) -> PiiTag:
    return PiiTag(
        row.table_name, row.column_name, row.tag, row.policy, aware(row.created_at), row.created_by
    )
