"""The feature server's hot path: ``POST /api/v1/workspaces/{ws}/features/online``.

Online reads are the one request a model server makes thousands of times a second, and
FastAPI's per-request machinery (dependency injection, validation models, a thread hop)
costs ~20x more than the lookup itself. This pure ASGI middleware answers that one route
directly — same request and response bodies, same error JSON and status table, counted in
the same metrics — and passes every other request on to the FastAPI app. The route is
still declared in ``api/features.py`` so it appears in the OpenAPI document.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

import anyio.to_thread
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from lakeworks import errors
from lakeworks.context import Context, check_name
from lakeworks.platform import Platform
from lakeworks.server.dependencies import USER_HEADER, USER_MAX
from lakeworks.server.encoding import jsonable
from lakeworks.server.errors import invalid_request, log, status_for
from lakeworks.server.schemas.features import OnlineRequest

_PATH = re.compile(r"^/api/v1/workspaces/([^/]+)/features/online/?$")
_ROUTE = SimpleNamespace(path="/api/v1/workspaces/{ws}/features/online")
_USER = USER_HEADER.lower().encode()
_JSON = [(b"content-type", b"application/json")]


class FeatureServer:
    def __init__(self, app: ASGIApp, platform: Platform) -> None:
        self.app = app
        self.platform = platform
        self.known_workspaces: set[str] = set()
        # the SQLite store answers in microseconds: run it on the loop; a network store
        # (Redis) may stall on an outage, so it gets a worker thread
        self.inline = not platform.settings.online_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _PATH.match(scope["path"]) if scope["type"] == "http" else None
        if match is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        scope["route"] = _ROUTE  # the metrics label, as for a routed request
        body = await _body(receive)
        try:
            ctx = _context(match.group(1), scope)
            request = _parse(body)
            if self.inline:
                payload = self._answer(ctx, request)
            else:
                payload = await anyio.to_thread.run_sync(self._answer, ctx, request)
            status = 200
        except errors.LakeworksError as exc:
            status, payload = status_for(exc), exc.to_dict()
        except Exception as exc:  # never a stack trace in a response
            log.error("unexpected error on POST %s", scope["path"], exc_info=exc)
            status, payload = 500, _internal(exc)
        await send({"type": "http.response.start", "status": status, "headers": _JSON})
        await send({"type": "http.response.body", "body": json.dumps(payload).encode()})

    def _answer(self, ctx: Context, request: OnlineRequest) -> dict[str, Any]:
        if ctx.workspace not in self.known_workspaces:
            self.platform.catalog.workspace(ctx.workspace)  # NotFoundError -> 404
            self.known_workspaces.add(ctx.workspace)
        features: Any = request.service or request.features
        result = self.platform.features.online(
            ctx, features, request.entity_rows, full_names=request.full_names
        )
        out = result.to_dict()
        for item in out["results"]:
            item["values"] = {k: jsonable(v) for k, v in item["values"].items()}
        return out


async def _body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _context(ws: str, scope: Scope) -> Context:
    """The caller, with the workspace name and user header checked as every route checks them."""
    user = dict(scope["headers"]).get(_USER, b"anonymous").decode("latin-1")
    if not 1 <= len(user) <= USER_MAX:
        raise errors.InvalidInputError(
            f"invalid request: header.{USER_HEADER}: give 1 to {USER_MAX} characters",
            hint="see /docs for the request schema",
        )
    return Context(workspace=check_name("workspace", ws), user=user)


def _parse(body: bytes) -> OnlineRequest:
    """The request body, checked by the OnlineRequest schema the OpenAPI document shows."""
    try:
        return OnlineRequest.model_validate_json(body)
    except ValidationError as exc:
        problems = exc.errors()
        if problems and problems[0]["type"] == "json_invalid":
            raise errors.InvalidInputError(
                f"invalid request: the body is not JSON: {problems[0]['msg']}",
                hint="send a JSON object as /docs shows",
            ) from exc
        raise invalid_request(exc.errors(), prefix=("body",)) from exc


def _internal(exc: Exception) -> dict[str, Any]:
    return {
        "error": "InternalError",
        "message": f"an unexpected {type(exc).__name__} occurred",
        "hint": "the server log has the details; please report it",
        "details": {},
    }
