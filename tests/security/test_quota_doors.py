"""Quotas and costs through REST (429 with the quota's fields; setting needs the owner
role, and is audited), the CLI and /metrics."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.cli.conftest import Cli, cli  # noqa: F401 - the cli fixture
from tests.security.conftest import bearer
from tests.server.conftest import client  # noqa: F401 - the client fixture

BASE = "/api/v1/workspaces/sales"


def test_rest_sets_and_shows_quotas_and_answers_429(client: TestClient) -> None:  # noqa: F811
    answer = client.put(f"{BASE}/quotas/tables", json={"limit": 1})
    assert answer.status_code == 200
    body = answer.json()
    assert 0 <= body.pop("age") < 5  # the cached figure checks use, and how old it is
    assert body == {"name": "tables", "limit": 1, "used": 0, "unit": "tables"}
    rows = [{"id": 1}]
    assert client.post(f"{BASE}/tables/a/rows", json={"rows": rows}).status_code < 300
    refused = client.post(f"{BASE}/tables/b/rows", json={"rows": rows})
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "QuotaExceededError" and "tables quota" in body["message"]
    expected = {"quota": "tables", "limit": 1, "used": 1, "requested": 1}
    assert body["details"].items() >= expected.items()
    shown = {q["name"]: q for q in client.get(f"{BASE}/quotas").json()}
    assert shown["tables"]["used"] == 1 and shown["storage_bytes"]["limit"] is None
    assert shown["concurrent_runs"]["age"] is None  # measured for this answer
    assert client.put(f"{BASE}/quotas/tables", json={"limit": None}).json()["limit"] is None
    assert client.put(f"{BASE}/quotas/disk", json={"limit": 1}).status_code == 422
    assert client.put(f"{BASE}/quotas/tables", json={"limit": -1}).status_code == 422


def test_rest_reports_the_workspace_costs(client: TestClient) -> None:  # noqa: F811
    client.post(f"{BASE}/tables/a/rows", json={"rows": [{"id": 1}]})
    client.post(f"{BASE}/sql", json={"query": "select * from a"})
    answer = client.get(f"{BASE}/costs", params={"by": "user", "since": "1d"})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["by"] == ["user"]
    scanned = [line for line in report["lines"] if line["quantities"]["sql_scanned_gb"] > 0]
    assert [line["group"] for line in scanned] == [{"user": "anonymous"}]
    assert client.get(f"{BASE}/costs", params={"by": "team"}).status_code == 422


def test_metrics_expose_cost_gauges(client: TestClient) -> None:  # noqa: F811
    client.post(f"{BASE}/tables/a/rows", json={"rows": [{"id": 1}]})
    client.app.state.platform.usage.sample()
    text = client.get("/metrics").text
    assert 'lakeworks_cost_30d{price="storage_gb_month",workspace="sales"}' in text
    assert 'lakeworks_usage_30d{quantity="storage_gb_hours",workspace="sales"}' in text


def test_cli_sets_shows_and_reports(cli: Cli) -> None:  # noqa: F811
    assert cli("init").exit_code == 0
    answer = cli("quotas", "set", "tables", "5")
    assert answer.exit_code == 0 and "tables: limit 5 tables (in use 0)" in answer.output
    shown = cli("quotas", "show")
    assert shown.exit_code == 0 and "tables" in shown.output and "0%" in shown.output
    wrong = cli("quotas", "set", "disk", "5")
    assert wrong.exit_code == 1 and "unknown quota 'disk'" in wrong.output
    assert cli("quotas", "set", "tables", "many").exit_code == 2
    assert "no limit" in cli("quotas", "set", "tables", "none").output
    table = cli("costs", "--by", "workspace,user", "--since", "30d")
    assert table.exit_code == 0 and "storage GB-h" in table.output and "total" in table.output
    rows = cli("costs", "--format", "csv").output.splitlines()
    assert rows[0].startswith("workspace,storage_gb_hours,") and rows[1].startswith("default,")
    report = json.loads(cli("costs", "--format", "json", "--in", "default").output)
    assert report["by"] == ["workspace"] and report["lines"][0]["workspace"] == "default"
    assert cli("costs", "--format", "xml").exit_code == 2


def test_setting_a_quota_needs_the_owner_role_and_is_audited(secured) -> None:  # noqa: ANN001
    http, secrets = secured
    url = f"{BASE}/quotas/tables"
    for role in ("viewer", "editor", "maintainer"):
        denied = http.put(url, json={"limit": 3}, headers=bearer(secrets[role]))
        assert denied.status_code == 403, role
        assert denied.json()["details"]["permission"] == "quotas.manage"
    assert http.put(url, json={"limit": 3}, headers=bearer(secrets["outsider"])).status_code == 403
    owner = bearer(secrets["owner"])
    assert http.put(url, json={"limit": 3}, headers=owner).json()["limit"] == 3
    viewer = bearer(secrets["viewer"])  # anyone in the workspace may read its quotas and costs
    assert http.get(f"{BASE}/quotas", headers=viewer).status_code == 200
    assert http.get(f"{BASE}/costs", headers=viewer).status_code == 200
    assert http.get(f"{BASE}/costs", headers=bearer(secrets["outsider"])).status_code == 403
    records = http.get(f"{BASE}/audit", headers=owner).json()
    changes = [(r["action"], r["outcome"], r["user"]) for r in records if "quotas" in r["action"]]
    assert ("quotas.set", "ok", "u_owner") in changes
    assert ("quotas.set", "denied", "u_editor") in changes
