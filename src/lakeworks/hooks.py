"""Hooks: observers that the table service calls around every write and read.

A hook observes; it never changes what a write does. Each method takes keyword-only
arguments and ends with ``**future_kwargs`` so new arguments never break an old hook, and
an exception inside a hook is logged and swallowed. Lineage, profiles and check results
hang off these hooks (see ``Platform.hooks``).

The events, in order, for one write::

    write_started(ctx=, table=, operation=, write_id=, inputs=)
    write_finished(ctx=, table=, operation=, write_id=, inputs=, version=, rows=)
      or write_failed(ctx=, table=, operation=, write_id=, inputs=, error=)

and ``table_read(ctx=, table=, version=)`` whenever a table version is read, and
``training_set_built(ctx=, views=, tables=, features=)`` when the feature store built a
training set (``views``: view -> version, ``tables``: (table, version) pairs it read).

What a write reads is declared by the code that starts it, with ``reading(...)`` around
the write: ``Query.save`` declares the table versions of its SQL, the loader the source
of a load. ``current_inputs()`` hands it to the hooks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("lakeworks.hooks")


@dataclass(frozen=True)
class Inputs:
    """What the write about to happen reads.

    kind: "sql", "load" or "write" (data handed in by the caller).
    tables: (table, version) pairs a SQL statement read.
    sources: descriptions of files, queries or URLs a load read.
    sql: the statement as the user wrote it; rewritten: as DuckDB ran it.
    """

    kind: str = "write"
    tables: tuple[tuple[str, int], ...] = ()
    sources: tuple[str, ...] = ()
    source_kind: str | None = None
    sql: str | None = None
    rewritten: str | None = None
    load_id: int | None = None


_inputs: ContextVar[Inputs | None] = ContextVar("lakeworks_write_inputs", default=None)


@contextmanager
def reading(**fields: Any) -> Iterator[Inputs]:
    """Declare the inputs of the writes made inside the block."""
    inputs = Inputs(**fields)
    token = _inputs.set(inputs)
    try:
        yield inputs
    finally:
        _inputs.reset(token)


def current_inputs() -> Inputs:
    """The inputs declared for the current write (a plain data write when none were)."""
    return _inputs.get() or Inputs()


class Hook:
    """Base class: override the events you observe."""

    def write_started(self, **kwargs: Any) -> None:
        """Before a write commits."""

    def write_finished(self, **kwargs: Any) -> None:
        """After a write committed ``version``."""

    def write_failed(self, **kwargs: Any) -> None:
        """After a write failed; the table is at its previous version."""

    def table_read(self, **kwargs: Any) -> None:
        """After a table version was opened for reading."""

    def training_set_built(self, **kwargs: Any) -> None:
        """After the feature store built a training set."""


class Hooks:
    """The registered hooks of one platform."""

    def __init__(self, hooks: list[Hook] | None = None) -> None:
        self._hooks: list[Hook] = list(hooks or [])

    def register(self, hook: Hook) -> None:
        self._hooks.append(hook)

    def emit(self, event: str, **kwargs: Any) -> None:
        """Call ``event`` on every hook; a failing hook is logged, never raised."""
        for hook in self._hooks:
            try:
                getattr(hook, event)(**kwargs)
            except Exception:
                log.exception("hook %s.%s failed", type(hook).__name__, event)
