"""``secret://name`` references: how services below the security package reveal them.

Connections and pipeline parameters name a workspace secret as ``secret://name`` (the
whole value, or inside it: ``postgresql://app:secret://pg_password@db/sales``). A service
that needs the value takes a :class:`SecretResolver` (the platform gives it
``security.secrets.Secrets``), calls :func:`reveal` at the last moment, and passes what
it records (descriptions, errors, logs) through ``Revealed.redact`` so the value never
reaches the catalog, lineage, logs or an error message.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from lakeworks.context import Context
from lakeworks.errors import LakeworksError

REF = re.compile(r"secret://([a-z_][a-z0-9_]*)")


class SecretResolver(Protocol):
    def value(self, ctx: Context, name: str) -> str:
        """The value of secret ``name`` of ``ctx.workspace`` (NotFoundError naming it)."""
        ...


@dataclass(eq=False)
class Revealed:
    """The secrets revealed for one operation: name -> value.

    Used as a context manager around the work that holds the values, it also redacts
    them from every log record made meanwhile, by any library (an HTTP client logs the
    URL it requests).
    """

    values: dict[str, str] = field(default_factory=dict)

    def __enter__(self) -> Revealed:
        if self.values:
            _Logs.watch(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _Logs.forget(self)

    def redact(self, text: str) -> str:
        """``text`` with every revealed value replaced by its ``secret://name``."""
        for name, value in sorted(self.values.items(), key=lambda kv: -len(kv[1])):
            if value:
                text = text.replace(value, f"secret://{name}")
        return text

    def redact_error(self, exc: BaseException) -> BaseException:
        """The error with its message and fields redacted (a LakeworksError is changed in
        place and its chained cause dropped when that held a value)."""
        if not self.values or not isinstance(exc, LakeworksError):
            return exc
        message = self.redact(exc.message)
        fields = {k: self.redact(v) if isinstance(v, str) else v for k, v in exc.fields.items()}
        leaked = message != exc.message or fields != exc.fields or self._in_cause(exc)
        exc.message, exc.args, exc.fields = message, (message,), fields
        if exc.hint:
            exc.hint = self.redact(exc.hint)
        if leaked:
            exc.__cause__, exc.__suppress_context__ = None, True
        return exc

    def _in_cause(self, exc: BaseException) -> bool:
        cause = exc.__cause__ or exc.__context__
        text = repr(cause) + str(cause) if cause is not None else ""
        return any(v and v in text for v in self.values.values())


def reveal(resolver: SecretResolver | None, ctx: Context, value: Any) -> tuple[Any, Revealed]:
    """``value`` (a string, or dicts / lists / tuples of them) with ``secret://`` references
    replaced by the secrets' values, and what was revealed."""
    revealed = Revealed()
    if resolver is None:
        return value, revealed
    return _walk(resolver, ctx, value, revealed), revealed


def _walk(resolver: SecretResolver, ctx: Context, value: Any, revealed: Revealed) -> Any:
    if isinstance(value, str):
        if "secret://" not in value:
            return value

        def swap(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in revealed.values:
                revealed.values[name] = resolver.value(ctx, name)
            return revealed.values[name]

        return REF.sub(swap, value)
    if isinstance(value, dict):
        return {k: _walk(resolver, ctx, v, revealed) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_walk(resolver, ctx, v, revealed) for v in value)
    return value


class _Logs:
    """The log record factory that redacts the values of the operations in progress.

    Installed once, on first use, in front of whatever factory was there; it costs
    nothing while no operation holds a value.
    """

    _live: list[Revealed] = []
    _lock = threading.Lock()
    _installed = False

    @classmethod
    def watch(cls, revealed: Revealed) -> None:
        with cls._lock:
            cls._live.append(revealed)
            if not cls._installed:
                previous = logging.getLogRecordFactory()
                logging.setLogRecordFactory(lambda *a, **k: cls._redacted(previous(*a, **k)))
                cls._installed = True

    @classmethod
    def forget(cls, revealed: Revealed) -> None:
        with cls._lock:
            cls._live = [r for r in cls._live if r is not revealed]

    @classmethod
    def _redacted(cls, record: logging.LogRecord) -> logging.LogRecord:
        live = cls._live
        if not live:
            return record
        message = original = record.getMessage()
        for revealed in live:
            message = revealed.redact(message)
        if message != original:
            record.msg, record.args = message, ()
        return record
