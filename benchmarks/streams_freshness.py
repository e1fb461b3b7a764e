"""Freshness of streaming features: an event published to the time its windowed feature
is readable online, at a steady rate (10,000 events/s by default), side by side with
Feast's push API writing the same values to its online store.

lakeworks side: the event log and the online store in Redis; the view's processor runs in
a process of its own (``run_features``, steps every 5 ms, offline commits every second).
This process publishes batches of events every 10 ms; the last event of each batch is for
a probe user and carries the batch number, read back as the ``last`` feature through
``ws.features.online`` in a polling thread: latency = first read showing the batch number
minus the start of its publish call. Also measured: the processor's throughput on a
backlog (events/s).

Feast side (``streams_freshness_feast.py`` in ``.bench/feast``, Feast's own venv): the
same rows pushed with ``store.push(..., to=PushMode.ONLINE)`` (SQLite online store), as
fast as it goes, each push followed by ``get_online_features`` until the probe's value is
there. Prints JSON.

    python benchmarks/streams_freshness.py --seconds 10 --rate 10000
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH_DIR, REPO, log, machine  # noqa: E402

import lakeworks as lw  # noqa: E402
from lakeworks.config import Settings  # noqa: E402
from lakeworks.features import Agg, Entity, StreamFeatureView, Window  # noqa: E402

URL = "redis://127.0.0.1:6379/0"
PROBE = 10**9
VIEW = StreamFeatureView(
    "fresh",
    entity="user",
    stream="clicks",
    timestamp="ts",
    window=Window.tumbling("10s"),
    allowed_lateness="5s",
    features=[Agg("clicks", "count"), Agg("spend", "sum", "amount"), Agg("seq", "last", "seq")],
)
PROCESSOR = """
import signal, sys, threading
import lakeworks as lw
from lakeworks.config import Settings
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
settings = Settings.load(home=sys.argv[1], events_url=sys.argv[2], online_url=sys.argv[2],
                         progress=False)
ws = lw.connect(settings=settings, workspace=sys.argv[3], user="bench")
print("ready", flush=True)
import cProfile, os
run = lambda: ws.streams.run_features(
    "fresh", every="5ms", offline_every=1.0, stop=stop, freeze_gc=True  # as the CLI does
)
if os.environ.get("LW_PROFILE"):
    profile = cProfile.Profile()
    r = profile.runcall(run)
    profile.dump_stats(os.environ["LW_PROFILE"])
else:
    r = run()
