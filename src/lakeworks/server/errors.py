"""How lakeworks errors become HTTP responses: one table of status codes, three handlers.

Every error body has the same shape, ``LakeworksError.to_dict()``, which ``ErrorBody``
documents: ``{"error": class name, "message": ..., "hint": ..., "details": {...}}``. Routes
list the statuses they answer with ``responses=responses(404, 409)``. Unexpected exceptions
become a 500 with that shape and no stack trace (the server log keeps it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from lakeworks import errors

log = logging.getLogger("lakeworks.server")

STATUS: dict[type[errors.LakeworksError], int] = {
    errors.NotFoundError: 404,
    errors.AlreadyExistsError: 409,
    errors.ConflictError: 409,
    errors.InvalidInputError: 422,
    errors.SchemaMismatchError: 422,
    errors.TooLargeError: 413,
    errors.QueryError: 422,
    errors.DataQualityError: 422,
    errors.UnauthenticatedError: 401,
    errors.PermissionDeniedError: 403,
    errors.QuotaExceededError: 429,
    errors.UnavailableError: 503,
    errors.CancelledError: 503,
    errors.StatementTimeoutError: 504,
    errors.MissingDependencyError: 501,
    errors.LakeworksError: 400,
}


# what each status means at this API's doors, for the OpenAPI document
MEANING: dict[int, str] = {
    400: "The request could not be read, or a service refused it (e.g. user code failed)",
    401: "No valid credential: send Authorization: Bearer <token> (see docs/security.md)",
    403: "The caller may not do this",
    404: "The workspace, or the thing named in the path, does not exist",
    409: "The name is taken, or the object's state does not allow this now",
    413: "The request is over a configured size limit",
    422: "A parameter or the body is invalid: the message names each problem",
    429: "The workspace is over a quota",
    501: "An optional package the server needs is not installed",
    503: "The metadata database or storage could not be reached, or the server is shutting "
    "down; retry (see Retry-After)",
    504: "The statement ran past its timeout and was stopped",
}


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: str = Field(
        description="the error class, e.g. NotFoundError", examples=["NotFoundError"]
    )
    message: str = Field(description="what happened, naming the thing")
    hint: str | None = Field(description="what to do about it")
    details: dict[str, Any] = Field(description="structured fields: table, column, expected...")


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route or router: each status with ``ErrorBody`` as its body."""
    return {code: {"model": ErrorBody, "description": MEANING[code]} for code in codes}


def status_for(exc: errors.LakeworksError) -> int:
    """The status of the nearest class in ``STATUS`` along the error's class hierarchy."""
    return next(STATUS[cls] for cls in type(exc).__mro__ if cls in STATUS)


def lakeworks_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.LakeworksError)
    headers = {"Retry-After": "1"} if exc.transient else None
    return JSONResponse(exc.to_dict(), status_code=status_for(exc), headers=headers)


def invalid_request(
    problems: Sequence[Any], prefix: tuple[str, ...] = ()
) -> errors.InvalidInputError:
    """One error naming every problem pydantic found (``body.rows.0: ...; path.ws: ...``)."""
    said = [f"{_where((*prefix, *e.get('loc', ())))}: {e.get('msg')}" for e in problems]
    return errors.InvalidInputError(
        "invalid request: " + "; ".join(said), hint="see /docs for the request schema"
    )


def _where(loc: tuple[Any, ...]) -> str:
    """``body.rows.0."".[key]``: where a problem is, an empty key shown as ``""``."""
    return ".".join(str(part) if part != "" else '""' for part in loc)


def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(invalid_request(exc.errors()).to_dict(), status_code=422)


def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    body = {"error": "HTTPError", "message": str(exc.detail), "hint": None, "details": {}}
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return JSONResponse(body, status_code=exc.status_code, headers=headers or None)


def _allowed_methods(request: Request) -> list[str]:
    """The documented methods of the path asked for (Starlette's 405 names only the first
    matching route's method, while FastAPI makes one route per method)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        if compile_path(template)[0].match(request.url.path):
            methods |= {method.upper() for method in operations}
    return sorted(methods)


def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    body = {
        "error": "InternalError",
        "message": f"an unexpected {type(exc).__name__} occurred",
        "hint": "the server log has the details; please report it",
        "details": {},
    }
    return JSONResponse(body, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.LakeworksError, lakeworks_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
