"""Masking of personal data at read time: the lake's ``ReadMask`` from the PII tags.

(It implements ``lakeworks.lake.masks.ReadMask`` without importing it: security sits
below the lake, which calls into it.)

A caller without the ``unmask`` permission on the workspace reads each tagged column
through its policy's DuckDB expression, in SQL (the engine's views), table reads and
previews alike; filters and joins see only masked values. Pseudonyms (policy ``hash``)
are HMAC-SHA256 under ``pii_hash_key``, computed by the SQL function ``lw_pseudonym``
(a Python function, so the key is never part of a view's text a query could read back).

Reads that hand out Python values rather than a DuckDB view (online features) mask with
``mask_values``: the same four policies in Python, equal value for value to the SQL
expressions (``tests/security/test_feature_masking.py`` holds them to it).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from functools import cached_property
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.meta.catalog import Catalog
from lakeworks.meta.models import WorkspaceRow
from lakeworks.meta.protection import PiiTagRow
from lakeworks.security.keys import pii_key

PSEUDONYM_FUNCTION = "lw_pseudonym"
TableMasks = dict[str, dict[str, str]]  # lake.masks.TableMasks: table -> column -> expression
TablePolicies = dict[str, dict[str, str]]  # table -> column -> kind (a key of _EXPRESSIONS)
_TEXT = "CAST({column} AS VARCHAR)"
_EXPRESSIONS = {
    "redact": "CASE WHEN {column} IS NULL THEN NULL ELSE '***' END",
    "hash": f"{PSEUDONYM_FUNCTION}({_TEXT})",
    "partial": (
        f"CASE WHEN {{column}} IS NULL THEN NULL WHEN length({_TEXT}) <= 4 THEN '****' "
        f"ELSE repeat('*', length({_TEXT}) - 4) || right({_TEXT}, 4) END"
    ),
    "partial_email": f"regexp_replace({_TEXT}, '^(.)[^@]*', '\\1***')",
}


def pseudonym(key: bytes, value: str) -> str:
    """The pseudonym of ``value``: 32 hex digits of HMAC-SHA256 under ``key``."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]


