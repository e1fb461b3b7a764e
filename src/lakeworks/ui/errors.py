"""Error pages: a browser navigating to a page gets HTML, API clients keep their JSON.

``install`` wraps the server's error handlers (``server.errors``): a GET that accepts
``text/html`` outside the API prefixes is answered with ``error.html`` at the same status
(an unknown table is a 404 page with a way back; a page the caller may not see is the
403 page); every other request gets the handler it had. A navigation without a credential
(401, authentication on) is sent to the sign-in page, which comes back to it.
The status of a lakeworks error comes from the server's one table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from lakeworks import errors
from lakeworks.server import errors as api_errors
from lakeworks.ui.render import error_page

API_PREFIXES = ("/api/", "/ajax-api/", "/metrics", "/health")
Handler = Callable[[Request, Exception], Any]


def wants_page(request: Request) -> bool:
    """A browser navigation: a GET asking for HTML, outside the API."""
    return (
        request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and not request.url.path.startswith(API_PREFIXES)
    )


def _described(exc: Exception) -> tuple[int, str, str | None]:
    if isinstance(exc, errors.LakeworksError):
        return api_errors.status_for(exc), exc.message, exc.hint
    if isinstance(exc, RequestValidationError):
        return 422, api_errors.invalid_request(exc.errors()).message, None
    if isinstance(exc, HTTPException):
        said = "no page at this address" if exc.status_code == 404 else str(exc.detail)
        return exc.status_code, said, None
    return 500, f"an unexpected {type(exc).__name__} occurred", "the server log has the details"


def _for_pages(api_handler: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if not wants_page(request):
            return api_handler(request, exc)
        if not isinstance(exc, HTTPException | RequestValidationError | errors.LakeworksError):
            api_handler(request, exc)  # logs it, as for the API
        status, message, hint = _described(exc)
        if status == 401:
            target = quote(
                request.url.path + (f"?{request.url.query}" if request.url.query else "")
            )
            return RedirectResponse(f"/signin?next={target}", status_code=303)
        return error_page(request, status, message, hint)

    return handle


def install(app: FastAPI) -> None:
    """Answer page navigations with error pages; API requests are unchanged."""
    for kind in (errors.LakeworksError, RequestValidationError, HTTPException, Exception):
        app.add_exception_handler(kind, _for_pages(app.exception_handlers[kind]))
