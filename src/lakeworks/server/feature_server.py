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
from starlette.types import ASGIApp, Receive, Scope, Send

from lakeworks import errors
from lakeworks.context import Context
from lakeworks.platform import Platform
from lakeworks.server.dependencies import USER_HEADER
from lakeworks.server.encoding import jsonable
from lakeworks.server.errors import log, status_for

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
        user = dict(scope["headers"]).get(_USER, b"anonymous").decode()
        ctx = Context(workspace=match.group(1), user=user)
        try:
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

    def _answer(self, ctx: Context, request: dict[str, Any]) -> dict[str, Any]:
        if ctx.workspace not in self.known_workspaces:
            self.platform.catalog.workspace(ctx.workspace)  # NotFoundError -> 404
            self.known_workspaces.add(ctx.workspace)
        features = request.get("service") or request.get("features") or []
        result = self.platform.features.online(
            ctx, features, request["entity_rows"], full_names=bool(request.get("full_names"))
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


def _parse(body: bytes) -> dict[str, Any]:
    """The request body, checked as the OnlineRequest schema in api/features.py checks it."""
    try:
        request = json.loads(body)
    except ValueError as exc:
        raise errors.InvalidInputError(f"invalid request: the body is not JSON: {exc}") from exc
    rows = request.get("entity_rows") if isinstance(request, dict) else None
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise errors.InvalidInputError(
            "invalid request: entity_rows must be a non-empty list of objects",
            hint="see /docs for the request schema",
        )
    features, service = request.get("features"), request.get("service")
    if features is not None and not (
        isinstance(features, list) and all(isinstance(f, str) for f in features)
    ):
        raise errors.InvalidInputError("invalid request: features must be a list of strings")
    if service is not None and not isinstance(service, str):
        raise errors.InvalidInputError("invalid request: service must be a string")
    return request


def _internal(exc: Exception) -> dict[str, Any]:
    return {
        "error": "InternalError",
        "message": f"an unexpected {type(exc).__name__} occurred",
        "hint": "the server log has the details; please report it",
        "details": {},
    }
