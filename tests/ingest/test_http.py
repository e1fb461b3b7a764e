"""Paginated HTTP JSON APIs, served by a small local server the test starts."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

import lakeworks as lw
from lakeworks.errors import InvalidInputError, NotFoundError, UnavailableError
from tests.conftest import free_port

ITEMS = [{"id": i, "name": f"item-{i}", "ts": f"2024-01-{i:02d}"} for i in range(1, 24)]
REQUESTS: list[str] = []


class Api(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        REQUESTS.append(self.path)
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        size = int(q.get("per_page", 10))
        if url.path == "/pages":  # page-number pagination, stops at an empty page
            page = int(q.get("page", 1))
            self._send({"items": ITEMS[(page - 1) * size : page * size]})
        elif url.path == "/cursor":  # cursor in the body; the last page has next = null
            start = int(q.get("cursor", 0))
            nxt = start + size if start + size < len(ITEMS) else None
            self._send({"data": {"rows": ITEMS[start : start + size]}, "meta": {"next": nxt}})
        elif url.path == "/links":  # full next link in the body
            start = int(q.get("offset", 0))
            nxt = f"/links?offset={start + size}" if start + size < len(ITEMS) else None
            self._send({"results": ITEMS[start : start + size], "next": nxt})
        elif url.path == "/bad":
            self._send([{"id": 1}, {"id": "x"}, 5])
        else:
            self._send({"error": "no"}, status=404)

    def _send(self, body: object, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_page_number_pagination_stops_on_empty_page(ws: lw.Workspace, api: str) -> None:
    REQUESTS.clear()
    result = ws.ingest(
        f"{api}/pages",
        "items",
        http={"page_param": "page", "page_size_param": "per_page", "page_size": 10},
    )
    assert (result.rows_read, result.rows_written) == (23, 23)
    assert len(REQUESTS) == 4 and "page=4" in REQUESTS[-1]  # page 4 is empty: stop
    assert sorted(r["id"] for r in ws.read("items").to_pylist()) == list(range(1, 24))
    again = ws.ingest(f"{api}/pages", "items", http={"page_param": "page"})
    assert again.rows_written == 23 and ws.read("items").num_rows == 23  # full refresh


def test_cursor_in_body_with_incremental_watermark(ws: lw.Workspace, api: str) -> None:
    options = {"records_path": "data.rows", "next_path": "meta.next", "params": {"per_page": 5}}
    first = ws.ingest(f"{api}/cursor", "c", http=options, incremental_by="id")
    assert (first.rows_written, first.watermark) == (23, "23")
    ITEMS.append({"id": 24, "name": "new", "ts": "2024-01-24"})
    try:
        second = ws.ingest(f"{api}/cursor", "c", http=options, incremental_by="id")
    finally:
        ITEMS.pop()
    assert (second.rows_read, second.rows_written, second.watermark) == (1, 1, "24")
    assert ws.read("c").num_rows == 24


def test_next_link_in_body_with_keys(ws: lw.Workspace, api: str) -> None:
    for _ in range(2):
        result = ws.ingest(f"{api}/links", "l", http={"next_path": "next"}, keys=["id"])
        assert result.rows_written == 23
    assert ws.read("l").num_rows == 23


def test_bad_records_are_quarantined(ws: lw.Workspace, api: str) -> None:
    result = ws.ingest(f"{api}/bad", "b", schema={"id": "BIGINT"})
    assert (result.rows_read, result.rows_written, result.rows_quarantined) == (3, 1, 2)
    reasons = sorted(r["reason"] for r in ws.read("b__quarantine").to_pylist())
    assert reasons[0].startswith("column 'id'") and "not a JSON object" in reasons[1]


def test_http_errors(ws: lw.Workspace, api: str) -> None:
    with pytest.raises(NotFoundError, match="404"):
        ws.ingest(f"{api}/nowhere", "t")
    with pytest.raises(UnavailableError, match="cannot reach"):
        ws.ingest(f"http://127.0.0.1:{free_port()}/x", "t")
    with pytest.raises(InvalidInputError, match="unknown http option"):
        ws.ingest(f"{api}/pages", "t", http={"pages": 1})
    assert [r.status for r in ws.loads("t")] == ["failed", "failed"]
