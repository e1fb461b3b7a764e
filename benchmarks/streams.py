"""Streams into Delta: small JSON events (10 fields) from Redis Streams into a Delta
table in micro-batches, lakeworks' exactly-once sink side by side with a hand-written
XREADGROUP + pyarrow JSON + write_deltalake + XACK loop (the engine limit).

The stream is published once; each run reads all of it through a fresh consumer group
into a fresh table, the two sides alternating, and the medians are compared. Prints JSON.

    python benchmarks/streams.py --events 300000 --rounds 3
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyarrow.json as pj  # noqa: E402
import redis  # noqa: E402
from _common import log, machine, median  # noqa: E402
from deltalake import write_deltalake  # noqa: E402

import lakeworks as lw  # noqa: E402
from lakeworks.config import Settings  # noqa: E402

URL = "redis://127.0.0.1:6379/0"


def event(i: int) -> dict:
    return {
        "id": i,
        "user_id": i % 9973,
        "page": f"/products/{i % 500}",
        "referrer": ("search", "ads", "direct")[i % 3],
        "country": ("DE", "FR", "US", "IN")[i % 4],
        "device": "mobile" if i % 2 else "desktop",
        "duration_ms": (i * 37) % 60_000,
        "price": round((i % 10_000) / 7, 2),
        "ok": i % 11 != 0,
        "ts": "2026-12-01T10:00:00",
    }


def lakeworks_side(ws: lw.Workspace, stream: str, n: int, batch: int) -> dict:
    table = f"t_{uuid.uuid4().hex[:8]}"
    group = f"g_{uuid.uuid4().hex[:8]}"
    start, cpu = time.perf_counter(), time.process_time()
    result = ws.streams.ingest(stream, table, group=group, once=True, max_batch=batch, every=1)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert result.written == n, result
    assert ws.read(table, columns=["id"]).num_rows == n
    return {"seconds": seconds, "cpu": cpu, "batches": result.batches}


def hand_side(client: redis.Redis, key: str, folder: Path, n: int, batch: int) -> dict:
    group, path = f"h_{uuid.uuid4().hex[:8]}", folder / uuid.uuid4().hex[:8]
    start, cpu = time.perf_counter(), time.process_time()
    client.xgroup_create(key, group, id="0")
    batches = rows = 0
    while True:
        reply = client.xreadgroup(group, "c", {key: ">"}, count=batch)
        entries = reply[0][1] if reply else []
        if not entries:
            break
        data = b"\n".join(fields[b"d"] for _, fields in entries)
        table = pj.read_json(io.BytesIO(data), read_options=pj.ReadOptions(block_size=16 << 20))
        write_deltalake(str(path), table, mode="append")
        client.xack(key, group, *[i for i, _ in entries])
        batches, rows = batches + 1, rows + table.num_rows
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert rows == n
    return {"seconds": seconds, "cpu": cpu, "batches": batches}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--batch", type=int, default=100_000, help="events per micro-batch")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="lw-bench-streams-"))
    workspace = f"bench_{uuid.uuid4().hex[:8]}"
    settings = Settings.load(home=home, events_url=URL, progress=False)
    ws = lw.connect(settings=settings, workspace=workspace, user="bench")
    client = redis.Redis.from_url(URL)
    key = f"lw:events:{workspace}/clicks"
    try:
        start = time.perf_counter()
        for lo in range(0, args.events, 50_000):
            ws.streams.publish(
                "clicks", [event(i) for i in range(lo, min(lo + 50_000, args.events))]
            )
        publish_s = time.perf_counter() - start
        log(f"published {args.events} events in {publish_s:.1f} s")
        runs: dict[str, list[float]] = {"lakeworks": [], "hand": []}
        cpus: dict[str, list[float]] = {"lakeworks": [], "hand": []}
        for round_ in range(args.rounds):
            order = ("lakeworks", "hand") if round_ % 2 == 0 else ("hand", "lakeworks")
            for side in order:
                if side == "lakeworks":
                    out = lakeworks_side(ws, "clicks", args.events, args.batch)
                else:
                    out = hand_side(client, key, home / "hand", args.events, args.batch)
                runs[side].append(out["seconds"])
                cpus[side].append(out["cpu"])
                log(
                    f"round {round_} {side}: {out['seconds']:.2f} s "
                    f"(consumer CPU {out['cpu']:.2f} s), {out['batches']} batches"
                )
        lake, hand = median(runs["lakeworks"]), median(runs["hand"])
        print(
            json.dumps(
                {
                    "benchmark": "streams_into_delta",
                    "machine": machine(),
                    "events": args.events,
                    "fields": 10,
                    "payload_bytes": len(json.dumps(event(1), separators=(",", ":"))),
                    "micro_batch_events": args.batch,
                    "rounds": args.rounds,
                    "publish_events_per_s": round(args.events / publish_s),
                    "lakeworks": {
                        "median_s": round(lake, 3),
                        "events_per_s": round(args.events / lake),
                        "runs_s": [round(x, 3) for x in runs["lakeworks"]],
                        "consumer_cpu_median_s": round(median(cpus["lakeworks"]), 3),
                    },
                    "hand_written": {
                        "median_s": round(hand, 3),
                        "events_per_s": round(args.events / hand),
                        "runs_s": [round(x, 3) for x in runs["hand"]],
                        "consumer_cpu_median_s": round(median(cpus["hand"]), 3),
                    },
                    "ratio_lakeworks_over_hand": round(lake / hand, 3),
                },
                indent=2,
            )
        )
    finally:
        ws.platform.close()
        client.delete(key)
        client.close()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
