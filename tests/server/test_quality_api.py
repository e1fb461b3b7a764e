"""Quality and lineage over REST."""

from __future__ import annotations

from fastapi.testclient import TestClient

BASE = "/api/v1/workspaces/sales"


def test_checks_runs_results_and_metrics(client: TestClient, orders: str) -> None:
    checks = {
        "checks": [
            {"kind": "accepted_values", "columns": ["status"], "params": {"values": ["paid"]}},
            {"kind": "between", "columns": ["amount"], "params": {"min": 0, "max": 100}},
        ]
    }
    added = client.post(f"{BASE}/quality/orders/checks", json=checks)
    assert added.status_code == 201, added.text
    assert [c["name"] for c in client.get(f"{BASE}/quality/orders/checks").json()] == [
        "accepted_values(status)",
        "between(amount)",
    ]
    report = client.post(f"{BASE}/quality/orders/runs").json()
    assert report["passed"] is False and report["version"] == 0
    failed = [r for r in report["results"] if r["status"] == "failed"]
    assert failed[0]["violating"] == 1 and failed[0]["sample"][0]["status"] == "open"
    results = client.get(f"{BASE}/quality/orders/results", params={"run_id": report["run_id"]})
    assert len(results.json()) == 2
    assert "lakeworks_quality_checks_total" in client.get("/metrics").text
    assert client.delete(f"{BASE}/quality/orders/checks/between(amount)").status_code == 204
    assert client.get(f"{BASE}/quality/orders/profile").json()["rows"] == 3


def test_bad_checks_are_422_with_the_reason(client: TestClient, orders: str) -> None:
    bad = client.post(
        f"{BASE}/quality/orders/checks",
        json={"checks": [{"kind": "matches", "columns": ["status"], "params": {"pattern": "(x"}}]},
    )
    assert bad.status_code == 422 and "does not compile" in bad.json()["message"]
    unknown = client.post(
        f"{BASE}/quality/orders/checks",
        json={"checks": [{"kind": "not_null", "columns": ["nope"]}]},
    )
    assert unknown.status_code == 422 and "no column 'nope'" in unknown.json()["message"]
    missing = client.post(f"{BASE}/quality/ghosts/runs")
    assert missing.status_code == 404


def test_a_refused_write_is_422_and_reload(client: TestClient, orders: str) -> None:
    client.post(
        f"{BASE}/quality/orders/checks",
        json={
            "checks": [
                {"kind": "row_count", "params": {"max": 3}},
                {
                    "kind": "accepted_values",
                    "columns": ["status"],
                    "params": {"values": ["paid", "open"]},
                },
            ]
        },
    )
    refused = client.post(
        f"{orders}/rows", json={"rows": [{"order_id": 4, "status": "paid", "amount": 1.0}]}
    )
    assert refused.status_code == 422 and refused.json()["error"] == "DataQualityError"
    client.delete(f"{BASE}/quality/orders/checks/row_count()")
    held = client.post(
        f"{orders}/rows", json={"rows": [{"order_id": 5, "status": "?", "amount": 1.0}]}
    )
    assert held.status_code == 201
    assert client.post(f"{BASE}/quality/orders/reload").json()["rows_still_quarantined"] == 1


def test_lineage_as_json(client: TestClient, orders: str) -> None:
    client.post(
        f"{BASE}/sql",
        json={"query": "create table paid as select * from orders where status = 'paid'"},
    )
    graph = client.get(f"{BASE}/lineage/paid").json()
    assert graph["upstream"][0]["source"] == {"kind": "table", "name": "orders", "version": 0}
    assert graph["upstream"][0]["columns"]["amount"] == ["amount"]
    assert client.get(f"{BASE}/lineage/orders").json()["downstream"][0]["target"]["name"] == "paid"
    assert client.get(f"{BASE}/lineage/ghosts").status_code == 404


def test_run_many_tables_in_one_request(client: TestClient, orders: str) -> None:
    check = {
        "checks": [
            {"kind": "accepted_values", "columns": ["status"], "params": {"values": ["paid"]}}
        ]
    }
    made = client.post(f"{BASE}/sql", json={"query": "CREATE TABLE copy AS SELECT * FROM orders"})
    assert made.status_code == 200, made.text
    for table in ("orders", "copy"):
        assert client.post(f"{BASE}/quality/{table}/checks", json=check).status_code == 201
    reports = client.post(f"{BASE}/quality/runs", json={"tables": ["orders", "copy"]}).json()
    assert [(r["table"], r["passed"]) for r in reports] == [("orders", False), ("copy", False)]
    assert [r["results"][0]["violating"] for r in reports] == [1, 1]
    every = client.post(f"{BASE}/quality/runs", json={}).json()
    assert [r["table"] for r in every] == ["copy", "orders"]
    missing = client.post(f"{BASE}/quality/runs", json={"tables": ["nope"]})
    assert missing.status_code == 404 and "nope" in missing.json()["message"]
