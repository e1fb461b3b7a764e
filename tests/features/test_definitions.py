"""Definitions, apply with a diff, versions and rollback."""

from __future__ import annotations

from datetime import timedelta

import pytest

import lakeworks as lw
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.features import Entity, FeatureService, FeatureView
from tests.features.conftest import rider, trips


def test_apply_shows_a_diff_and_versions_changes(rides: lw.Workspace) -> None:
    again = rides.features.apply([rider, trips])
    assert [c.action for c in again.changes] == ["unchanged", "unchanged"]
    changed = FeatureView(
        "rider_trips",
        entity="rider",
        timestamp="ts",
        features=["trips"],
        source="rider_events",
        ttl=timedelta(days=1),
    )
    result = rides.features.apply([changed])
    assert str(result) == "~ view rider_trips v1 -> v2: features, owner, tags, ttl_seconds"
    assert rides.features.get("rider_trips").features == ("trips",)
    assert [v.version for v in rides.features.versions("rider_trips")] == [1, 2]
    kinds = {(d.kind, d.name): d.version for d in rides.features.list()}
    assert kinds == {("entity", "rider"): 1, ("view", "rider_trips"): 2, ("service", "pricing"): 1}


def test_rollback_restores_an_earlier_version_as_a_new_one(rides: lw.Workspace) -> None:
    narrower = FeatureView(
        "rider_trips", entity="rider", timestamp="ts", features=["trips"], source="rider_events"
    )
    rides.features.apply([narrower])
    change = rides.features.rollback("rider_trips", 1)
    assert (change.old_version, change.new_version) == (2, 3)
    assert rides.features.get("rider_trips") == trips
    assert rides.features.versions("rider_trips")[-1].note == "rollback to v1"
    with pytest.raises(NotFoundError, match="no version 9"):
        rides.features.rollback("rider_trips", 9)


def test_dry_run_stores_nothing(ws: lw.Workspace) -> None:
    result = ws.features.apply([rider], dry_run=True)
    assert str(result) == "+ entity rider (v1)"
    assert ws.features.list() == []


def test_a_view_needs_a_registered_entity(ws: lw.Workspace) -> None:
    with pytest.raises(NotFoundError, match="entity 'rider' is not registered"):
        ws.features.apply([trips])


def test_a_source_without_the_timestamp_column_is_refused(ws: lw.Workspace) -> None:
    ws.write("rider_events", [{"rider_id": 1, "when": "2026-01-01", "trips": 1, "rating": 1.0}])
    with pytest.raises(InvalidInputError, match="has no timestamp column 'ts'") as err:
        ws.features.apply([rider, trips])
    assert "when" in str(err.value)  # the hint lists the columns there are


def test_a_source_query_is_checked_at_apply(ws: lw.Workspace) -> None:
    ws.write("events", [{"rider_id": 1, "ts": "2026-01-01", "n": 1}])
    by_sql = FeatureView(
        "daily",
        entity="rider",
        timestamp="ts",
        features=["n"],
        source="select rider_id, ts, n from events",
    )
    with pytest.raises(InvalidInputError, match="'ts' is string, not a timestamp"):
        ws.features.apply([rider, by_sql])
    fixed = FeatureView(
        "daily",
        entity="rider",
        timestamp="ts",
        features=["n"],
        source="select rider_id, cast(ts as timestamp) as ts, n from events",
    )
    assert [c.action for c in ws.features.apply([rider, fixed]).changes] == ["create", "create"]


def test_a_service_must_name_existing_features(rides: lw.Workspace) -> None:
    with pytest.raises(NotFoundError, match="has no feature 'speed'"):
        rides.features.apply([FeatureService("bad", ["rider_trips:speed"])])
    with pytest.raises(NotFoundError, match="feature view 'nope' is not registered"):
        rides.features.apply([FeatureService("bad", ["nope:x"])])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Entity("r", join_keys=[]), "at least one join key"),
        (lambda: Entity("r", join_keys=["a", "a"]), "twice"),
        (lambda: Entity("Bad Name", join_keys="a"), "invalid entity name"),
        (
            lambda: FeatureView("v", entity="r", timestamp="t", features=["t"], source="x"),
            "not a feature",
        ),
        (
            lambda: FeatureView(
                "v", entity="r", timestamp="t", features=["a"], source="x", ttl=timedelta(0)
            ),
            "ttl must be positive",
        ),
    ],
)
def test_bad_definitions_are_refused(make, message: str) -> None:  # noqa: ANN001
    with pytest.raises(InvalidInputError, match=message):
        make()


def test_definitions_round_trip_through_their_spec() -> None:
    from lakeworks.features.definitions import from_spec

    for d in (rider, trips, FeatureService("s", [trips], description="d")):
        assert from_spec(d.kind, d.name, d.spec()) == d
