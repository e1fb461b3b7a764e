"""Write fences: a write made for work that is no longer wanted must not commit.

The lake owns this small interface; whoever runs work that may be abandoned (the
pipeline runner: a timed-out or cancelled task attempt) sets a fence for the code it
runs, and the table store checks it at the last moment before each Delta commit: after
the last batch of an append/overwrite/create was produced, and before a merge or delete
executes. A fence that says no raises ``FencedError``; the write then fails like any
other failed write (nothing is committed, a table it was creating is removed).

Example:
    >>> class Never:
    ...     def check(self) -> None:
    ...         raise FencedError("attempt 1 of task 'load' was timed out")
    >>> with fenced(Never()):
    ...     check()
    Traceback (most recent call last):
    ...
    lakeworks.errors.FencedError: attempt 1 of task 'load' was timed out
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol, TypeVar

from lakeworks.errors import FencedError

__all__ = ["FencedError", "WriteFence", "check", "current", "fenced", "guarded"]

T = TypeVar("T")


class WriteFence(Protocol):
    def check(self) -> None:
        """Return when a write may still commit; raise ``FencedError`` when not."""


_current: ContextVar[WriteFence | None] = ContextVar("lakeworks_write_fence", default=None)


def current() -> WriteFence | None:
    """The fence of the code running now (None outside fenced work)."""
    return _current.get()


@contextmanager
def fenced(fence: WriteFence) -> Iterator[WriteFence]:
    """Check ``fence`` before every commit made inside the block (in this context)."""
    token = _current.set(fence)
    try:
        yield fence
    finally:
        _current.reset(token)


def check() -> None:
    """Raise ``FencedError`` if the current fence refuses (no-op when there is none)."""
    fence = _current.get()
    if fence is not None:
        fence.check()


def guarded(items: Iterator[T]) -> Iterator[T]:
    """``items``, then a check of the fence current *now* (when this is called) once the
    last item has been taken: the end of a batch stream handed to the Delta writer is
    the last moment before its commit, and the writer may pull from another thread."""
    fence = _current.get()
    if fence is None:
        return items
    return _checked(items, fence)


def _checked(items: Iterator[T], fence: WriteFence) -> Iterator[T]:
    yield from items
    fence.check()
