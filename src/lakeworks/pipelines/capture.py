"""Per-task capture of printed output and log records, safe with many tasks in threads.

``sys.stdout``/``sys.stderr`` are wrapped once by a proxy that writes to the current
thread's buffer while a task runs there, and to the real stream otherwise; a logging
handler on the root logger does the same for log records.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
from typing import Any, TextIO

_local = threading.local()
_install_lock = threading.Lock()
MAX_LOG_CHARS = 1_000_000


class _Proxy(io.TextIOBase):
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        buffer = getattr(_local, "buffer", None)
        if buffer is not None:
            return buffer.write(text)
        return self.stream.write(text)

    def flush(self) -> None:
        if getattr(_local, "buffer", None) is None:
            self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class _Handler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        buffer = getattr(_local, "buffer", None)
        if buffer is not None:
            buffer.write(self.format(record) + "\n")


_HANDLER = _Handler()
_HANDLER.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
TASK_LOGGER = logging.getLogger("lakeworks.task")
TASK_LOGGER.setLevel(logging.INFO)


def _install() -> None:
    with _install_lock:
        if not isinstance(sys.stdout, _Proxy):
            sys.stdout = _Proxy(sys.stdout)
        if not isinstance(sys.stderr, _Proxy):
            sys.stderr = _Proxy(sys.stderr)
        root = logging.getLogger()
        if _HANDLER not in root.handlers:
            root.addHandler(_HANDLER)


def start() -> None:
    """Begin capturing this thread's output."""
    if not isinstance(sys.stdout, _Proxy) or not isinstance(sys.stderr, _Proxy):
        _install()
    _local.buffer = io.StringIO()


def stop() -> str:
    """Stop capturing and return what this thread wrote (the tail, if it was huge)."""
    buffer = getattr(_local, "buffer", None)
    _local.buffer = None
    text = buffer.getvalue() if buffer is not None else ""
    return text[-MAX_LOG_CHARS:]
