"""MLflow's error shape: ``{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": ...}``.

The MLflow client reads ``error_code`` to decide what happened (``get_experiment_by_name``
turns RESOURCE_DOES_NOT_EXIST into ``None``; ``register_model`` goes on after
RESOURCE_ALREADY_EXISTS), so every answer of these routes that is not a success has this
shape, never lakeworks' own, and never a 500 for bad input. One table maps the lakeworks
error tree to MLflow's codes and statuses; ``MlflowRoute`` applies it around each route.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from lakeworks import errors

log = logging.getLogger("lakeworks.server.mlflow")

# the nearest class along an error's MRO decides; LakeworksError is the fallback
CODES: dict[type[errors.LakeworksError], tuple[str, int]] = {
    errors.NotFoundError: ("RESOURCE_DOES_NOT_EXIST", 404),
    errors.AlreadyExistsError: ("RESOURCE_ALREADY_EXISTS", 400),
    errors.InvalidInputError: ("INVALID_PARAMETER_VALUE", 400),
    errors.UnauthenticatedError: ("UNAUTHENTICATED", 401),
    errors.PermissionDeniedError: ("PERMISSION_DENIED", 403),
    errors.QuotaExceededError: ("REQUEST_LIMIT_EXCEEDED", 429),
    errors.ConflictError: ("ABORTED", 409),
    errors.UnavailableError: ("TEMPORARILY_UNAVAILABLE", 503),
    errors.CancelledError: ("TEMPORARILY_UNAVAILABLE", 503),
    errors.MissingDependencyError: ("NOT_IMPLEMENTED", 501),
    errors.DataQualityError: ("INVALID_STATE", 400),
    errors.LakeworksError: ("BAD_REQUEST", 400),
}


def body(code: str, message: str) -> dict[str, str]:
    return {"error_code": code, "message": message}


def answer(code: str, message: str, status: int, headers: dict[str, str] | None = None):
    return JSONResponse(body(code, message), status_code=status, headers=headers)


def from_lakeworks(exc: errors.LakeworksError) -> JSONResponse:
    code, status = next(CODES[cls] for cls in type(exc).__mro__ if cls in CODES)
    headers = {"Retry-After": "1"} if exc.transient else None
    return answer(code, str(exc), status, headers)


def invalid(message: str) -> errors.InvalidInputError:
    """The error of a request field that cannot be used (INVALID_PARAMETER_VALUE)."""
    return errors.InvalidInputError(message)


def endpoint_not_found(request: Request) -> JSONResponse:
    return answer(
        "ENDPOINT_NOT_FOUND",
        f"{request.method} {request.url.path} is not an MLflow endpoint lakeworks serves "
        "(see docs/mlflow.md for the supported ones)",
        404,
    )


def _from_validation(exc: RequestValidationError) -> JSONResponse:
    said = [
        f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body')}: {e.get('msg')}"
        for e in exc.errors()
    ]
    return answer("INVALID_PARAMETER_VALUE", "invalid request: " + "; ".join(said), 400)


class MlflowRoute(APIRoute):
    """A route whose failures answer in MLflow's error shape instead of lakeworks'."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except errors.LakeworksError as exc:
                return from_lakeworks(exc)
            except RequestValidationError as exc:
                return _from_validation(exc)
            except ClientDisconnect:  # an upload cut short: nothing was stored, no one to tell
                log.info("client left during %s %s", request.method, request.url.path)
                return answer("BAD_REQUEST", "the client disconnected before the end", 400)
            except HTTPException as exc:
                code = "ENDPOINT_NOT_FOUND" if exc.status_code == 404 else "BAD_REQUEST"
                return answer(code, str(exc.detail), exc.status_code)
            except Exception as exc:  # never a stack trace to the client
                log.error(
                    "unexpected error on %s %s", request.method, request.url.path, exc_info=exc
                )
                return answer(
                    "INTERNAL_ERROR",
                    f"an unexpected {type(exc).__name__} occurred; the server log has the details",
                    500,
                )

        return guarded
