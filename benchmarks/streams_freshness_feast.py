"""Feast side of ``streams_freshness.py``; runs with ``.bench/feast/bin/python``.

A feature view fed by a ``PushSource``; rows like the lakeworks view's values (user,
time, clicks, spend, seq) pushed with ``store.push(..., to=PushMode.ONLINE)`` into the
SQLite online store, ``--pushes`` times ``--rows`` rows; after each push
``get_online_features`` is read until the probe user's ``seq`` is the push's number.
Prints JSON: events/s over the whole loop and push-to-readable latency percentiles.
After setup the process calls ``gc.freeze()``, as the lakeworks processor does with
``freeze_gc=True``, so neither side pays full collections over its warm-up objects.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

PROBE = 10**9
YAML = """project: lwfresh
registry: {repo}/data/registry.db
provider: local
online_store:
  type: sqlite
  path: {repo}/data/online.db
offline_store:
  type: file
entity_key_serialization_version: 3
"""


def setup(repo: Path):  # noqa: ANN201
    from feast import Entity, FeatureStore, FeatureView, Field, FileSource, PushSource
    from feast.types import Float64, Int64
    from feast.value_type import ValueType

    (repo / "data").mkdir(parents=True, exist_ok=True)
    (repo / "feature_store.yaml").write_text(YAML.format(repo=repo))
    seed = pd.DataFrame(
        {"user_id": [0], "ts": [datetime.now(UTC)], "clicks": [0], "spend": [0.0], "seq": [0]}
    )
    seed.to_parquet(repo / "data" / "seed.parquet")
    batch = FileSource(path=str(repo / "data" / "seed.parquet"), timestamp_field="ts")
    user = Entity(name="user", join_keys=["user_id"], value_type=ValueType.INT64)
    view = FeatureView(
        name="fresh",
        entities=[user],
        ttl=timedelta(0),
        schema=[
            Field(name="clicks", dtype=Int64),
            Field(name="spend", dtype=Float64),
            Field(name="seq", dtype=Int64),
        ],
        source=PushSource(name="fresh_push", batch_source=batch),
        online=True,
    )
    store = FeatureStore(repo_path=str(repo))
    store.apply([user, view])
    return store


def main() -> None:
    from feast.data_source import PushMode

    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--pushes", type=int, default=300)
    parser.add_argument("--rows", type=int, default=100)
    args = parser.parse_args()
    store = setup(args.repo)
    gc.collect()  # the lakeworks processor runs with freeze_gc: the same tuning here
    gc.freeze()
    latencies = []
    start = time.perf_counter()
    for number in range(args.pushes):
        users = [(number * args.rows + i) % 1000 for i in range(args.rows - 1)] + [PROBE]
        frame = pd.DataFrame(
            {
                "user_id": users,
                "ts": [datetime.now(UTC)] * args.rows,
                "clicks": [number] * args.rows,
                "spend": [float(number)] * args.rows,
                "seq": [number] * args.rows,
            }
        )
        sent = time.perf_counter()
        store.push("fresh_push", frame, to=PushMode.ONLINE)
        while True:
            got = store.get_online_features(["fresh:seq"], [{"user_id": PROBE}]).to_dict()
            if got["seq"][0] == number:
                break
        latencies.append(time.perf_counter() - sent)
    seconds = time.perf_counter() - start
    q = statistics.quantiles(sorted(latencies), n=100, method="inclusive")
    import feast

    print(
        json.dumps(
            {
                "feast": feast.__version__,
                "events": args.pushes * args.rows,
                "seconds": round(seconds, 3),
                "events_s": round(args.pushes * args.rows / seconds),
                "p50_ms": round(q[49] * 1000, 2),
                "p99_ms": round(q[98] * 1000, 2),
                "max_ms": round(max(latencies) * 1000, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
