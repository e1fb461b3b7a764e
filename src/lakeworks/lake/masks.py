"""The read mask: what a reader without the right to see personal data reads instead.

The lake owns this small interface and applies it wherever a table becomes readable (the
SQL engine's views, ``Tables.read``); the security package implements it from the PII
tags and the caller's permissions (``security.masking.Masking``) and the platform plugs
it in. A mask is, per table, a DuckDB expression per column over ``{column}`` (the quoted
column); the masked view computes it, so filters and joins see only masked values.

Reads that hand out values rather than a view (the feature store's online reads and
training sets) ask for ``policies``, the kind of mask per column, and apply it with
``mask_values``.
"""

from __future__ import annotations

from typing import Any, Protocol

import duckdb

from lakeworks.context import Context

TableMasks = dict[str, dict[str, str]]  # table -> column -> expression over {column}
TablePolicies = dict[str, dict[str, str]]  # table -> column -> kind of mask


class ReadMask(Protocol):
    def masks(self, ctx: Context) -> TableMasks:
        """The masks ``ctx`` reads its workspace's tables through; empty: none."""
        ...

    def policies(self, ctx: Context, max_age: float = 0.0) -> TablePolicies:
        """The kind of mask (``redact``, ``partial``, ``partial_email``, ``hash``) of each
        column ``ctx`` reads masked; empty: none. ``max_age``: tags read that many
        seconds ago will do (a hot path)."""
        ...

    def mask_values(self, kind: str, values: list[Any]) -> list[Any]:
        """``values`` masked as ``kind``'s expression masks them."""
        ...

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Add the SQL functions the expressions use to a new connection (before it is
        locked down)."""
        ...


class NoMask:
    """Everyone reads everything: no PII tags, or no security package wired in."""

    def masks(self, ctx: Context) -> TableMasks:
        return {}

    def policies(self, ctx: Context, max_age: float = 0.0) -> TablePolicies:
        return {}

    def mask_values(self, kind: str, values: list[Any]) -> list[Any]:
        return values

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        return None


def select_list(names: list[str], masks: dict[str, str] | None, quote) -> str:  # noqa: ANN001
    """The columns of a view: each masked one as its expression, renamed to itself."""
    masks = masks or {}
    return ", ".join(
        f"{masks[n].format(column=quote(n))} AS {quote(n)}" if n in masks else quote(n)
        for n in names
    )
