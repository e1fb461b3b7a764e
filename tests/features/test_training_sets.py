"""Training sets: point-in-time correctness, known-at time, TTL, multi-key, many views."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lakeworks as lw
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.features import Entity, FeatureView
from tests.features.conftest import T0, rider, write

US = timedelta(microseconds=1)
# these tests probe the boundaries with a few rows, where many are deliberately unknown yet
pytestmark = pytest.mark.filterwarnings("ignore::lakeworks.features.coverage.AsKnownAtWarning")


def values(result, column: str) -> list:  # noqa: ANN001
    return result.arrow().column(column).to_pylist()


def test_latest_value_at_or_before_each_row_never_later(rides: lw.Workspace) -> None:
    entities = [
        {"rider_id": 1, "at": T0 - US},  # before the first value
        {"rider_id": 1, "at": T0},  # exactly at it
        {"rider_id": 1, "at": T0 + timedelta(days=1) - US},  # a microsecond before the next
        {"rider_id": 1, "at": T0 + timedelta(days=1)},
        {"rider_id": 2, "at": T0 + timedelta(days=1)},  # the newest value is a null rating
        {"rider_id": 3, "at": T0 + timedelta(days=1)},  # unknown entity
        {"rider_id": None, "at": T0 + timedelta(days=1)},  # null key
    ]
    result = rides.features.training_set(
        entities, ["rider_trips:trips", "rider_trips:rating"], point_in_time="event"
    )
    assert values(result, "trips") == [None, 10, 10, 11, 3, None, None]
    assert values(result, "rating") == [None, 4.5, 4.5, 4.6, None, None, None]
    assert result.arrow().column_names == ["rider_id", "at", "trips", "rating"]
    assert result.views == {"rider_trips": 1}
    assert [(t.table, t.version) for t in result.tables] == [("rider_events", 0)]


def test_rows_keep_their_order_and_labels(rides: lw.Workspace) -> None:
    frame = pa.table(
        {
            "rider_id": [2, 1, 1],
            "at": pa.array(
                [T0 + timedelta(hours=h) for h in (5, 30, 1)], pa.timestamp("us", "UTC")
            ),
            "label": [0, 1, 0],
        }
    )
    result = rides.features.training_set(frame, "pricing", point_in_time="event")
    assert result.to_pandas()["trips"].tolist() == [3, 11, 10]
    assert result.to_polars()["label"].to_list() == [0, 1, 0]


def test_ttl_hides_old_values(rides: lw.Workspace) -> None:
    entities = [
        {"rider_id": 1, "at": T0 + timedelta(days=3) - US},  # latest value is 2 days - 1 us old
        {"rider_id": 2, "at": T0 + timedelta(days=2)},  # exactly the TTL: still valid
        {"rider_id": 2, "at": T0 + timedelta(days=2) + US},  # expired
    ]
    result = rides.features.training_set(entities, ["rider_trips:trips"], point_in_time="event")
    assert values(result, "trips") == [11, 3, None]


def test_a_late_correction_does_not_leak_into_earlier_rows(ws: lw.Workspace) -> None:
    event = datetime.now(UTC) - timedelta(hours=1)
    learned = write(ws, "rider_events", [{"rider_id": 1, "ts": event, "trips": 10, "rating": 1.0}])
    ws.features.apply(
        [
            rider,
            FeatureView(
                "rider_trips",
                entity="rider",
                timestamp="ts",
                features=["trips"],
                source="rider_events",
            ),
        ]
    )
    corrected = write(
        ws, "rider_events", [{"rider_id": 1, "ts": event, "trips": 99, "rating": 1.0}]
    )
    late = write(  # a newer event time, loaded later still
        ws,
        "rider_events",
        [{"rider_id": 1, "ts": event + timedelta(minutes=1), "trips": 50, "rating": 1.0}],
    )
    rows = [
        {"rider_id": 1, "at": learned - US},  # before lakeworks knew anything
        {"rider_id": 1, "at": learned},
        {"rider_id": 1, "at": corrected - US},  # the correction is not known yet
        {"rider_id": 1, "at": corrected},
        {"rider_id": 1, "at": late - US},
        {"rider_id": 1, "at": late},
    ]
    known = ws.features.training_set(rows, ["rider_trips:trips"])
    assert values(known, "trips") == [None, 10, 10, 99, 99, 50]
    event_only = ws.features.training_set(rows, ["rider_trips:trips"], point_in_time="event")
    assert values(event_only, "trips") == [50] * 6  # the correction and more leak


def test_an_older_event_learned_late_never_replaces_a_newer_one(ws: lw.Workspace) -> None:
    now = datetime.now(UTC)
    write(
        ws,
        "rider_events",
        [{"rider_id": 1, "ts": now - timedelta(minutes=1), "trips": 5, "rating": 1.0}],
    )
    late = write(
        ws,
        "rider_events",
        [{"rider_id": 1, "ts": now - timedelta(minutes=9), "trips": 1, "rating": 1.0}],
    )
    ws.features.apply(
        [
            rider,
            FeatureView(
                "rider_trips",
                entity="rider",
                timestamp="ts",
                features=["trips"],
                source="rider_events",
            ),
        ]
    )
    result = ws.features.training_set(
        [{"rider_id": 1, "at": late + timedelta(seconds=1)}], ["rider_trips:trips"]
    )
    assert values(result, "trips") == [5]


def test_compaction_keeps_what_was_known(ws: lw.Workspace) -> None:
    event = datetime.now(UTC) - timedelta(hours=1)
    learned = write(ws, "rider_events", [{"rider_id": 1, "ts": event, "trips": 1, "rating": 1.0}])
    write(ws, "rider_events", [{"rider_id": 2, "ts": event, "trips": 2, "rating": 1.0}])
    ws.compact("rider_events")
    ws.features.apply(
        [
            rider,
            FeatureView(
                "rider_trips",
                entity="rider",
                timestamp="ts",
                features=["trips"],
                source="rider_events",
            ),
        ]
    )
    later = datetime.now(UTC)
    result = ws.features.training_set(
        [{"rider_id": 1, "at": learned - US}, {"rider_id": 1, "at": later}], ["rider_trips:trips"]
    )
    assert values(result, "trips") == [None, 1]


def test_multi_key_entities_and_many_views_in_one_query(ws: lw.Workspace) -> None:
    ws.write(
        "store_day",
        [
            {"store": "a", "region": 1, "ts": T0, "sales": 10.0},
            {"store": "a", "region": 2, "ts": T0, "sales": 20.0},
            {"store": "a", "region": 1, "ts": T0 + timedelta(hours=2), "sales": 11.0},
        ],
    )
    ws.write("store_staff", [{"store": "a", "region": 1, "ts": T0, "staff": 4}])
    ws.write("regions", [{"region": 1, "ts": T0, "weather": "rain"}])
    ws.features.apply(
        [
            Entity("store", join_keys=["store", "region"]),
            Entity("region", join_keys="region"),
            FeatureView(
                "sales", entity="store", timestamp="ts", features=["sales"], source="store_day"
            ),
            FeatureView(
                "staffing", entity="store", timestamp="ts", features=["staff"], source="store_staff"
            ),
            FeatureView(
                "weather", entity="region", timestamp="ts", features=["weather"], source="regions"
            ),
        ]
    )
    rows = [
        {"store": "a", "region": 1, "at": T0 + timedelta(hours=1)},
        {"store": "a", "region": 2, "at": T0 + timedelta(hours=3)},
        {"store": "a", "region": 1, "at": T0 + timedelta(hours=3)},
    ]
    result = ws.features.training_set(
        rows, ["sales:sales", "staffing:staff", "weather:weather"], point_in_time="event"
    )
    assert result.arrow().select(["sales", "staff", "weather"]).to_pylist() == [
        {"sales": 10.0, "staff": 4, "weather": "rain"},
        {"sales": 20.0, "staff": None, "weather": None},
        {"sales": 11.0, "staff": 4, "weather": "rain"},
    ]
    assert result.sql.count("ASOF LEFT JOIN") == 3


def test_a_sql_source_with_known_at(ws: lw.Workspace) -> None:
    learned = write(
        ws, "raw", [{"rider_id": 1, "ts": T0, "km": 2.0}, {"rider_id": 1, "ts": T0, "km": 3.0}]
    )
    ws.features.apply(
        [
            rider,
            FeatureView(
                "km",
                entity="rider",
                timestamp="ts",
                features=["total_km"],
                source="select rider_id, ts, sum(km) as total_km, "
                "max(_lw_known_at) as _lw_known_at from raw group by all",
            ),
        ]
    )
    rows = [{"rider_id": 1, "at": learned - US}, {"rider_id": 1, "at": learned}]
    assert values(ws.features.training_set(rows, ["km:total_km"]), "total_km") == [None, 5.0]


def test_naive_timestamps_are_utc(rides: lw.Workspace) -> None:
    naive = (T0 + timedelta(days=1)).replace(tzinfo=None)
    result = rides.features.training_set(
        [{"rider_id": 1, "at": naive - US}, {"rider_id": 1, "at": naive}],
        ["rider_trips:trips"],
        point_in_time="event",
    )
    assert values(result, "trips") == [10, 11]


def test_save_as_writes_a_versioned_table(rides: lw.Workspace) -> None:
    rows = [{"rider_id": 1, "at": T0 + timedelta(hours=1), "label": 1}]
    result = rides.features.training_set(rows, "pricing", point_in_time="event", save_as="train")
    assert result.saved.table == "train" and result.saved.version == 0
    assert rides.read("train").to_pylist()[0]["trips"] == 10
    again = rides.features.training_set(rows, "pricing", point_in_time="event", save_as="train")
    assert again.saved.version == 1


# bad input -----------------------------------------------------------------------------
def test_unknown_views_and_features_are_named(rides: lw.Workspace) -> None:
    rows = [{"rider_id": 1, "at": T0}]
    with pytest.raises(NotFoundError, match="feature view 'nope' is not registered"):
        rides.features.training_set(rows, ["nope:trips"])
    with pytest.raises(NotFoundError, match="has no feature 'speed'"):
        rides.features.training_set(rows, ["rider_trips:speed"])
    with pytest.raises(NotFoundError, match="feature service 'nope' is not registered"):
        rides.features.training_set(rows, "nope")


def test_entity_rows_missing_a_key_column(rides: lw.Workspace) -> None:
    with pytest.raises(InvalidInputError, match=r"lack key column\(s\) \['rider_id'\]"):
        rides.features.training_set([{"driver_id": 1, "at": T0}], ["rider_trips:trips"])


def test_naive_and_zoned_timestamps_mixed_are_refused(rides: lw.Workspace) -> None:
    rows = [{"rider_id": 1, "at": T0}, {"rider_id": 1, "at": T0.replace(tzinfo=None)}]
    with pytest.raises(InvalidInputError, match="mix timestamps without a time zone"):
        rides.features.training_set(rows, ["rider_trips:trips"])


def test_which_timestamp_must_be_said_when_there_are_two(rides: lw.Workspace) -> None:
    rows = [{"rider_id": 1, "at": T0, "signup": T0}]
    with pytest.raises(InvalidInputError, match="2 timestamp columns"):
        rides.features.training_set(rows, ["rider_trips:trips"])
    result = rides.features.training_set(
        rows, ["rider_trips:trips"], timestamp="at", point_in_time="event"
    )
    assert values(result, "trips") == [10]


def test_duplicate_feature_names_across_views(rides: lw.Workspace) -> None:
    rides.features.apply(
        [
            FeatureView(
                "rider_trips_copy",
                entity="rider",
                timestamp="ts",
                features=["trips"],
                source="rider_events",
            )
        ]
    )
    rows = [{"rider_id": 1, "at": T0}]
    refs = ["rider_trips:trips", "rider_trips_copy:trips"]
    with pytest.raises(InvalidInputError, match="both named 'trips'"):
        rides.features.training_set(rows, refs)
    result = rides.features.training_set(rows, refs, full_names=True, point_in_time="event")
    assert result.features == ("rider_trips__trips", "rider_trips_copy__trips")


def test_a_feature_named_like_an_entity_column(rides: lw.Workspace) -> None:
    with pytest.raises(InvalidInputError, match="same name as column 'trips'"):
        rides.features.training_set([{"rider_id": 1, "at": T0, "trips": 0}], ["rider_trips:trips"])


def test_a_source_that_lost_its_timestamp_column(rides: lw.Workspace) -> None:
    rides.write(
        "rider_events",
        [{"rider_id": 1, "trips": 1, "rating": 1.0, "when": T0}],
        mode="overwrite",
        schema_mode="overwrite",
    )
    with pytest.raises(InvalidInputError, match="has no timestamp column 'ts'"):
        rides.features.training_set([{"rider_id": 1, "at": T0}], ["rider_trips:trips"])


# property: event mode equals a brute-force reference ------------------------------------
feature_rows = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 50), st.integers(-5, 5)),
    min_size=1,
    max_size=25,
    unique_by=lambda r: (r[0], r[1]),
)
entity_rows = st.lists(st.tuples(st.integers(0, 4), st.integers(-2, 55)), min_size=1, max_size=15)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(features=feature_rows, entities=entity_rows)
def test_event_mode_matches_a_reference(ws: lw.Workspace, features, entities) -> None:  # noqa: ANN001
    minute = timedelta(minutes=1)
    ws.write(
        "f", [{"k": k, "ts": T0 + t * minute, "v": v} for k, t, v in features], mode="overwrite"
    )
    ws.features.apply(
        [
            Entity("e", "k"),
            FeatureView(
                "fv",
                entity="e",
                timestamp="ts",
                features=["v"],
                source="f",
                ttl=timedelta(minutes=20),
            ),
        ]
    )
    rows = [{"k": k, "at": T0 + t * minute} for k, t in entities]
    got = values(ws.features.training_set(rows, ["fv:v"], point_in_time="event"), "v")
    expected = []
    for k, t in entities:
        seen = [(ft, v) for fk, ft, v in features if fk == k and ft <= t]
        latest = max(seen, default=None)
        expected.append(latest[1] if latest and t - latest[0] <= 20 else None)
    assert got == expected


# property: both modes equal a brute-force reference, with known-at times and ties -------
learned_rows = st.lists(  # (key, event minute, minutes until learned, value)
    st.tuples(st.integers(0, 2), st.integers(0, 30), st.integers(0, 15), st.integers(-5, 5)),
    min_size=1,
    max_size=25,
    unique_by=lambda r: (r[0], r[1], r[2]),  # ties in event time, never in both times
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(features=learned_rows, entities=entity_rows, mode=st.sampled_from(["known", "event"]))
def test_both_modes_match_a_reference_with_known_at_times(
    ws: lw.Workspace,
    features,  # noqa: ANN001
    entities,  # noqa: ANN001
    mode: str,
) -> None:
    minute = timedelta(minutes=1)
    ws.write(
        "f",
        [
            {"k": k, "ts": T0 + t * minute, "v": v, "_lw_ingested_at": T0 + (t + lag) * minute}
            for k, t, lag, v in features
        ],
        mode="overwrite",
    )
    ws.features.apply(
        [
            Entity("e", "k"),
            FeatureView(
                "fv", entity="e", timestamp="ts", features=["v"], source="f", ttl=20 * minute
            ),
        ]
    )
    rows = [{"k": k, "at": T0 + t * minute} for k, t in entities]
    result = ws.features.training_set(rows, ["fv:v"], point_in_time=mode)
    expected, why = [], []
    for k, t in entities:
        seen = [
            (ft, ft + lag, v)
            for fk, ft, lag, v in features
            if fk == k and ft <= t and (mode == "event" or ft + lag <= t)
        ]
        latest = max(seen, default=None)  # latest event time; ties: learned last
        expected.append(latest[2] if latest and t - latest[0] <= 20 else None)
        earlier = any(fk == k and ft <= t for fk, ft, _, _ in features)
        why.append(
            ("with_value" if t - latest[0] <= 20 else "ttl_expired")
            if latest
            else ("not_yet_known" if earlier else "no_earlier_event")
        )
    assert values(result, "v") == expected
    [coverage] = result.coverage
    reasons = ("with_value", "not_yet_known", "no_earlier_event", "ttl_expired")
    assert {r: getattr(coverage, r) for r in reasons} == {r: why.count(r) for r in reasons}


def test_a_row_without_event_time_never_wins_a_tie_in_known_mode(ws: lw.Workspace) -> None:
    learned = T0 + timedelta(hours=1)  # both rows become visible at the same instant
    ws.write(
        "f",
        [
            {"k": 1, "ts": T0, "v": 1, "_lw_ingested_at": learned},
            {"k": 1, "ts": None, "v": 2, "_lw_ingested_at": learned},
        ],
    )
    view = FeatureView("fv", entity="e", timestamp="ts", features=["v"], source="f")
    ws.features.apply([Entity("e", "k"), view])
    rows = [{"k": 1, "at": learned - US}, {"k": 1, "at": learned}]
    assert values(ws.features.training_set(rows, ["fv:v"]), "v") == [None, 1]


def test_event_mode_breaks_ties_only_where_a_version_has_them(ws: lw.Workspace) -> None:
    event = datetime.now(UTC) - timedelta(hours=1)
    write(ws, "rider_events", [{"rider_id": 1, "ts": event, "trips": 10, "rating": 1.0}])
    view = FeatureView(
        "rider_trips", entity="rider", timestamp="ts", features=["trips"], source="rider_events"
    )
    ws.features.apply([rider, view])
    rows = [{"rider_id": 1, "at": event + timedelta(days=1)}]
    plain = ws.features.training_set(rows, ["rider_trips:trips"], point_in_time="event")
    assert values(plain, "trips") == [10]
    assert "__lw_tk" not in plain.sql  # no ties: joined on event time alone
    for trips in (99, 42):  # the same key and event time, learned later each time
        write(ws, "rider_events", [{"rider_id": 1, "ts": event, "trips": trips, "rating": 1.0}])
        tied = ws.features.training_set(rows, ["rider_trips:trips"], point_in_time="event")
        assert values(tied, "trips") == [trips]  # the one learned last
        assert "__lw_tk" in tied.sql


def test_a_re_created_table_is_asked_about_ties_again(ws: lw.Workspace) -> None:
    event = datetime.now(UTC) - timedelta(hours=1)
    row = {"rider_id": 1, "ts": event, "trips": 10, "rating": 1.0}
    write(ws, "rider_events", [row, {**row, "trips": 11}])  # version 0 has a tie
    view = FeatureView(
        "rider_trips", entity="rider", timestamp="ts", features=["trips"], source="rider_events"
    )
    ws.features.apply([rider, view])
    rows = [{"rider_id": 1, "at": event + timedelta(days=1)}]
    tied = ws.features.training_set(rows, ["rider_trips:trips"], point_in_time="event")
    assert "__lw_tk" in tied.sql
    ws.drop_table("rider_events")
    write(ws, "rider_events", [row])  # version 0 again, of another table: no tie
    plain = ws.features.training_set(rows, ["rider_trips:trips"], point_in_time="event")
    assert "__lw_tk" not in plain.sql
    assert values(plain, "trips") == [10]
