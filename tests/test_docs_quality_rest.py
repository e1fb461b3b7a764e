"""The JSON examples of docs/quality-and-lineage.md ("Declaring checks over REST") are
accepted by the app, and every check kind has one."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.quality.checks import ROW_LEVEL
from lakeworks.server.app import create_app

PAGE = Path(__file__).parent.parent / "docs" / "quality-and-lineage.md"
URL = "/api/v1/workspaces/default/quality/orders/checks"


def examples() -> list[dict]:
    text = PAGE.read_text()
    section = text.split("## Declaring checks over REST", 1)[1].split("\n## ", 1)[0]
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, re.S)]


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """An app over ``orders`` and ``customers`` with the columns the examples name."""
    ws = lw.connect(settings=settings, user="tester")
    now = datetime.now(UTC)
    ws.write("customers", [{"id": i} for i in range(3)])
    ws.write(
        "orders",
        [
            {
                "order_id": i,
                "status": "paid",
                "amount": 10.0 * i,
                "email": f"u{i}@example.com",
                "code": f"AB{i}",
                "customer_id": i % 3,
                "created_at": now - timedelta(minutes=i),
            }
            for i in range(10)
        ],
    )
    ws.platform.close()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_every_check_kind_has_an_example() -> None:
    kinds = {check["kind"] for body in examples() for check in body["checks"]}
    assert kinds == set(ROW_LEVEL), f"kinds without an example: {set(ROW_LEVEL) - kinds}"


def test_each_example_is_accepted_and_stored_as_declared(client: TestClient) -> None:
    for body in examples():
        answer = client.post(URL, json=body)
        assert answer.status_code == 201, (body, answer.json())
        (stored,) = answer.json()
        (declared,) = body["checks"]
        assert stored["kind"] == declared["kind"]
        assert stored["spec"]["columns"] == declared.get("columns", [])
        if "name" in declared:
            assert stored["name"] == declared["name"]
    listed = client.get(URL).json()
    assert len(listed) == len(examples())
    assert client.post(URL.removesuffix("/checks") + "/runs").status_code == 200


def test_an_example_with_a_wrong_column_is_a_422_naming_it(client: TestClient) -> None:
    body = {"checks": [{"kind": "not_null", "columns": ["order_number"]}]}
    answer = client.post(URL, json=body)
    assert answer.status_code == 422
    assert "order_number" in answer.text
