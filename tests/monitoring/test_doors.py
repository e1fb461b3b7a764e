"""ws.monitor, ``lakeworks monitor compare`` and POST .../monitoring/compare on table versions."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lakeworks.config import Settings
from lakeworks.server.app import create_app
from tests.cli.conftest import Cli
from tests.monitoring.conftest import frames

URL = "/api/v1/workspaces/default/monitoring/compare"


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The CLI on the home of ``settings``, with table ``orders`` (v0 reference, v1 drifted)."""
    import lakeworks as lw

    monkeypatch.setenv("COLUMNS", "200")
    ws = lw.connect(settings=settings, user="tester")
    reference, current = frames(1200)
    ws.write("orders", reference)
    ws.write("orders", current, mode="overwrite")
    ws.platform.close()
    return Cli(settings.home)


@pytest.fixture
def client(cli: Cli, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_cli_prints_the_report_and_exits_1_on_drift(cli: Cli) -> None:
    done = cli("monitor", "compare", "orders@v0", "orders")
    assert done.exit_code == 1, done.output
    assert "drift: 2 of 4 columns drifted (50%, threshold 50%) between orders@v0 and orders@v1" in (
        done.output
    )
    assert "wasserstein" in done.output and "jensenshannon" in done.output


def test_cli_json_and_columns(cli: Cli) -> None:
    done = cli("monitor", "compare", "orders@v1", "orders", "--columns", "steady,shifted")
    assert done.exit_code == 0, done.output
    done = cli("monitor", "compare", "orders@v0", "orders@v1", "-c", "steady", "--format", "json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert [c["column"] for c in report["columns"]] == ["steady"]
    assert report["reference"] == {
        "source": "orders@v0",
        "rows": 1200,
        "table": "orders",
        "version": 0,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["orders@v9", "orders"], "version 9"),
        (["nope", "orders"], "nope"),
        (["orders@v0", "orders", "-c", "gone"], "no column(s) ['gone']"),
        (["orders@v0", "orders", "--threshold", "0.3"], "needs the method"),
    ],
)
def test_cli_bad_input_is_one_error_line(cli: Cli, args: list[str], message: str) -> None:
    done = cli("monitor", "compare", *args)
    assert done.exit_code == 1
    assert done.output.startswith("error: ") and message in done.output


def test_cli_refuses_an_unknown_format(cli: Cli) -> None:
    done = cli("monitor", "compare", "orders@v0", "orders", "--format", "xml")
    assert done.exit_code == 2 and "use table or json" in done.output


def test_rest_compare_returns_the_report(client: TestClient) -> None:
    response = client.post(URL, json={"reference": "orders@v0", "current": "orders"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(body["drifted_columns"]) == ["city", "shifted"]
    assert body["drifted"] is True and body["current"]["version"] == 1
    shifted = next(c for c in body["columns"] if c["column"] == "shifted")
    assert shifted["method"] == "wasserstein" and shifted["threshold"] == 0.1


def test_rest_method_threshold_and_columns(client: TestClient) -> None:
    body = {
        "reference": "orders@v0",
        "current": "orders@v1",
        "columns": ["shifted"],
        "method": "ks",
        "threshold": 0.01,
    }
    response = client.post(URL, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["columns"][0]["method"] == "ks"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"reference": "orders@v7", "current": "orders"}, 404, "version 7"),
        ({"reference": "gone", "current": "orders"}, 404, "gone"),
        ({"reference": "orders", "current": "orders", "columns": ["x"]}, 422, "['x']"),
        ({"reference": "orders", "current": "orders", "method": "kl"}, 422, "method"),
        ({"reference": "Orders; drop", "current": "orders"}, 422, "reference"),
        ({"reference": "orders", "current": "orders", "threshold": 0.1}, 422, "needs the method"),
    ],
)
def test_rest_bad_input(client: TestClient, body: dict, status: int, message: str) -> None:
    response = client.post(URL, json=body)
    assert response.status_code == status, response.text
    assert message in response.text
