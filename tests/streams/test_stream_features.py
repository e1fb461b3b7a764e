"""Streaming features: a feature view over a stream with windows, its values online as
events arrive and offline as Delta appends, on both event logs (SQLite, real Redis).

The consistency test replays a stream with out-of-order and late events in several
micro-batches; at each read time t, every online value equals (1) the batch computation
of the windows in DuckDB over the offline events table as it stood at t (lateness decided
again from the arrival order) and (2) the training set built from the offline feature
table as known at t."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

import lakeworks as lw
from lakeworks.errors import NotFoundError
from lakeworks.features import Agg, Entity, StreamFeatureView, Window
from lakeworks.features.stream_values import OFFSET
from lakeworks.streams.windows import WindowQuery

SRC = Path(__file__).parents[2] / "src"

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
    checkpoints = []
    for start in range(0, len(events), 50):
        chunk = events[start : start + 50]
        sws.streams.publish("clicks", chunk)
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


# bad input, failures and restarts (the embedded log) ------------------------------------
@pytest.fixture
def lws(tmp_path) -> Any:  # noqa: ANN001
    workspace = lw.connect(home=tmp_path / "lw", workspace="default", create=True)
    workspace.features.apply([Entity("user", join_keys=["user_id"]), view(WINDOWS["tumbling"])])
    yield workspace
    workspace.platform.close()


def test_bad_events_are_quarantined_and_late_ones_counted_never_dropped(lws: lw.Workspace) -> None:
    now = time.time() // 30 * 30 - 595  # 5 s into a 30 s window: now and now + 1 share it
    lws.streams.publish(
        "clicks",
        [
            {"user_id": 1, "ts": now, "amount": 2, "page": "/a"},
            "not json {",
            "[1, 2]",
            {"ts": now, "amount": 1},  # no user_id
            {"user_id": 1, "amount": 1},  # no time
            {"user_id": 1, "ts": "yesterday", "amount": 1},
            {"user_id": 1, "ts": now, "amount": "lots"},  # not a number
            {"user_id": 1.5, "ts": now, "amount": 1},  # a float key
            {"user_id": 1, "ts": now - 300, "amount": 5, "page": "/late"},  # late by 5 min
            {"user_id": 1, "ts": now + 1, "amount": 3, "page": "/b"},
        ],
    )
    result = lws.streams.run_features("user_clicks", once=True)
    assert (result.events, result.accepted, result.late, result.quarantined) == (10, 2, 1, 7)
    bad = lws.read("user_clicks_events__quarantine").to_pylist()
    reasons = " | ".join(sorted(b["reason"] for b in bad))
    for expected in (
        "not JSON",
        "not a JSON object",
        "['user_id']",
        "['ts']",
        "ISO 8601",
        "'amount' is 'lots': expected double",
        "'user_id' is 1.5",
    ):
        assert expected in reasons, (expected, reasons)
    assert b"not json {" in {b["raw_bytes"] for b in bad}
    late = lws.read("user_clicks_late").to_pylist()
    assert [r["page"] for r in late] == ["/late"]
    got = online(lws)[1]
    assert (got["clicks"], got["spend"], got["last_page"]) == (2, 5.0, "/b")


# offline_every: 1s commits in the final flush (this thread), 1ms on the writer thread
@pytest.mark.parametrize("offline_every", [1.0, 0.001])
def test_a_failed_commit_advances_nothing_and_the_batch_comes_again(
    lws: lw.Workspace, monkeypatch: pytest.MonkeyPatch, offline_every: float
) -> None:
    events = replay(60, seed=3)
    lws.streams.publish("clicks", events)
    tables = lws.platform.tables
    real = tables.write

    def full_disk(ctx, name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if name == "user_clicks_events":
            raise OSError(28, "No space left on device")
        return real(ctx, name, *args, **kwargs)

    monkeypatch.setattr(tables, "write", full_disk)
    with pytest.raises(OSError, match="No space"):
        lws.streams.run_features("user_clicks", once=True, offline_every=offline_every)
    assert lws.streams.lag("clicks", "user_clicks_features").pending == 60  # nothing acked
    monkeypatch.setattr(tables, "write", real)
    lws.streams.run_features("user_clicks", once=True)
    assert lws.read("user_clicks_events").num_rows == 60
    assert lws.streams.lag("clicks", "user_clicks_features").pending == 0
    assert_features_unique_and_consistent(lws)


@pytest.mark.parametrize("offline_every", [1.0, 0.001])
def test_a_processor_killed_between_commits_writes_no_row_twice(
    lws: lw.Workspace, monkeypatch: pytest.MonkeyPatch, offline_every: float
) -> None:
    events = replay(80, seed=4)
    lws.streams.publish("clicks", events[:40])
    lws.streams.run_features("user_clicks", once=True)
    lws.streams.publish("clicks", events[40:])
    tables = lws.platform.tables
    real = tables.write

    def killed(ctx, name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if name == "user_clicks_events":  # the features table committed, then kill -9
            raise KeyboardInterrupt("killed")
        return real(ctx, name, *args, **kwargs)

    monkeypatch.setattr(tables, "write", killed)
    with pytest.raises(KeyboardInterrupt):
        lws.streams.run_features("user_clicks", once=True, offline_every=offline_every)
    monkeypatch.setattr(tables, "write", real)
    before = lws.read("user_clicks_features").num_rows
    again = lws.streams.run_features("user_clicks", once=True)
    assert again.events == 40 and lws.read("user_clicks_features").num_rows == before
    assert lws.read("user_clicks_events").num_rows == 80
    assert_features_unique_and_consistent(lws)


def assert_features_unique_and_consistent(ws: lw.Workspace) -> None:
    """No event twice, and online equals the batch computation over everything."""
    offsets = ws.read("user_clicks_events").column(OFFSET).to_pylist()
    assert len(offsets) == len(set(offsets))
    sview = StreamFeatureView.from_view(ws.features.get("user_clicks"))
    assert same(online(ws), batch(ws, sview, max(offsets)))


def test_a_view_not_over_a_stream_and_bad_windows_are_refused(lws: lw.Workspace) -> None:
    from lakeworks.errors import InvalidInputError
    from lakeworks.features import FeatureView

    lws.write("plain", [{"user_id": 1, "ts": datetime.now(UTC), "x": 1.0}])
    lws.features.apply(
        [FeatureView("plain_view", entity="user", timestamp="ts", features=["x"], source="plain")]
    )
    with pytest.raises(InvalidInputError, match="not defined over a stream"):
        lws.streams.run_features("plain_view", once=True)
    with pytest.raises(InvalidInputError, match="not an aggregation"):
        Agg("x", "median", "amount")
    with pytest.raises(InvalidInputError, match="count takes no column"):
        Agg("x", "count", "amount")
    with pytest.raises(InvalidInputError, match="not a duration"):
        Window.tumbling("five minutes")
    with pytest.raises(InvalidInputError, match="hop"):
        Window("tumbling", timedelta(seconds=5), timedelta(seconds=1))


def test_a_restarted_processor_rebuilds_its_windows_from_the_events_table(
    lws: lw.Workspace,
) -> None:
    events = replay(120, seed=5)
    lws.streams.publish("clicks", events[:60])
    lws.streams.run_features("user_clicks", once=True)
    lws.platform.close()  # a new process: nothing in memory
    ws = lw.connect(settings=lws.platform.settings, workspace="default")
    ws.streams.publish("clicks", events[60:])
    ws.streams.run_features("user_clicks", once=True)
    assert_features_unique_and_consistent(ws)
    ws.platform.close()


def test_lineage_runs_stream_to_events_to_features_and_small_files_are_compacted(
    lws: lw.Workspace,
) -> None:
    events = replay(40, seed=6)
    stop = threading.Event()
    options = {"stop": stop, "offline_every": 0.001, "compact_every": 2}
    runner = threading.Thread(
        target=lws.streams.run_features, args=("user_clicks",), kwargs=options
    )
    runner.start()
    try:
        for start in range(0, 40, 10):
            lws.streams.publish("clicks", events[start : start + 10])
            deadline = time.monotonic() + 30
            while not drained(lws):
                assert time.monotonic() < deadline
                time.sleep(0.02)
    finally:
        stop.set()
        runner.join(timeout=30)
    sources = {e.source.name for e in lws.lineage("user_clicks_features").upstream}
    assert {"stream:clicks", "user_clicks_events"} <= sources
    assert "stream:clicks" in {e.source.name for e in lws.lineage("user_clicks_events").upstream}
    history = [v.operation for v in lws.history("user_clicks_features")]
    assert history.count("OPTIMIZE") >= 1
    assert_features_unique_and_consistent(lws)  # compaction kept the positions


def drained(ws: lw.Workspace) -> bool:
    try:
        lag = ws.streams.lag("clicks", "user_clicks_features")
    except NotFoundError:  # the processor has not created its group yet
        return False
    return lag.lag == lag.pending == 0


def test_the_cli_runs_a_stream_feature_view(tmp_path) -> None:  # noqa: ANN001
    from ..cli.conftest import Cli

    cli = Cli(tmp_path / "lw")
    ws = lw.connect(home=tmp_path / "lw", workspace="default", create=True)
    ws.features.apply([Entity("user", join_keys=["user_id"]), view(WINDOWS["tumbling"])])
    ws.streams.publish("clicks", replay(30, seed=7) + ["not json"])
    ws.platform.close()
    done = cli("streams", "features", "user_clicks", "--once")
    assert done.exit_code == 0, done.output
    assert "user_clicks: 31 events" in done.output and "1 quarantined" in done.output
    missing = cli("streams", "features", "nope", "--once")
    assert missing.exit_code != 0 and "nope" in missing.output


def test_a_processor_process_commits_on_its_writer_thread_and_stops_clean_on_sigterm(
    tmp_path,  # noqa: ANN001
) -> None:
    """The CLI's long-running processor (offline commits on the writer thread, gc frozen
    after the first): every event committed once, acknowledged, online == batch."""
    home = tmp_path / "lw"
    ws = lw.connect(home=home, workspace="default", create=True)
    ws.features.apply([Entity("user", join_keys=["user_id"]), view(WINDOWS["tumbling"])])
    events = replay(90, seed=8)
    ws.streams.publish("clicks", events[:30])
    command = [sys.executable, "-m", "lakeworks.cli.app", "--home", str(home), "stream"]
    command += ["features", "user_clicks", "--every", "10ms", "--offline-every", "50ms"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), *sys.path])}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        for start in (30, 60):
            _wait(lambda: drained(ws), process)
            ws.streams.publish("clicks", events[start : start + 30])
        _wait(lambda: drained(ws), process)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert b"user_clicks: 90 events" in out
    assert ws.read("user_clicks_events").num_rows == 90
    assert_features_unique_and_consistent(ws)
    ws.platform.close()


def _wait(done: Any, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while not done():
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "the processor did not drain the stream in 60 s"
        time.sleep(0.05)


@pytest.mark.parametrize("seed", range(20))
def test_the_running_aggregates_equal_the_aggregates_of_the_same_rows(seed: int) -> None:
    from lakeworks.streams.windows import Running, compute

    rng = random.Random(seed)
    aggs = tuple(FEATURES)
    rows = []
    for offset in range(rng.randrange(1, 40)):
        amount = rng.choice([None, 1, 2.5, -3, 7])
        values = (None, amount, amount, amount, amount, rng.choice(["/a", "/b", None]), None)
        values = (*values[:6], values[5])
        rows.append((rng.randrange(100), offset, values))
    running = Running(aggs, 0)
    for row in rows:
        running.add(*row)
    expected = {
        a.name: compute(a.function, [(t, o, v[i]) for t, o, v in rows]) for i, a in enumerate(aggs)
    }
    assert running.result() == expected


@pytest.mark.parametrize("kind", list(WINDOWS))
@pytest.mark.parametrize("seed", range(8))
def test_window_values_survive_evictions_equal_to_a_recount_of_every_row(
    kind: str, seed: int
) -> None:
    """Evictions keep each key's running aggregates where no counted row is dropped; the
    values read after every event equal the aggregates of all the key's accepted rows in
    its window (none forgotten, none counted twice)."""
    from lakeworks.streams.windows import WindowState, compute

    rng = random.Random(seed)
    aggs = tuple(FEATURES[:3])
    state = WindowState(WINDOWS[kind], aggs, timedelta(seconds=10))
    accepted: dict[int, list[tuple[int, int, tuple[Any, ...]]]] = {}
    now = 0
    for offset in range(3000):
        now += rng.randrange(0, 400_000)  # event time moves on ~0.2 s an event
        ts = now - rng.randrange(0, 12_000_000)  # some late by up to 12 s
        key, amount = rng.randrange(5), float(rng.randrange(10))
        values = (None, amount, amount)
        if not state.accept((key,), ts, offset, values):
            continue
        accepted.setdefault(key, []).append((ts, offset, values))
        latest, start, got = state.values((key,))
        rows = [r for r in accepted[key] if start <= r[0] <= latest]
        expected = {
            a.name: compute(a.function, [(t, o, v[i]) for t, o, v in rows])
            for i, a in enumerate(aggs)
        }
        assert got == pytest.approx(expected), (kind, offset)
        state.evict()
    assert len(state.keys) <= 5 and sum(map(len, state.keys.values())) < 3000  # it evicted


def test_an_online_store_outage_is_retried_and_loses_nothing(
    lws: lw.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lakeworks.errors import UnavailableError

    monkeypatch.setattr("lakeworks.features.streaming.RETRY_WAIT", 0.01)
    lws.streams.publish("clicks", replay(40, seed=8)[:20])
    lws.streams.run_features("user_clicks", once=True)
    store = lws.platform.features.online_store
    real, calls = store.write, []

    def down_once(*args):  # noqa: ANN002, ANN202
        calls.append(1)
        if len(calls) == 1:
            raise UnavailableError("the online store cannot be reached")
        return real(*args)

    monkeypatch.setattr(store, "write", down_once)
    lws.streams.publish("clicks", replay(40, seed=8)[20:])
    lws.streams.run_features("user_clicks", once=True)
    assert len(calls) >= 2
    assert lws.read("user_clicks_events").num_rows == 40
    assert_features_unique_and_consistent(lws)
