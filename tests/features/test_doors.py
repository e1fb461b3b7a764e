"""The REST routes and CLI commands of the feature store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from tests.cli.conftest import Cli, cli  # noqa: F401 - the cli fixture
from tests.server.conftest import client  # noqa: F401 - the client fixture

NOW = datetime.now(UTC).replace(microsecond=0)
DEFINITIONS = """
from datetime import timedelta
from lakeworks.features import Entity, FeatureService, FeatureView

rider = Entity("rider", join_keys=["rider_id"])
stats = FeatureView("rider_stats", entity=rider, timestamp="ts", features=["trips"],
                    source="rider_events", ttl=timedelta(days={days}))
pricing = FeatureService("pricing", [stats])
"""


def _setup(client: TestClient) -> str:  # noqa: F811
    base = "/api/v1/workspaces/sales"
    rows = [{"rider_id": 1, "ts": (NOW - timedelta(minutes=5)).isoformat(), "trips": 3}]
    client.post(f"{base}/tables/rider_events/rows", json={"rows": rows})
    return base


def test_rest_lists_serves_and_takes_pushes(client: TestClient, tmp_path: Path) -> None:  # noqa: F811
    base = _setup(client)
    platform = client.app.state.platform
    from lakeworks.cli.features import load_definitions
    from lakeworks.context import Context

    path = tmp_path / "features.py"
    path.write_text(DEFINITIONS.format(days=1))
    # rider_events.ts arrived as text over JSON: a source query casts it
    ctx = Context("sales", "ann")
    platform.features.apply(ctx, load_definitions(path)[:1])
    from lakeworks.features import FeatureView

    platform.features.apply(
        ctx,
        [
            FeatureView(
                "rider_stats",
                entity="rider",
                timestamp="ts",
                features=["trips"],
                source="select rider_id, cast(ts as timestamptz) as ts, trips from rider_events",
            )
        ],
    )
    listed = client.get(f"{base}/features").json()
    assert [(d["kind"], d["name"], d["version"]) for d in listed] == [
        ("entity", "rider", 1),
        ("view", "rider_stats", 1),
    ]
    versions = client.get(f"{base}/features/view/rider_stats/versions").json()
    assert [v["version"] for v in versions] == [1]

    body = {"features": ["rider_stats:trips"], "entity_rows": [{"rider_id": 1}]}
    refused = client.post(f"{base}/features/online", json=body)
    assert refused.status_code == 404 and "materialize" in refused.json()["hint"]
    platform.features.materialize(ctx, "rider_stats")
    served = client.post(
        f"{base}/features/online", json={**body, "entity_rows": [{"rider_id": 1}, {"rider_id": 2}]}
    )
    assert served.status_code == 200
    assert served.json()["results"] == [
        {"values": {"trips": 3}, "status": {"trips": "present"}},
        {"values": {"trips": None}, "status": {"trips": "unknown_entity"}},
    ]
    missing_key = client.post(
        f"{base}/features/online", json={**body, "entity_rows": [{"driver": 1}]}
    )
    assert missing_key.status_code == 422
    push = client.post(
        f"{base}/features/push",
        json={"view": "rider_stats", "rows": [{"rider_id": 1, "ts": NOW.isoformat(), "trips": 4}]},
    )
    assert push.status_code == 422 and "query" in push.json()["message"]


def test_rest_push_then_online(client: TestClient) -> None:  # noqa: F811
    from lakeworks.context import Context
    from lakeworks.features import Entity, FeatureView

    platform = client.app.state.platform
    platform.features.apply(
        Context("sales", "ann"),
        [
            Entity("rider", "rider_id"),
            FeatureView("live", entity="rider", timestamp="ts", features=["trips"], source="live"),
        ],
    )
    base = "/api/v1/workspaces/sales/features"
    pushed = client.post(
        f"{base}/push",
        json={"view": "live", "rows": [{"rider_id": 7, "ts": "2026-11-27T10:00:00Z", "trips": 1}]},
    )
    assert pushed.status_code == 201, pushed.json()
    assert pushed.json()["online_keys"] == 1
    served = client.post(
        f"{base}/online", json={"features": ["live:trips"], "entity_rows": [{"rider_id": 7}]}
    )
    assert served.json()["results"][0]["values"] == {"trips": 1}


def test_cli_apply_list_rollback_materialize(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    import lakeworks as lw
    from lakeworks.config import Settings

    ws = lw.connect(settings=Settings.load(home=cli.home), user="ann")
    ws.write("rider_events", [{"rider_id": 1, "ts": NOW - timedelta(minutes=5), "trips": 3}])
    ws.platform.close()
    path = tmp_path / "features.py"
    path.write_text(DEFINITIONS.format(days=1))
    first = cli("features", "apply", str(path))
    assert first.exit_code == 0, first.output
    assert "+ view rider_stats (v1)" in first.output and "3 change(s)" in first.output
    path.write_text(DEFINITIONS.format(days=2))
    second = cli("features", "apply", str(path))
    assert "~ view rider_stats v1 -> v2: ttl_seconds" in second.output
    listed = cli("features", "list")
    assert "rider_stats" in listed.output and "pricing" in listed.output
    back = cli("features", "rollback", "rider_stats", "--to", "1")
    assert back.exit_code == 0 and "v2 -> v3" in back.output
    done = cli("features", "materialize", "rider_stats", "--end", NOW.isoformat())
    assert done.exit_code == 0, done.output
    assert "materialized rider_stats v3: 1 entities" in done.output
    bad = cli("features", "rollback", "rider_stats", "--to", "7")
    assert bad.exit_code == 1 and "no version 7" in bad.output
    missing = cli("features", "apply", str(tmp_path / "nope.py"))
    assert missing.exit_code == 1 and "no file" in missing.output
