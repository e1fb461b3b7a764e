"""Paginated JSON APIs over HTTP(S).

Options (``http=`` of a load):
    records_path: dotted path to the list of records in each page (default: the body
        itself when it is a list, else the first of data/items/results/records).
    next_path: dotted path to the next page: a URL (next link) or a cursor token, which is
        sent back as ``cursor_param`` (default "cursor").
    page_param: the page-number parameter for numbered pages, starting at ``first_page``
        (default 1); ``page_size_param`` + ``page_size`` set the page size.
    params, headers, timeout: sent with every request. max_pages: a safety stop.
Without next_path or page_param, a ``Link: <...>; rel="next"`` header is followed.
Paging stops at an empty page or when there is no next page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import httpx
import pyarrow as pa

from lakeworks.errors import InvalidInputError, NotFoundError, UnavailableError
from lakeworks.ingest.base import Extract, Plan, Reject, Source
from lakeworks.ingest.records import Record, RecordConverter, raw_text
from lakeworks.ingest.watermarks import newer

OPTIONS = {
    "records_path",
    "next_path",
    "cursor_param",
    "page_param",
    "first_page",
    "page_size_param",
    "page_size",
    "params",
    "headers",
    "timeout",
    "max_pages",
}
_RECORD_KEYS = ("data", "items", "results", "records")


class HttpSource(Source):
    kind = "http"

    def __init__(self, url: str, options: dict[str, Any] | None) -> None:
        self.options = dict(options or {})
        unknown = set(self.options) - OPTIONS
        if unknown:
            raise InvalidInputError(
                f"unknown http option(s) {sorted(unknown)}",
                hint=f"known options: {sorted(OPTIONS)}",
            )
        self.url = url
        self.description = url

    def extract(self, plan: Plan) -> Extract:
        extract = Extract(iter(()))
        extract.batches = self._batches(plan, extract.rejects)
        return extract

    def _batches(self, plan: Plan, rejects: list[Reject]) -> Iterator[pa.RecordBatch]:
        converter = RecordConverter(self.url, plan.hints)
        offset = 0
        for records in self._pages():
            numbered = [Record(offset + i + 1, raw_text(r), r) for i, r in enumerate(records)]
            offset += len(records)
            batch, bad = converter.convert(numbered)
            rejects.extend(bad)
            if batch is not None:
                yield newer(batch, plan.watermark)

    def _pages(self) -> Iterator[list[Any]]:
        o = self.options
        page = o.get("first_page", 1)
        url, params = self.url, self._first_params(page)
        with httpx.Client(
            headers=o.get("headers"),
            timeout=o.get("timeout", 30),
            transport=httpx.HTTPTransport(retries=2),
        ) as client:
            for _ in range(o.get("max_pages", 100_000)):
                response = _get(client, url, params)
                body = _json(response)
                records = _records(body, o.get("records_path"), url)
                if not records:
                    return
                yield records
                nxt = self._next(response, body, url, params, page)
                if nxt is None:
                    return
                url, params, page = nxt

    def _first_params(self, page: int) -> dict[str, Any]:
        params = dict(self.options.get("params") or {})
        if self.options.get("page_param"):
            params[self.options["page_param"]] = page
        if self.options.get("page_size_param"):
            params[self.options["page_size_param"]] = self.options.get("page_size", 100)
        return params

    def _next(
        self, response: httpx.Response, body: Any, url: str, params: dict[str, Any], page: int
    ) -> tuple[str, dict[str, Any], int] | None:
        o = self.options
        if o.get("next_path"):
            token = _at(body, o["next_path"])
            if token in (None, ""):
                return None
            if isinstance(token, str) and token.startswith(("http://", "https://", "/")):
                return urljoin(url, token), {}, page
            return url, {**params, o.get("cursor_param", "cursor"): token}, page
        if o.get("page_param"):
            return url, {**params, o["page_param"]: page + 1}, page + 1
        link = response.links.get("next", {}).get("url")
        return (urljoin(url, link), {}, page) if link else None


def _get(client: httpx.Client, url: str, params: dict[str, Any]) -> httpx.Response:
    try:
        response = client.get(url, params=params or None)
    except httpx.TransportError as exc:
        raise UnavailableError(
            f"cannot reach {url}: {exc}", hint="check the URL and that the API is up", url=url
        ) from exc
    if response.status_code == 404:
        raise NotFoundError(f"{response.url} answered 404 Not Found", url=url)
    if response.status_code >= 500 or response.status_code == 429:
        raise UnavailableError(
            f"{response.url} answered {response.status_code}", url=url, hint="retry later"
        )
    if response.status_code >= 400:
        raise InvalidInputError(
            f"{response.url} answered {response.status_code}: {response.text[:200]}",
            hint="check the params and headers (authentication?)",
            url=url,
        )
    return response


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise InvalidInputError(
            f"{response.url} did not answer JSON: {exc}", url=str(response.url)
        ) from exc


def _at(body: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(body, dict):
            return None
        body = body.get(part)
    return body


def _records(body: Any, path: str | None, url: str) -> list[Any]:
    if path:
        records = _at(body, path)
    elif isinstance(body, list):
        records = body
    else:
        records = next(
            (
                body[k]
                for k in _RECORD_KEYS
                if isinstance(body, dict) and isinstance(body.get(k), list)
            ),
            None,
        )
    if records is None and path is None:
        raise InvalidInputError(
            f"no list of records found in the body of {url}",
            hint="set http={'records_path': 'path.to.list'}",
            url=url,
        )
    if records is None:
        return []
    if not isinstance(records, list):
        raise InvalidInputError(
            f"the records at {path or 'the body'} of {url} are not a list",
            hint="set http={'records_path': 'path.to.list'}",
            url=url,
        )
    return records
