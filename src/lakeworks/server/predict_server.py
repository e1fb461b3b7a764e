"""The prediction hot path: ``POST /serve/{workspace}/{endpoint}/predict``.

Like the feature server, a pure ASGI middleware answers this one route and passes every
other request on, because FastAPI's per-request machinery (dependency resolution, body
model validation, response re-validation) costs more than a small model's predict. It
keeps the doors' contract: the caller passes the same ``Callers`` checks, errors have the
same JSON and status table, requests are counted in the same metrics, and the service
call (``Serving.predict``) runs in a worker thread, never on the event loop. The route is
still declared in ``api/endpoints.py`` (OpenAPI, and apps without this middleware).

Bodies: JSON ``{"rows": [...]}`` or ``{"keys": [...]}`` (``"key"`` optional), or an
Arrow IPC stream (``Content-Type: application/vnd.apache.arrow.stream``; the routing key
in the ``X-Request-Key`` header). The answer is JSON, or an Arrow IPC stream of the
output columns plus ``error`` when ``Accept`` names the Arrow type.
"""

from __future__ import annotations

import json
import re
import uuid
from types import SimpleNamespace
from typing import Any

import anyio.to_thread
import pyarrow as pa
from starlette.types import ASGIApp, Receive, Scope, Send

from lakeworks import errors
from lakeworks.context import Context
from lakeworks.platform import Platform
from lakeworks.server.callers import USER_HEADER, Callers
from lakeworks.server.errors import log, status_for
from lakeworks.serving.prediction import Prediction

ARROW = "application/vnd.apache.arrow.stream"
_PATH = re.compile(r"^/serve/([^/]+)/([^/]+)/predict/?$")
_ROUTE = SimpleNamespace(path="/serve/{workspace}/{endpoint}/predict")
_HEADERS = {
    name: name.lower().encode()
    for name in (
        USER_HEADER,
        "Authorization",
        "X-Request-Id",
        "X-Request-Key",
        "Content-Type",
        "Accept",
    )
}
_OPERATION = "serving.predict"  # the route's operation in the security policy
_JSON = (b"content-type", b"application/json")


class PredictServer:
    """Answers predictions; ``allowed`` (workspace, endpoint) pairs limit a replica to
    its endpoints (None: every endpoint)."""

    def __init__(
        self,
        app: ASGIApp,
        platform: Platform,
        callers: Callers,
        allowed: frozenset[tuple[str, str]] | None = None,
    ) -> None:
        self.app = app
        self.platform = platform
        self.callers = callers
        self.allowed = allowed
        self.limit = platform.settings.serving_max_request_bytes
        self.on_loop = platform.settings.serving_on_loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _PATH.match(scope["path"]) if scope["type"] == "http" else None
        if match is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        scope["route"] = _ROUTE  # the metrics label, as for a routed request
        headers = dict(scope["headers"])
        request_id = _header(headers, "X-Request-Id") or uuid.uuid4().hex
        arrow_out = ARROW in _header(headers, "Accept")
        try:
            # the checks every route passes (credential, role, permission), before the body
            ctx = self._context(match.group(1), headers, request_id, scope)
            request = await self._request(match.group(1), match.group(2), headers, receive)
            if self.on_loop and request["keys"] is None:
                result = await self._predict_on_loop(ctx, request, request_id)
            else:  # catalog, online store and model calls block: off the event loop
                result = await anyio.to_thread.run_sync(self._predict, ctx, request, request_id)
            status, body, kind = 200, *_encode(result, arrow_out)
        except errors.LakeworksError as exc:
            status, body, kind = status_for(exc), json.dumps(exc.to_dict()).encode(), _JSON
        except Exception as exc:  # never a stack trace in a response
            log.error("unexpected error on POST %s", scope["path"], exc_info=exc)
            status, body, kind = 500, json.dumps(_internal(exc)).encode(), _JSON
        out = [
            kind,
            (b"content-length", str(len(body)).encode()),  # not chunked: one write
            (b"x-request-id", request_id.encode("latin-1")),
        ]
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": body})

    async def _request(
        self, ws: str, endpoint: str, headers: dict[bytes, bytes], receive: Receive
    ) -> dict[str, Any]:
        if self.allowed is not None and (ws, endpoint) not in self.allowed:
            raise errors.NotFoundError(
                f"endpoint {endpoint!r} of workspace {ws!r} is not served by this replica",
                hint="send it to a replica started with --endpoints naming it, or to the server",
                endpoint=endpoint,
                workspace=ws,
            )
        body = await _body(receive, self.limit)
        request = {"ws": ws, "endpoint": endpoint, "user": _header(headers, USER_HEADER)}
        if _header(headers, "Content-Type").startswith(ARROW):
            key = _header(headers, "X-Request-Key") or None
            return {**request, "rows": _arrow_rows(body, endpoint), "keys": None, "key": key}
        return {**request, **_json_request(body, endpoint)}

    def _context(
        self, ws: str, headers: dict[bytes, bytes], request_id: str, scope: Scope
    ) -> Context:
        client = scope.get("client")
        return self.callers.context(
            ws,
            _header(headers, USER_HEADER) or "anonymous",
            _header(headers, "Authorization") or None,
            request_id,
            client[0] if client else None,
            operation=_OPERATION,
        )

    def _predict(self, ctx: Context, request: dict[str, Any], request_id: str) -> Prediction:
        return self.platform.serving.predict(
            ctx,
            request["endpoint"],
            request["rows"],
            keys=request["keys"],
            key=request["key"],
            request_id=request_id,
        )

    async def _predict_on_loop(
        self, ctx: Context, request: dict[str, Any], request_id: str
    ) -> Prediction:
        serving = self.platform.serving
        return await serving.predict_on_loop(
            ctx, request["endpoint"], request["rows"], key=request["key"], request_id=request_id
        )


