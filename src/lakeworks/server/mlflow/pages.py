"""Page tokens of listings the routes page themselves: the offset of the next page."""

from __future__ import annotations

from typing import Any

from lakeworks.server.mlflow.errors import invalid


def start(page_token: str | None) -> int:
    if not page_token:
        return 0
    if not page_token.isdigit():
        raise invalid(f"invalid page_token {page_token!r}: pass the next_page_token given")
    return int(page_token)


def token(offset: int) -> str:
    return str(offset)


def answer(key: str, items: list[Any], next_token: str | None) -> dict[str, Any]:
    """A search answer: the items under ``key``, and the next page's token if there is one
    (MLflow omits the field on the last page)."""
    found: dict[str, Any] = {key: items}
    if next_token:
        found["next_page_token"] = next_token
    return found