print(r.events, r.accepted, r.late, flush=True)
"""


def batch(n: int, number: int, now: float) -> list[dict]:
    rows = [
        {"user_id": (number * n + i) % 1000, "ts": now, "amount": i % 7, "seq": number}
        for i in range(n - 1)
    ]
    return [*rows, {"user_id": PROBE, "ts": now, "amount": 1, "seq": number}]


def lakeworks_freshness(home: Path, seconds: float, rate: int) -> dict:
    workspace = f"bench_{uuid.uuid4().hex[:8]}"
    settings = Settings.load(home=home, events_url=URL, online_url=URL, progress=False)
    ws = lw.connect(settings=settings, workspace=workspace, user="bench", create=True)
    ws.features.apply([Entity("user", join_keys=["user_id"]), VIEW])
    ws.streams.publish("clicks", batch(2, -1, time.time()))  # the group sees the stream
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-c", PROCESSOR, str(home), URL, workspace],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    sent: dict[int, float] = {}
    latencies: list[float] = []
    done = threading.Event()

    def poll() -> None:
        seen = -1
        while not done.is_set() or seen < max(sent, default=-1):
            value = ws.features.online(["fresh:seq"], [{"user_id": PROBE}]).values[0]["seq"]
            at = time.perf_counter()
            if value is not None and value > seen:
                for n in range(seen + 1, value + 1):
                    if n in sent:
                        latencies.append(at - sent[n])
                seen = value
            if done.is_set() and time.perf_counter() - stop_at > 10:
                break
            time.sleep(0.002)

    _until_online(ws)
    poller = threading.Thread(target=poll)
    per_batch = max(2, rate // 100)  # a batch every 10 ms
    start = time.perf_counter()
    stop_at = start + 10**9
    poller.start()
    number = 0
    while time.perf_counter() - start < seconds:
        due = start + number * 0.01
        time.sleep(max(0.0, due - time.perf_counter()))
        sent[number] = time.perf_counter()
        ws.streams.publish("clicks", batch(per_batch, number, time.time()))
        number += 1
    elapsed = time.perf_counter() - start
    stop_at = time.perf_counter()
    done.set()
    poller.join()
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    ws.platform.close()
    return {
        "rate_events_s": round(number * per_batch / elapsed),
        "batches": number,
        "probes_seen": len(latencies),
        **_percentiles(latencies),
        "processor": out.strip(),
    }


def _until_online(ws: lw.Workspace) -> None:
    """Wait for the processor's first step (its group exists, the view is online) and its
    first offline commit: the measured part starts warm."""
    from lakeworks.errors import NotFoundError

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # then its first offline commit (imports, lineage)
        try:
            ws.features.online(["fresh:seq"], [{"user_id": PROBE}])
            if ws.platform.tables.exists(ws.ctx, "fresh_events"):
                time.sleep(2.0)
                return
        except NotFoundError:
            pass
        time.sleep(0.1)
    raise TimeoutError("the processor did not warm up within 120 s")


def lakeworks_throughput(home: Path, events: int) -> dict:
    workspace = f"bench_{uuid.uuid4().hex[:8]}"
    settings = Settings.load(home=home, events_url=URL, online_url=URL, progress=False)
    ws = lw.connect(settings=settings, workspace=workspace, user="bench", create=True)
    ws.features.apply([Entity("user", join_keys=["user_id"]), VIEW])
    now = time.time()
    ws.streams.publish("clicks", batch(1000, -1, now))  # warm-up: imports, first commits
    ws.streams.run_features("fresh", once=True, offline_every=1.0)
    for lo in range(0, events, 10_000):
        ws.streams.publish("clicks", batch(10_000, lo // 10_000, now))
    start = time.perf_counter()
    result = ws.streams.run_features("fresh", once=True, offline_every=1.0)
    seconds = time.perf_counter() - start
    assert result.accepted == events, result
    ws.platform.close()
    return {"events": events, "seconds": round(seconds, 3), "events_s": round(events / seconds)}


def feast_side(folder: Path, pushes: int, rows: int) -> dict:
    python = BENCH_DIR / "feast" / "bin" / "python"
    if not python.exists():
        return {"skipped": f"{python} missing: python3 -m venv .bench/feast && pip install feast"}
    script = Path(__file__).with_name("streams_freshness_feast.py")
    done = subprocess.run(
        [
            str(python),
            str(script),
            "--repo",
            str(folder),
            "--pushes",
            str(pushes),
            "--rows",
            str(rows),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def _percentiles(xs: list[float]) -> dict:
    if not xs:
        return {}
    xs = sorted(xs)
    q = statistics.quantiles(xs, n=100, method="inclusive")
    return {
        "p50_ms": round(q[49] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
        "max_ms": round(xs[-1] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=int, default=10_000)
    parser.add_argument("--backlog", type=int, default=100_000)
    parser.add_argument("--feast-pushes", type=int, default=300)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lw-bench-fresh-"))
    log("lakeworks freshness ...")
    fresh = lakeworks_freshness(folder / "lw1", args.seconds, args.rate)
    log("lakeworks throughput ...")
    throughput = lakeworks_throughput(folder / "lw2", args.backlog)
    log("feast ...")
    feast = feast_side(folder / "feast", args.feast_pushes, max(2, args.rate // 100))
    ratio = {}
    if "events_s" in feast:
        ratio["events_s_lakeworks_over_feast"] = round(
            throughput["events_s"] / feast["events_s"], 1
        )
        ratio["p99_feast_over_lakeworks"] = round(feast["p99_ms"] / fresh["p99_ms"], 1)
    print(
        json.dumps(
            {
                "machine": machine(),
                "lakeworks_freshness": fresh,
                "lakeworks_throughput": throughput,
                "feast": feast,
                "ratio": ratio,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
