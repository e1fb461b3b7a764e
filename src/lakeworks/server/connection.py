"""Work that stops when its HTTP client goes away.

A sync route runs in a worker thread and never hears that its client disconnected; the
statement it started would run to its end for nobody. ``while_connected`` runs the work in
a thread and polls the connection meanwhile, cancelling the work's scope when it is gone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from lakeworks.lake.cancel import Reason, Scope

T = TypeVar("T")

POLL_S = 0.2  # how often the connection is looked at: the delay before a cancel


async def while_connected(request: Request, scope: Scope, work: Callable[[], T]) -> T:
    """``work()`` in a worker thread; ``scope`` is cancelled if the client disconnects first
    (or this request is cancelled, as at the end of a graceful shutdown)."""
    task = asyncio.ensure_future(run_in_threadpool(work))
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=POLL_S)
            if not task.done() and await request.is_disconnected():
                scope.cancel(Reason.CLIENT_GONE)
                break
        return await task
    finally:
        if not task.done():
            scope.cancel(Reason.SHUTDOWN)
