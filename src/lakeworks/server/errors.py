"""How lakeworks errors become HTTP responses: one table of status codes, three handlers.

Every error body has the same shape, ``LakeworksError.to_dict()``:
``{"error": class name, "message": ..., "hint": ..., "details": {...}}``. Unexpected
exceptions become a 500 with that shape and no stack trace (the server log keeps it).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from lakeworks import errors

log = logging.getLogger("lakeworks.server")

STATUS: dict[type[errors.LakeworksError], int] = {
    errors.NotFoundError: 404,
    errors.AlreadyExistsError: 409,
    errors.ConflictError: 409,
    errors.InvalidInputError: 422,
    errors.SchemaMismatchError: 422,
    errors.QueryError: 422,
    errors.DataQualityError: 422,
    errors.PermissionDeniedError: 403,
    errors.QuotaExceededError: 429,
    errors.UnavailableError: 503,
    errors.CancelledError: 503,
    errors.StatementTimeoutError: 504,
    errors.MissingDependencyError: 501,
    errors.LakeworksError: 400,
}


def status_for(exc: errors.LakeworksError) -> int:
    """The status of the nearest class in ``STATUS`` along the error's class hierarchy."""
    return next(STATUS[cls] for cls in type(exc).__mro__ if cls in STATUS)


def lakeworks_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.LakeworksError)
    headers = {"Retry-After": "1"} if exc.transient else None
    return JSONResponse(exc.to_dict(), status_code=status_for(exc), headers=headers)


def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
    ]
    error = errors.InvalidInputError(
        "invalid request: " + "; ".join(problems), hint="see /docs for the request schema"
    )
    return JSONResponse(error.to_dict(), status_code=422)


def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    body = {"error": "HTTPError", "message": str(exc.detail), "hint": None, "details": {}}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


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
