"""Streaming features: a feature view over a stream with windows, its values online as
events arrive and offline as Delta appends, on both event logs (SQLite, real Redis).

The consistency test replays a stream with out-of-order and late events in several
micro-batches; at each read time t, every online value equals (1) the batch computation
of the windows in DuckDB over the offline events table as it stood at t (lateness decided
again from the arrival order) and (2) the training set built from the offline feature
table as known at t."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest

import lakeworks as lw
from lakeworks.features import Agg, Entity, StreamFeatureView, Window
from lakeworks.features.stream_values import OFFSET
from lakeworks.streams.windows import WindowQuery

FEATURES = [
    Agg("clicks", "count"),
    Agg("spend", "sum", "amount"),
    Agg("avg_spend", "mean", "amount"),
    Agg("low", "min", "amount"),
    Agg("high", "max", "amount"),
    Agg("last_page", "last", "page"),
    Agg("pages", "distinct_count", "page"),
]
WINDOWS = {
    "tumbling": Window.tumbling("30s"),
    "hopping": Window.hopping("40s", hop="10s"),
    "sliding": Window.sliding("25s"),
}


def view(window: Window, lateness: str = "10s") -> StreamFeatureView:
    return StreamFeatureView(
        "user_clicks",
        entity="user",
        stream="clicks",
        timestamp="ts",
        window=window,
        allowed_lateness=lateness,
        features=FEATURES,
    )


def replay(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` click events over 5 users, an hour ago, out of order by up to 15 s, with
    one in 20 late by a minute or more, some amounts missing."""
    rng = random.Random(seed)
    base = time.time() - 3600
    out = []
    for i in range(n):
        ts = base + i + rng.uniform(-15, 15)
        if rng.random() < 0.05:
            ts -= rng.uniform(60, 120)
        amount = None if rng.random() < 0.1 else rng.choice([1, 2.5, 3, 10])
        out.append({"user_id": rng.randrange(5), "ts": ts, "amount": amount, "page": f"/p{i % 7}"})
    return out


def online(ws: lw.Workspace) -> dict[int, dict[str, Any]]:
    refs = [f"user_clicks:{a.name}" for a in FEATURES]
    got = ws.features.online(refs, [{"user_id": u} for u in range(5)])
    return {u: v for u, v in enumerate(got.values) if v["clicks"] is not None}


def batch(ws: lw.Workspace, sview: StreamFeatureView, upto: int) -> dict[int, dict]:
    events = ws.read("user_clicks_events")
    query = WindowQuery(
        sview.window, sview.features, sview.allowed_lateness, ("user_id",), "ts", OFFSET
    )
    con = duckdb.connect()
    con.register("events", events)
    rows = con.sql(query.sql("events", upto)).to_arrow_table().to_pylist()
    return {r["user_id"]: {a.name: r[a.name] for a in FEATURES} for r in rows}


def known_at(ws: lw.Workspace, at: datetime) -> dict[int, dict]:
    entities = [{"user_id": u, "at": at} for u in range(5)]
    refs = [f"user_clicks:{a.name}" for a in FEATURES]
    got = ws.features.training_set(entities, refs, timestamp="at").table.to_pylist()
    return {r["user_id"]: {a.name: r[a.name] for a in FEATURES} for r in got if r["clicks"]}


def same(a: dict[int, dict], b: dict[int, dict]) -> bool:
    if a.keys() != b.keys():
        return False
    for user in a:
        for name, value in a[user].items():
            other = b[user][name]
            if isinstance(value, float) or isinstance(other, float):
                if other is None or value is None or abs(value - other) > 1e-9:
                    return False
            elif value != other:
                return False
    return True


@pytest.mark.parametrize("kind", list(WINDOWS))
def test_online_values_equal_the_batch_computation_and_the_offline_store_at_each_time(
    sws: lw.Workspace, kind: str
) -> None:
    sview = view(WINDOWS[kind])
    sws.features.apply([Entity("user", join_keys=["user_id"]), sview])
    events = replay(300, seed=len(kind))
    checkpoints, published = [], []
    for start in range(0, len(events), 50):
        chunk = events[start : start + 50]
        ids = sws.streams.publish("clicks", chunk)
        published += ids
        sws.streams.run_features("user_clicks", once=True, offline_every=0.001)
        checkpoints.append(
            (datetime.now(UTC), sws.streams.tail("clicks", 1)[0].offset, online(sws))
        )
        time.sleep(0.002)
    late = sws.read("user_clicks_late").num_rows
    assert late > 0  # the replay did have late events, and they were kept
    assert sws.read("user_clicks_events").num_rows == len(events)
    for at, upto, values in checkpoints:
        assert values, "the online store had values"
        assert same(values, batch(sws, sview, upto)), (kind, at)
        assert same(values, known_at(sws, at)), (kind, at)