def _header(headers: dict[bytes, bytes], name: str) -> str:
    return headers.get(_HEADERS[name], b"").decode("latin-1")


async def _body(receive: Receive, limit: int) -> bytes:
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise errors.TooLargeError(
                f"the request body is over the limit of {limit} bytes",
                hint="split it into smaller requests (setting serving_max_request_bytes)",
                limit=limit,
            )
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _json_request(body: bytes, endpoint: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise errors.InvalidInputError(
            f"invalid request: the body is not JSON: {exc}",
            hint='send {"rows": [{...}]} or {"keys": [{...}]} as /docs shows',
        ) from exc
    if not isinstance(data, dict) or ("rows" in data) == ("keys" in data):
        raise errors.InvalidInputError(
            f"invalid request to endpoint {endpoint!r}: send an object with either rows or keys",
            hint='{"rows": [{"age": 41}]} or {"keys": [{"customer_id": 7}]}',
            expected="rows or keys",
            found=sorted(data) if isinstance(data, dict) else type(data).__name__,
        )
    key = data.get("key")
    if key is not None and (not isinstance(key, str) or len(key) > 256):
        raise errors.InvalidInputError(
            "invalid request: key is a text of at most 256 characters",
            expected="string",
            found=type(key).__name__,
        )
    return {"rows": data.get("rows"), "keys": data.get("keys"), "key": key}


def _arrow_rows(body: bytes, endpoint: str) -> pa.Table:
    try:
        return pa.ipc.open_stream(body).read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        raise errors.InvalidInputError(
            f"invalid request to endpoint {endpoint!r}: the body is not an Arrow IPC stream: {exc}",
            hint="write it with pyarrow.ipc.new_stream, or send JSON",
            expected=ARROW,
        ) from exc


def _encode(result: Prediction, arrow: bool) -> tuple[bytes, tuple[bytes, bytes]]:
    if arrow:
        return ipc_of(result), (b"content-type", ARROW.encode())
    payload = {
        "request_id": result.request_id,
        "endpoint": result.endpoint,
        "config_version": result.config_version,
        "slot": result.slot,
        "model": result.model,
        "predictions": result.outputs,
        "errors": result.errors,
    }
    return json.dumps(payload).encode(), _JSON


def ipc_of(result: Prediction) -> bytes:
    """The outputs as one Arrow IPC stream: each output column, then ``error`` (null where
    the row was answered); the schema's metadata names the request id and the model."""
    table = pa.Table.from_pylist([o or {} for o in result.outputs])
    table = table.append_column("error", pa.array(result.errors, pa.string()))
    meta = {"request_id": result.request_id, "model": result.model}
    table = table.replace_schema_metadata({**meta, "config_version": str(result.config_version)})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _internal(exc: Exception) -> dict[str, Any]:
    return {
        "error": "InternalError",
        "message": f"an unexpected {type(exc).__name__} occurred",
        "hint": "the server log has the details; please report it",
        "details": {},
    }
