"""The feature server's hot path: ``POST /api/v1/workspaces/{ws}/features/online``.

Online reads are the one request a model server makes thousands of times a second, and
FastAPI's per-request machinery (dependency resolution, response re-validation and
encoding) costs many times the lookup itself. This pure ASGI middleware answers that one
route directly and passes every other request on to the FastAPI app. It keeps the doors'
contract: the body is checked by the same ``OnlineRequest`` model, the caller by the same
``Callers`` checks as every route (authentication and the workspace role included; the
lookup itself is checked by the guard like any service call), errors have
the same JSON and status table, and requests are counted in the same metrics. Catalog and
online-store reads run in a worker thread, never on the event loop. The route is still
declared in ``api/features.py`` so it appears in the OpenAPI document.
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
from lakeworks.platform import Platform
from lakeworks.server.callers import REQUEST_ID_HEADER, USER_HEADER, Callers
from lakeworks.server.encoding import jsonable
from lakeworks.server.errors import invalid_request, log, status_for
from lakeworks.server.schemas.features import OnlineRequest

_PATH = re.compile(r"^/api/v1/workspaces/([^/]+)/features/online/?$")
_ROUTE = SimpleNamespace(path="/api/v1/workspaces/{ws}/features/online")
_USER = USER_HEADER.lower().encode()
_REQUEST_ID = REQUEST_ID_HEADER.lower().encode()
_JSON = [(b"content-type", b"application/json")]
_OPERATION = "features.online"


class FeatureServer:
    def __init__(self, app: ASGIApp, platform: Platform, callers: Callers) -> None:
        self.app = app
        self.platform = platform
        self.callers = callers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _PATH.match(scope["path"]) if scope["type"] == "http" else None
        if match is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        scope["route"] = _ROUTE  # the metrics label, as for a routed request
        body = await _body(receive)
        caller = _caller(scope)
        try:
            # the catalog and the online store block (SQLite file, Redis socket): a worker
            # thread keeps the event loop free for other requests
            payload = await anyio.to_thread.run_sync(self._answer, match.group(1), caller, body)
            status = 200
        except errors.LakeworksError as exc:
            status, payload = status_for(exc), exc.to_dict()
        except Exception as exc:  # never a stack trace in a response
            log.error("unexpected error on POST %s", scope["path"], exc_info=exc)
            status, payload = 500, _internal(exc)
        await send({"type": "http.response.start", "status": status, "headers": _JSON})
        await send({"type": "http.response.body", "body": json.dumps(payload).encode()})

    def _answer(self, ws: str, caller: dict[str, Any], body: bytes) -> dict[str, Any]:
        # the checks every route passes, before the body is read (as for routed requests)
        ctx = self.callers.context(ws, **caller, operation=_OPERATION)
        request = _parse(body)
        features: Any = request.service or request.features
        result = self.platform.features.online(
            ctx, features, request.entity_rows, full_names=request.full_names
        )
        out = result.to_dict()
        for item in out["results"]:
            item["values"] = {k: jsonable(v) for k, v in item["values"].items()}
        return out


def _caller(scope: Scope) -> dict[str, Any]:
    """The user header, credential, request id and client address, as Callers takes them."""
    headers = dict(scope["headers"])
    found = {
        "user": headers.get(_USER, b"anonymous"),
        "authorization": headers.get(b"authorization"),
        "request_id": headers.get(_REQUEST_ID),
    }
    caller = {k: v.decode("latin-1") if v is not None else None for k, v in found.items()}
    client = scope.get("client")
    caller["source"] = client[0] if client else None
    return caller


async def _body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


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
