"""Page tokens of listings the routes page themselves: the offset of the next page."""

from __future__ import annotations

from lakeworks.server.mlflow.errors import invalid


def start(page_token: str | None) -> int:
    if not page_token:
        return 0
    if not page_token.isdigit():
        raise invalid(f"invalid page_token {page_token!r}: pass the next_page_token given")
    return int(page_token)


def token(offset: int) -> str:
    return str(offset)
