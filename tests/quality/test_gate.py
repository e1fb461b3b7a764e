"""Gates on write: row-level errors to quarantine, table-level failures refuse the write."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import lakeworks as lw
from lakeworks.errors import DataQualityError
from lakeworks.quality import checks as qc

CSV = "id,status,amount\n1,paid,10\n2,bogus,20\n3,paid,-5\n4,open,\n"


@pytest.fixture
def gated(ws: lw.Workspace) -> lw.Workspace:
    ws.write("orders", [{"id": 0, "status": "paid", "amount": 1.0}])
    ws.quality.add(
        "orders",
        [
            qc.accepted_values("status", ["paid", "open"]),
            qc.between("amount", 0, 100),
            qc.unique("id"),
            qc.not_null("amount", severity="warn"),
        ],
    )
    return ws


def test_a_load_lands_good_rows_and_quarantines_bad_ones(
    gated: lw.Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(CSV)
    result = gated.ingest(str(path), "orders", progress=False)
    assert (result.rows_read, result.rows_written, result.rows_quarantined) == (4, 2, 2)
    assert result.quarantine_table == "orders__quarantine"
    assert sorted(r["id"] for r in gated.read("orders").to_pylist()) == [0, 1, 4]
    held = gated.read("orders__quarantine").to_pylist()
    assert {h["reason"] for h in held} == {
        "check: accepted_values(status)",
        "check: between(amount)",
    }
    assert {h["source"] for h in held} == {str(path)} and {h["load_id"] for h in held} == {
        result.load_id
    }
    stored = {r.check: r for r in gated.quality.results("orders", limit=4)}
    assert stored["not_null(amount)"].status == "warned"  # recorded, and the row landed
    assert stored["between(amount)"].version == result.version
    assert stored["between(amount)"].sample == [{"id": 3, "status": "paid", "amount": -5.0}]


def test_sql_writes_are_gated_too(gated: lw.Workspace) -> None:
    result = gated.sql("insert into orders select 0 as id, 'paid' as status, 5.0::double as amount")
    assert result.rows == 0 and result.metrics["rows_quarantined_by_checks"] == 1  # id 0 exists


def test_an_upsert_replaces_keys_without_tripping_unique(gated: lw.Workspace) -> None:
    result = gated.upsert(
        "orders",
        [{"id": 0, "status": "open", "amount": 2.0}, {"id": 9, "status": "nope", "amount": 2.0}],
        keys=["id"],
    )
    assert result.metrics["rows_quarantined_by_checks"] == 1
    assert gated.read("orders").to_pylist() == [{"id": 0, "status": "open", "amount": 2.0}]


def test_a_table_level_failure_refuses_the_write(gated: lw.Workspace) -> None:
    gated.quality.add("orders", [qc.row_count(max=2), qc.mean("amount", max=50, severity="warn")])
    gated.write("orders", [{"id": 1, "status": "paid", "amount": 99.0}])  # 2 rows: fine
    with pytest.raises(DataQualityError) as refused:
        gated.write("orders", [{"id": 2, "status": "paid", "amount": 3.0}])
    message = str(refused.value)
    assert "stays at version 1" in message and "row_count(): the row count is 3" in message
    assert gated.history("orders")[0].version == 1 and gated.read("orders").num_rows == 2
    assert gated.quality.results("orders", check="row_count()", limit=1)[0].status == "failed"


def test_fixed_rows_reload_with_one_call(gated: lw.Workspace) -> None:
    gated.write(
        "orders",
        [{"id": 1, "status": "bogus", "amount": 1.0}, {"id": 2, "status": "paid", "amount": 500.0}],
    )
    assert gated.read("orders__quarantine").num_rows == 2
    nothing = gated.quality.reload("orders")  # nothing fixed yet: both go back
    assert (nothing.rows_reloaded, nothing.rows_landed, nothing.rows_still_quarantined) == (2, 0, 2)
    gated.quality.remove("orders", "accepted_values(status)")  # the check was too strict
    done = gated.quality.reload("orders")
    assert (done.rows_landed, done.rows_still_quarantined) == (1, 1)
    assert sorted(r["id"] for r in gated.read("orders").to_pylist()) == [0, 1]
    left = gated.read("orders__quarantine").to_pylist()
    assert [json.loads(r["raw_record"])["id"] for r in left] == [2]


def test_writes_to_tables_without_checks_are_untouched(ws: lw.Workspace) -> None:
    ws.write("plain", [{"x": None}])
    assert ws.write("plain", [{"x": None}]).metrics == {}


class _Hook(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hook.received.clear()
    yield f"http://127.0.0.1:{server.server_port}/alerts"
    server.shutdown()
    server.server_close()


def test_a_failing_check_posts_to_its_webhook(orders: lw.Workspace, webhook: str) -> None:
    orders.quality.add(
        "orders",
        [
            qc.accepted_values("status", ["paid"], webhook=webhook),
            qc.not_null("id", webhook=webhook),
        ],
    )
    orders.quality.run("orders")
    (alert,) = _Hook.received
    assert alert["table"] == "orders" and not alert["passed"]
    assert [p["check"] for p in alert["problems"]] == ["accepted_values(status)"]


def test_an_unreachable_webhook_never_fails_the_run(orders: lw.Workspace) -> None:
    orders.quality.add("orders", [qc.not_null("empty", webhook="http://127.0.0.1:9/none")])
    assert not orders.quality.run("orders").passed


def test_counters_count_checks_and_quarantined_rows(gated: lw.Workspace) -> None:
    gated.write("orders", [{"id": 5, "status": "bogus", "amount": 1.0}])
    text = gated.platform.quality.metrics.render().decode()
    assert (
        'lakeworks_quality_rows_quarantined_total{table="orders",workspace="default"} 1.0' in text
    )
    assert (
        'lakeworks_quality_checks_total{status="failed",table="orders",workspace="default"} 1.0'
        in text
    )


def test_each_new_version_is_profiled(orders: lw.Workspace) -> None:
    profile = orders.quality.profile("orders")
    assert profile.version == 0 and profile.rows == 10
    amount = profile.columns["amount"]
    assert (amount["nulls"], amount["min"], amount["max"], amount["mean"]) == (0, 0.0, 90.0, 45.0)
    assert set(amount["quantiles"]) == {"p1", "p5", "p25", "p50", "p75", "p95", "p99"}
    assert len(amount["histogram"]["edges"]) == 11
    assert set(profile.columns["status"]["top"]) == {"paid", "open", "void"}
    assert profile.columns["empty"]["nulls"] == 10 and profile.columns["empty"]["mean"] is None
    orders.write("orders", [{"id": 10, "amount": 1000.0}])
    assert orders.quality.profile("orders").columns["amount"]["max"] == 1000.0
    assert orders.quality.profile("orders", version=0).columns["amount"]["max"] == 90.0
