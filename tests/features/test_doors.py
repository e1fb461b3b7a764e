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


def _backfilled(platform, ctx) -> None:  # noqa: ANN001
    """A view whose history was written today with event times in 2020."""
    from lakeworks.features import Entity, FeatureView

    past = datetime(2020, 1, 1, tzinfo=UTC)
    events = [{"rider_id": i, "ts": past + timedelta(days=i), "trips": i} for i in range(4)]
    platform.tables.write(ctx, "history", events)
    entities = [{"rider_id": i, "at": past + timedelta(days=i + 1)} for i in range(5)]
    platform.tables.write(ctx, "labels", entities)
    view = FeatureView("hist", entity="rider", timestamp="ts", features=["trips"], source="history")
    platform.features.apply(ctx, [Entity("rider", "rider_id"), view])


def test_rest_training_set_reports_coverage_and_warns(client: TestClient) -> None:  # noqa: F811
    from lakeworks.context import Context

    platform = client.app.state.platform
    ctx = Context("sales", "ann")
    platform.catalog.create_workspace("sales", "ann", exist_ok=True)
    _backfilled(platform, ctx)
    base = "/api/v1/workspaces/sales/features/training-set"
    got = client.post(base, json={"features": ["hist:trips"], "table": "labels", "limit": 2})
    assert got.status_code == 200, got.json()
    body = got.json()
    assert body["num_rows"] == 5 and len(body["rows"]) == 2
    assert body["coverage"] == [
        {
            "view": "hist",
            "rows": 5,
            "with_value": 0,
            "not_yet_known": 4,
            "no_earlier_event": 1,
            "ttl_expired": 0,
        }
    ]
    assert len(body["warnings"]) == 1 and "available_after='1h'" in body["warnings"][0]
    rows = [{"rider_id": 1, "at": "2020-01-03T00:00:00Z"}]
    by_event = client.post(
        base, json={"features": ["hist:trips"], "entity_rows": rows, "point_in_time": "event"}
    ).json()
    assert by_event["rows"] == [{"rider_id": 1, "at": "2020-01-03T00:00:00+00:00", "trips": 1}]
    assert by_event["warnings"] == []
    both = client.post(base, json={"features": ["hist:trips"], "entity_rows": rows, "table": "x"})
    assert both.status_code == 422 and "entity_rows or table" in both.json()["message"]


def test_cli_training_set_reports_coverage_and_warns(cli: Cli) -> None:  # noqa: F811
    from lakeworks.config import Settings
    from lakeworks.context import Context
    from lakeworks.platform import Platform

    platform = Platform.open(Settings.load(home=cli.home))
    platform.catalog.create_workspace("default", "ann", exist_ok=True)
    _backfilled(platform, Context("default", "ann"))
    platform.close()
    done = cli("features", "training-set", "labels", "hist:trips", "--save-as", "train")
    assert done.exit_code == 0, done.output
    assert "training set: 5 rows, 1 feature(s), point in time: known, saved as train v0" in (
        done.output
    )
    assert "│ hist │ 5    │ 0          │ 4             │ 1" in done.output
    assert "warning: feature view 'hist': 4 of 5 rows" in done.output
    by_event = cli("features", "training-set", "labels", "hist:trips", "--point-in-time", "event")
    assert by_event.exit_code == 0 and "warning" not in by_event.output
    bad = cli("features", "training-set", "labels", "hist:trips", "--point-in-time", "later")
    assert bad.exit_code == 1 and "point_in_time must be 'known' or 'event'" in bad.output