class Pseudonyms:
    """``pseudonym`` over Arrow arrays, 2-3x faster than ``hmac.new`` per value: HMAC's
    two keyed SHA-256 states are made once and copied, and each distinct value of an
    array is hashed once."""

    def __init__(self, key: bytes) -> None:
        block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        # ``one`` keyed by the value, for online reads, where hot keys repeat: never stale
        # (the key is this object's, fixed), 65,536 values at most, least recent out;
        # it holds strs, which nobody can change
        self.cached = functools.lru_cache(maxsize=65_536)(self.one)

    def one(self, value: str) -> str:
        inner = self._inner.copy()
        inner.update(value.encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()[:32]

    def array(self, values: pa.Array | pa.ChunkedArray) -> pa.Array:
        if isinstance(values, pa.ChunkedArray):  # DuckDB hands over either
            values = values.combine_chunks()
        encoded = pc.dictionary_encode(values)
        distinct = [None if v is None else self.one(v) for v in encoded.dictionary.to_pylist()]
        return pc.take(pa.array(distinct, pa.string()), encoded.indices)


def kind(policy: str, tag: str) -> str | None:
    """How a column of ``tag`` under ``policy`` is masked: ``redact``, ``partial``,
    ``partial_email`` or ``hash`` (None: not masked)."""
    if policy == "none":
        return None
    if policy == "partial" and tag == "email":
        return "partial_email"
    return policy


def expression(policy: str, tag: str) -> str | None:
    """The DuckDB expression over ``{column}`` of ``policy`` (None: not masked)."""
    found = kind(policy, tag)
    return None if found is None else _EXPRESSIONS[found]


def _text(value: Any) -> str:
    """``CAST(value AS VARCHAR)`` as DuckDB writes it, for the types features hold."""
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _partial(value: Any) -> str:
    text = _text(value)
    return "****" if len(text) <= 4 else "*" * (len(text) - 4) + text[-4:]


def _partial_email(value: Any) -> str:
    """``regexp_replace(text, '^(.)[^@]*', '\\1***')`` without the regex (4x faster): the
    first character kept, the rest of the name up to the first ``@`` after it starred."""
    text = _text(value)
    if not text or text[0] == "\n":  # RE2's '.' matches no newline: no match, unchanged
        return text
    at = text.find("@", 1)
    return text[0] + "***" + ("" if at < 0 else text[at:])


_MASKERS: dict[str, Callable[[Any, Pseudonyms], str]] = {
    "redact": lambda value, _: "***",
    "partial": lambda value, _: _partial(value),
    "partial_email": lambda value, _: _partial_email(value),
    "hash": lambda value, pseudonyms: pseudonyms.cached(_text(value)),
}


class Masking:
    """The platform's read mask; ``unmask(ctx)`` says whether ``ctx`` sees raw values."""

    def __init__(
        self, catalog: Catalog, settings: Settings, unmask: Callable[[Context], bool]
    ) -> None:
        self.catalog = catalog
        self.settings = settings
        self.unmask = unmask
        # workspace -> (monotonic time read, its policies as tuples); see policies(max_age)
        self._recent: dict[str, tuple[float, tuple[tuple[str, str, str], ...]]] = {}
        self._lock = threading.Lock()

    @cached_property
    def key(self) -> bytes:
        return pii_key(self.settings)

    @cached_property
    def pseudonyms(self) -> Pseudonyms:
        return Pseudonyms(self.key)

    def masks(self, ctx: Context) -> TableMasks:
        return {
            table: {column: _EXPRESSIONS[k] for column, k in columns.items()}
            for table, columns in self.policies(ctx).items()
        }

    def policies(self, ctx: Context, max_age: float = 0.0) -> TablePolicies:
        """How ``ctx`` reads each tagged column of its workspace (empty: all raw): one
        query of the tags, none for a caller who may unmask.

        ``max_age`` (seconds) lets a hot path (online features) reuse the tags read that
        recently instead of a query per call: a tag changed in another process reaches
        it within ``max_age``; one changed in this process (``forget``), at once.
        """
        if self.unmask(ctx):
            return {}
        recent = self._recent.get(ctx.workspace) if max_age > 0 else None
        if recent is not None and time.monotonic() - recent[0] < max_age:
            rows = recent[1]
        else:
            read_at = time.monotonic()
            rows = self._read(ctx.workspace)
            with self._lock:
                self._recent[ctx.workspace] = (read_at, rows)
        found: TablePolicies = {}
        for table, column, k in rows:
            found.setdefault(table, {})[column] = k
        return found

    def forget(self, workspace: str) -> None:
        """Drop the tags ``policies`` keeps of ``workspace`` (one was just changed)."""
        with self._lock:
            self._recent.pop(workspace, None)

    def _read(self, workspace: str) -> tuple[tuple[str, str, str], ...]:
        query = (
            select(PiiTagRow.table_name, PiiTagRow.column_name, PiiTagRow.tag, PiiTagRow.policy)
            .join(WorkspaceRow, WorkspaceRow.id == PiiTagRow.workspace_id)
            .where(WorkspaceRow.name == workspace)
        )
        with self.catalog.session() as s:
            return tuple(
                (table, column, k)
                for table, column, tag, policy in s.execute(query)
                if (k := kind(policy, tag)) is not None
            )

    def mask_values(self, kind: str, values: list[Any]) -> list[Any]:
        """``values`` masked as the SQL expression of ``kind`` masks them; None stays None."""
        masker, pseudonyms = _MASKERS[kind], self.pseudonyms
        return [None if v is None else masker(v, pseudonyms) for v in values]

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        pseudonyms = Pseudonyms(self.key)

        def lw_pseudonym(values: pa.Array) -> pa.Array:
            return pseudonyms.array(values)

        con.create_function(PSEUDONYM_FUNCTION, lw_pseudonym, ["VARCHAR"], "VARCHAR", type="arrow")
