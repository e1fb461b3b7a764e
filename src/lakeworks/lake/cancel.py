"""Stopping SQL that runs too long or is no longer wanted.

Every run of a statement (``arrow()``, ``batches()``, a ``save``) is watched by the
engine's ``Statements``: it gets a deadline (the statement timeout), it belongs to a
``Scope`` its caller can cancel (the REST door cancels it when the HTTP client goes away),
and ``Statements.cancel_all`` stops every run at once (server shutdown, Ctrl-C in the CLI).
Stopping calls DuckDB's ``interrupt()`` on the run's connection; the run then raises
``StatementTimeoutError`` or ``CancelledError`` naming why, never a bare DuckDB error.
Deadlines wait in the process's one ``Watchdog`` thread (no thread per statement).

Example:
    >>> import duckdb
    >>> statements = Statements()
    >>> con = duckdb.connect()
    >>> with statements.watch(con, "select 42", timeout=5):
    ...     con.sql("select 42").fetchall()
    [(42,)]
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any, TypeVar

import duckdb

from lakeworks.errors import CancelledError, InvalidInputError, StatementTimeoutError
from lakeworks.lake.watchdog import watchdog

T = TypeVar("T")

# An interrupt that lands before DuckDB has begun the statement is forgotten when it begins,
# so a cancelled run that is still attached is interrupted again, a few times.
_REPEAT_S = 0.25
_REPEATS = 20


class Reason(StrEnum):
    """Why a statement was stopped."""

    TIMEOUT = "it ran past its time limit"
    CLIENT_GONE = "the client disconnected"
    SHUTDOWN = "the server is shutting down"
    INTERRUPTED = "it was interrupted (Ctrl-C)"


class Scope:
    """The work of one caller: ``cancel()`` interrupts whatever statement of it is running.

    A cancelled scope stays cancelled: a statement started under it afterwards fails at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cons: list[duckdb.DuckDBPyConnection] = []
        self.reason: Reason | None = None

    def cancel(self, reason: Reason, _repeats: int = _REPEATS) -> None:
        with self._lock:
            self.reason = self.reason or reason
            for con in self._cons:
                con.interrupt()  # under the lock: a detached connection may be closed next
            again = bool(self._cons) and _repeats > 0
        if again:
            watchdog().schedule(_REPEAT_S, lambda: self.cancel(reason, _repeats - 1))

    @contextmanager
    def attached(self, con: duckdb.DuckDBPyConnection) -> Iterator[None]:
        with self._lock:
            self._cons.append(con)
        try:
            yield
        finally:
            with self._lock:
                self._cons.remove(con)


class Statements:
    """The statements running now in one engine, each with its deadline and scope."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scopes: list[Scope] = []
        self._closed: Reason | None = None

    @property
    def running(self) -> int:
        """How many statement runs are in progress."""
        with self._lock:
            return len(self._scopes)

    @contextmanager
    def watch(
        self,
        con: duckdb.DuckDBPyConnection,
        sql: str,
        *,
        timeout: float | None,
        scope: Scope | None = None,
    ) -> Iterator[None]:
        """Run the body as one statement run on ``con``: stopped after ``timeout`` seconds
        (None or 0: no limit) or when ``scope`` or the engine is cancelled."""
        scope = scope or Scope()
        with self._lock:
            if self._closed is not None:
                scope.reason = scope.reason or self._closed
            self._scopes.append(scope)
        deadline = None
        try:
            with scope.attached(con):
                if scope.reason is None and timeout:
                    deadline = watchdog().schedule(timeout, lambda: scope.cancel(Reason.TIMEOUT))
                try:
                    _raise_if_cancelled(scope, sql, timeout)
                    yield
                except Exception as exc:
                    _raise_if_cancelled(scope, sql, timeout, exc)
                    raise
        finally:
            if deadline is not None:
                watchdog().clear(deadline)
            with self._lock:
                self._scopes.remove(scope)

    def accept(self) -> None:
        """Accept new statements again (an app whose lifespan starts again after a stop)."""
        with self._lock:
            self._closed = None

    def cancel_all(self, reason: Reason, *, refuse_new: bool = False) -> int:
        """Stop every running statement; with ``refuse_new`` later ones fail at once.

        Returns how many statement runs were asked to stop.
        """
        with self._lock:
            if refuse_new:
                self._closed = reason
            scopes = list(self._scopes)
        for scope in scopes:
            scope.cancel(reason)
        return len(scopes)


def bounded(requested: float | None, limit: float) -> float | None:
    """The timeout a remote caller asked for, which may be shorter than ``limit`` (the
    ``statement_timeout`` setting; 0: none) but never longer; None: ``limit``.

    Example:
        >>> bounded(None, 300), bounded(5, 300), bounded(900, 0)
        (300, 5, 900)
    """
    if requested is None:
        return limit
    if limit and not 0 < requested <= limit:
        raise InvalidInputError(
            f"timeout {requested:g} s is more than this server allows: "
            f"statement_timeout is {limit:g} s",
            hint=f"ask for a timeout between 0 (exclusive) and {limit:g} s, or leave it out",
            expected=f"0 < timeout <= {limit:g}",
            found=requested,
        )
    return requested


def on_interrupt(fn: Callable[[], T], statements: Statements) -> T:
    """Run ``fn`` in a worker thread; Ctrl-C in the main thread cancels its statements.

    DuckDB holds the main thread in C++ while a result streams, where Python never sees
    SIGINT; a waiting main thread does, and interrupts the statements from outside.
    Raises ``CancelledError`` (reason INTERRUPTED) once the worker has stopped.
    """
    outcome: dict[str, Any] = {}
    done = threading.Event()  # not Thread.join: an interrupted join can mark a live thread dead

    def work() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # handed to the main thread below
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="lakeworks-statement", daemon=True).start()
    try:
        while not done.wait(0.1):
            pass
    except KeyboardInterrupt:
        statements.cancel_all(Reason.INTERRUPTED, refuse_new=True)
        done.wait()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _raise_if_cancelled(
    scope: Scope, sql: str, timeout: float | None, cause: BaseException | None = None
) -> None:
    reason = scope.reason
    if reason is None:
        return
    if reason is Reason.TIMEOUT:
        raise StatementTimeoutError(
            f"the statement was stopped after {timeout:g} s: {reason}",
            hint="make it cheaper (filter, aggregate, limit) or give it more time: timeout= "
            'on ws.sql, --timeout in the CLI, "timeout" in a REST request, or the '
            "statement_timeout setting (LAKEWORKS_STATEMENT_TIMEOUT; 0 means no limit)",
            sql=sql,
            timeout=timeout,
        ) from cause
    raise CancelledError(
        f"the statement was stopped: {reason}",
        hint="run it again" + (" once the server is back" if reason is Reason.SHUTDOWN else ""),
        sql=sql,
        reason=reason.name.lower(),
    ) from cause
