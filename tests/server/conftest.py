from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lakeworks.config import Settings
from lakeworks.server.app import create_app


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A client of a fresh app, with workspace ``sales`` created."""
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.post("/api/v1/workspaces", json={"name": "sales"}).status_code == 201
        yield client


ORDERS = [
    {"order_id": 1, "status": "paid", "amount": 12.5},
    {"order_id": 2, "status": "open", "amount": 3.0},
    {"order_id": 3, "status": "paid", "amount": 7.25},
]


@pytest.fixture
def orders(client: TestClient) -> str:
    """Table ``orders`` in workspace ``sales``; returns its URL."""
    url = "/api/v1/workspaces/sales/tables/orders"
    assert client.post(f"{url}/rows", json={"rows": ORDERS, "mode": "create"}).status_code == 201
    return url
