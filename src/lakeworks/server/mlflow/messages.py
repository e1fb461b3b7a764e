"""Reading MLflow requests: who asks in which workspace, and the request message itself.

The MLflow client sends a GET's message as query parameters (repeated fields repeat the
parameter) and every other method's as a JSON body, int64 fields as numbers or strings and
doubles as numbers or the strings ``NaN`` / ``Infinity`` / ``-Infinity`` (proto3 JSON).
``message(Model)`` reads either into a pydantic model; a field that cannot be used is an
INVALID_PARAMETER_VALUE naming the field, expected and found.

The workspace is named by the tracking URI's path (``http://host/workspaces/<ws>``, routes
mounted under that prefix) or by MLflow's own ``X-MLFLOW-WORKSPACE`` header; without either
it is the server's default workspace, created on first use as the SDK does.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, TypeVar, get_origin

from fastapi import Depends, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.server.callers import USER_HEADER
from lakeworks.server.dependencies import request_facts

WORKSPACE_HEADER = "X-MLFLOW-WORKSPACE"
M = TypeVar("M", bound="Message")
_SPECIAL_DOUBLES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _double(value: Any) -> Any:
    return _SPECIAL_DOUBLES.get(value, value) if isinstance(value, str) else value


Double = Annotated[float, BeforeValidator(_double)]
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]


class Message(BaseModel):
    """A request message: unknown fields are ignored, as a proto3 server does."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class KeyValue(Message):
    key: str
    value: str = ""


def message(model: type[M]) -> Any:
    """A dependency reading ``model`` from the query (GET) or the JSON body (others)."""

    async def read(request: Request) -> M:
        data = _query(request, model) if request.method == "GET" else await _json(request)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise InvalidInputError(_problems(exc), hint="see docs/mlflow.md") from None

    return Depends(read)


def _query(request: Request, model: type[Message]) -> dict[str, Any]:
    params = request.query_params
    return {
        name: params.getlist(name) if get_origin(field.annotation) is list else params[name]
        for name, field in model.model_fields.items()
        if name in params
    }


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise InvalidInputError(f"invalid request: the body is not JSON ({exc})") from None


def _problems(exc: ValidationError) -> str:
    said = []
    for e in exc.errors():
        where = ".".join(str(part) for part in e.get("loc", ())) or "body"
        found = "" if e.get("type") == "missing" else f", found {e.get('input')!r}"
        said.append(f"{where}: {e.get('msg')}{found}")
    return "invalid request: " + "; ".join(said)


def mlflow_context(request: Request) -> Context:
    """The caller, in the workspace of the URL prefix, the MLflow header or the default."""
    platform = request.app.state.platform
    default = platform.settings.workspace
    ws = request.path_params.get("ws") or request.headers.get(WORKSPACE_HEADER) or default
    user = request.headers.get(USER_HEADER) or _basic_user(request) or "anonymous"
    callers = request.app.state.callers
    facts = request_facts(request)
    try:
        return callers.context(ws, user, **facts)
    except NotFoundError:
        if ws != default or callers.authenticator is not None:
            raise
        platform.catalog.create_workspace(ws, user, exist_ok=True)
        return callers.context(ws, user, **facts)


def _basic_user(request: Request) -> str | None:
    """The user name of HTTP basic auth (MLFLOW_TRACKING_USERNAME), trusted only with
    authentication off; with it on, ``Callers`` takes the password as an API token and
    the token names the user."""
    import base64

    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(credentials).decode().partition(":")[0] or None
    except ValueError:
        return None


CallerDep = Annotated[Context, Depends(mlflow_context)]
