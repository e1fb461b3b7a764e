"""``install(app)``: the UI's static files, pages, local API docs and error pages.

Pages are plain routes (``include_in_schema=False``) under ``/`` and ``/w/<ws>/...``;
static files (the UI's own and the vendored libraries, with their licences) are under
``/static``. Page responses carry a ``Server-Timing: app;dur=<ms>`` header (what the
benchmark reads) and a Content-Security-Policy that lets a page load nothing from
another host.
"""

from __future__ import annotations

import time

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lakeworks.ui import docs, errors
from lakeworks.ui.pages import (
    admin,
    endpoints,
    experiments,
    features,
    home,
    lineage,
    models,
    pipelines,
    signin,
    sql,
    tables,
)
from lakeworks.ui.render import HERE

PAGES = (
    home,
    tables,
    sql,
    pipelines,
    lineage,
    features,
    experiments,
    models,
    endpoints,
    admin,
    signin,
)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'"
)
STATIC_CACHE = "public, max-age=3600"


class PageHeaders:
    """Server-Timing on every HTML answer, and the CSP on those outside ``/docs``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(errors.API_PREFIXES):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        strict = not scope["path"].startswith("/docs")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", STATIC_CACHE.encode()))
                elif any(k == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                    took = (time.perf_counter() - started) * 1000
                    headers.append((b"server-timing", f"app;dur={took:.1f}".encode()))
                    if strict:
                        headers.append((b"content-security-policy", CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    """Add the UI to ``app`` (after the API's routes and error handlers)."""
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(docs.router)
    for module in PAGES:
        app.include_router(module.router, include_in_schema=False)
    errors.install(app)
    app.add_middleware(PageHeaders)
