"""Declared availability (known_at, available_after) and the training-set coverage report."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import pytest

import lakeworks as lw
from lakeworks.errors import InvalidInputError
from lakeworks.features import FeatureView
from lakeworks.features.coverage import AsKnownAtWarning
from lakeworks.features.definitions import from_spec
from tests.features.conftest import rider, write

US = timedelta(microseconds=1)
PAST = datetime(2020, 1, 1, tzinfo=UTC)


def view(**declared) -> FeatureView:  # noqa: ANN003
    return FeatureView(
        "rider_trips",
        entity="rider",
        timestamp="ts",
        features=["trips"],
        source="rider_events",
        **declared,
    )


def backfill(ws: lw.Workspace, days: int = 30) -> list[dict]:
    """History written today with event times in the past; the entity rows a day later."""
    rows = [{"rider_id": d % 3, "ts": PAST + timedelta(days=d), "trips": d} for d in range(days)]
    write(ws, "rider_events", rows)
    return [{"rider_id": r["rider_id"], "at": r["ts"] + timedelta(days=1)} for r in rows]


def test_a_backfill_is_reported_and_warned_with_the_fix(ws: lw.Workspace) -> None:
    entities = backfill(ws)
    ws.features.apply([rider, view()])
    with pytest.warns(AsKnownAtWarning, match=r"30 of 30 rows .*available_after='1h'"):
        result = ws.features.training_set(entities, ["rider_trips:trips"])
    assert result.arrow().column("trips").null_count == 30
    [c] = result.coverage
    assert (c.view, c.rows, c.with_value, c.not_yet_known, c.no_earlier_event) == (
        "rider_trips",
        30,
        0,
        30,
        0,
    )
    assert len(result.warnings) == 1 and "point_in_time='event'" in result.warnings[0]
    by_event = ws.features.training_set(entities, ["rider_trips:trips"], point_in_time="event")
    assert by_event.coverage[0].with_value == 30 and by_event.warnings == ()


def test_available_after_gives_a_backfill_its_values(ws: lw.Workspace) -> None:
    entities = backfill(ws)
    ws.features.apply([rider, view(available_after="1h")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = ws.features.training_set(entities, ["rider_trips:trips"])
    assert result.arrow().column("trips").to_pylist() == list(range(30))
    assert result.coverage[0].with_value == 30 and result.warnings == ()
    early = [{"rider_id": 0, "at": PAST + timedelta(minutes=59)}]
    early.append({"rider_id": 0, "at": PAST + timedelta(hours=1)})
    with pytest.warns(AsKnownAtWarning, match="1 of 2 rows"):
        got = ws.features.training_set(early, ["rider_trips:trips"])
    assert got.arrow().column("trips").to_pylist() == [None, 0]  # known 1 h after the event


def test_available_after_never_delays_what_a_commit_made_known_earlier(ws: lw.Workspace) -> None:
    event = datetime.now(UTC) - timedelta(minutes=5)
    learned = write(ws, "rider_events", [{"rider_id": 1, "ts": event, "trips": 3}])
    ws.features.apply([rider, view(available_after=timedelta(days=1))])
    rows = [{"rider_id": 1, "at": learned - US}, {"rider_id": 1, "at": learned}]
    with pytest.warns(AsKnownAtWarning, match="its declared known_at / available_after"):
        got = ws.features.training_set(rows, ["rider_trips:trips"])
    assert got.arrow().column("trips").to_pylist() == [None, 3]


def test_a_known_at_column_says_when_each_value_became_known(ws: lw.Workspace) -> None:
    write(
        ws,
        "rider_events",
        [
            {"rider_id": 1, "ts": PAST, "trips": 1, "learned": PAST + timedelta(days=2)},
            {"rider_id": 1, "ts": PAST, "trips": 2, "learned": PAST + timedelta(days=5)},
        ],
    )
    ws.features.apply([rider, view(known_at="learned")])
    days = [1, 2, 5]
    rows = [{"rider_id": 1, "at": PAST + timedelta(days=d)} for d in days]
    got = ws.features.training_set(rows, ["rider_trips:trips"])
    assert got.arrow().column("trips").to_pylist() == [None, 1, 2]  # the correction on day 5
    assert got.coverage[0].not_yet_known == 1  # a third of the rows: below the warning share
    assert got.warnings == ()


def test_ttl_and_missing_keys_are_told_apart(ws: lw.Workspace) -> None:
    write(ws, "rider_events", [{"rider_id": 1, "ts": PAST, "trips": 1}])
    ws.features.apply([rider, view(available_after="0s", ttl=timedelta(days=1))])
    rows = [
        {"rider_id": 1, "at": PAST},  # a value
        {"rider_id": 1, "at": PAST + timedelta(days=3)},  # too old
        {"rider_id": 2, "at": PAST},  # no such rider
        {"rider_id": 1, "at": PAST - US},  # before the first event
    ]
    [c] = ws.features.training_set(rows, ["rider_trips:trips"]).coverage
    assert (c.with_value, c.ttl_expired, c.no_earlier_event, c.not_yet_known) == (1, 1, 2, 0)


def test_declarations_are_stored_and_old_specs_unchanged() -> None:
    declared = view(available_after="90m")
    assert declared.available_after == timedelta(minutes=90)
    assert from_spec("view", declared.name, declared.spec()) == declared
    assert from_spec("view", "v", view(known_at="learned").spec()).known_at == "learned"
    assert "known_at" not in view().spec() and "available_after_seconds" not in view().spec()


def test_re_applying_an_undeclared_view_is_no_change(ws: lw.Workspace) -> None:
    write(ws, "rider_events", [{"rider_id": 1, "ts": PAST, "trips": 1}])
    ws.features.apply([rider, view()])
    assert not ws.features.apply([rider, view()]).changed
    assert ws.features.apply([rider, view(available_after="1h")]).changed


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ({"available_after": "soon"}, "available_after 'soon' is not a duration"),
        ({"available_after": timedelta(hours=-1)}, "must not be negative"),
        ({"available_after": "1h", "known_at": "learned"}, "declares both known_at"),
        ({"known_at": "ts"}, "is also its timestamp or a feature"),
    ],
)
def test_bad_declarations_are_refused(declared: dict, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        view(**declared)


def test_a_known_at_column_must_exist_and_be_a_timestamp(ws: lw.Workspace) -> None:
    write(ws, "rider_events", [{"rider_id": 1, "ts": PAST, "trips": 1, "note": "x"}])
    with pytest.raises(InvalidInputError, match="has no known_at column 'learned'") as err:
        ws.features.apply([rider, view(known_at="learned")])
    assert "available_after" in err.value.hint
    with pytest.raises(InvalidInputError, match="known_at column 'note' is string"):
        ws.features.apply([rider, view(known_at="note")])
