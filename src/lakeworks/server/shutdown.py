"""Serving with uvicorn so that a shutdown does not wait for runaway SQL.

On SIGTERM or Ctrl-C uvicorn stops accepting connections and waits for the requests in
flight, however long their statements run. ``serve`` first cancels every running
statement (and refuses new ones), so those requests end within a second with a 503 and
the process exits. Under another ASGI server, the app's lifespan shutdown does the same
once that server stops waiting (e.g. uvicorn's ``--timeout-graceful-shutdown``).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from types import FrameType

import uvicorn
from fastapi import FastAPI

from lakeworks.lake.cancel import Reason
from lakeworks.platform import Platform

STARTUP_FAILURE = 3  # uvicorn's exit code when the server could not start


class CancellingServer(uvicorn.Server):
    """A uvicorn server whose exit signal also cancels the platform's running statements."""

    def __init__(self, config: uvicorn.Config, platform: Platform) -> None:
        super().__init__(config)
        self.platform = platform

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # a signal handler must not take locks the interrupted code may hold: cancel from a thread
        threading.Thread(target=stop_statements, args=(self.platform,), daemon=True).start()
        super().handle_exit(sig, frame)


def stop_statements(platform: Platform) -> int:
    """Cancel the platform's running statements and refuse new ones; how many were running."""
    if "sql" not in platform.__dict__:  # no statement ever ran here
        return 0
    return platform.sql.statements.cancel_all(Reason.SHUTDOWN, refuse_new=True)


def serve(
    app: FastAPI,
    host: str,
    port: int,
    access_log: bool = True,
    tls: tuple[str, str] | None = None,
) -> None:
    """Run ``app`` (from ``create_app``) until SIGTERM or Ctrl-C, like ``uvicorn.run``;
    ``tls`` (certificate file, key file) serves HTTPS."""
    certfile, keyfile = tls or (None, None)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        access_log=access_log,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
    )
    server = CancellingServer(config, app.state.platform)
    with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C: uvicorn's forced exit
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
