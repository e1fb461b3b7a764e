"""Feast side of the feature store benchmark; runs with the Python of Feast's own venv.

Not run by hand as a rule: ``benchmarks/features.py`` creates the data and calls each part
in its own process (for a clean peak RSS) with ``.bench/feast-venv/bin/python``. Feast reads
the very Parquet files of the lakeworks table (hard links to the files of its current Delta
version, in one folder), through its file offline store (``type: file``, Dask), and keeps
its online store in SQLite. Parts (``--part``):

- ``setup``: write the feature repo (``feature_store.yaml``) and ``apply`` the entity and
  the feature view (10 float features, no TTL: Feast's ``ttl=0`` is "forever", like the
  lakeworks view);
- ``historical``: ``get_historical_features(...).to_df()`` for the entity frame,
  ``--repeat`` times, with the peak RSS (VmHWM) of this process;
- ``materialize``: ``materialize`` of the whole table into a fresh SQLite online store;
- ``online``: ``get_online_features`` p50/p99 for 1 entity x 10 features and for 100
  entities per call (the call alone, and with ``.to_dict()`` to get the values).

Each part prints one JSON document to stdout.

    .bench/feast-venv/bin/python benchmarks/features_feast.py --repo DIR --part setup \
        --source DIR --entities FILE
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

FEATURES = [f"f{i}" for i in range(10)]
REFS = [f"rides:{f}" for f in FEATURES]

YAML = """project: lwbench
registry: {repo}/data/registry.db
provider: local
online_store:
  type: sqlite
  path: {repo}/data/online.db
offline_store:
  type: file
entity_key_serialization_version: 3
"""


def _store(repo: Path) -> Any:
    from feast import FeatureStore

    return FeatureStore(repo_path=str(repo))


def part_setup(repo: Path, source: Path) -> dict[str, Any]:
    from feast import Entity, FeatureView, Field, FileSource
    from feast.types import Float64
    from feast.value_type import ValueType

    (repo / "data").mkdir(parents=True, exist_ok=True)
    (repo / "feature_store.yaml").write_text(YAML.format(repo=repo))
    driver = Entity(name="driver", join_keys=["entity_id"], value_type=ValueType.INT64)
    view = FeatureView(
        name="rides",
        entities=[driver],
        ttl=timedelta(0),
        schema=[Field(name=f, dtype=Float64) for f in FEATURES],
        source=FileSource(path=str(source), timestamp_field="event_ts"),
        online=True,
    )
    store = _store(repo)
    store.apply([driver, view])
    import feast

    return {"feast": feast.__version__, "repo": str(repo)}


def part_historical(repo: Path, entities: Path, repeat: int) -> dict[str, Any]:
    store = _store(repo)
    frame = pq.read_table(entities).to_pandas()
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = store.get_historical_features(entity_df=frame, features=REFS).to_df()
        times.append(time.perf_counter() - start)
    assert out is not None
    check = [int(len(out)), int(out["f0"].count()), float(out["f0"].sum()), float(out["f9"].sum())]
    return {
        **_summary(times),
        "rows": int(len(out)),
        "check": [round(x, 6) if isinstance(x, float) else x for x in check],
        "peak_rss_mb": _rss(),
    }


def part_materialize(repo: Path) -> dict[str, Any]:
    online = repo / "data" / "online.db"
    online.unlink(missing_ok=True)
    store = _store(repo)
    store.apply([store.get_entity("driver"), store.get_feature_view("rides")])  # tables
    start = time.perf_counter()
    store.materialize(
        start_date=datetime(1970, 1, 2, tzinfo=UTC),
        end_date=datetime(2100, 1, 1, tzinfo=UTC),
    )
    seconds = time.perf_counter() - start
    import sqlite3

    con = sqlite3.connect(online)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    keys = max(
        (
            con.execute(f'SELECT count(DISTINCT entity_key) FROM "{t}"').fetchone()[0]
            for t in tables
        ),
        default=0,
    )
    con.close()
    return {"seconds": round(seconds, 4), "entities": int(keys), "peak_rss_mb": _rss()}


def part_online(repo: Path, n_entities: int, calls: int) -> dict[str, Any]:
    store = _store(repo)
    rng = np.random.default_rng(1)
    out: dict[str, Any] = {}
    for batch, count in (("1", calls), ("100", max(200, calls // 20))):
        size = int(batch)
        rows = [
            [{"entity_id": int(k)} for k in rng.integers(0, n_entities, size)] for _ in range(count)
        ]
        for r in rows[:50]:  # warm up
            store.get_online_features(features=REFS, entity_rows=r).to_dict()
        call, with_dict = [], []
        for r in rows:
            t = time.perf_counter_ns()
            resp = store.get_online_features(features=REFS, entity_rows=r)
            t1 = time.perf_counter_ns()
            values = resp.to_dict()
            t2 = time.perf_counter_ns()
            call.append(t1 - t)
            with_dict.append(t2 - t)
        assert all(v is not None for v in values["f0"]), "missing online values"
        out[f"entities_{batch}"] = {"calls": count, **_lat(call), "to_dict": _lat(with_dict)}
    return out


def _lat(ns: list[int]) -> dict[str, float]:
    ms = np.array(ns) / 1e6
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 4),
        "p99_ms": round(float(np.percentile(ms, 99)), 4),
        "mean_ms": round(float(ms.mean()), 4),
    }


def _summary(xs: list[float]) -> dict[str, Any]:
    return {
        "median_s": round(float(np.median(xs)), 6),
        "min_s": round(min(xs), 6),
        "max_s": round(max(xs), 6),
        "runs_s": [round(x, 6) for x in xs],
    }


def _rss() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repo", type=Path, required=True)
    p.add_argument("--part", required=True)
    p.add_argument("--source", type=Path)
    p.add_argument("--entities", type=Path)
    p.add_argument("--n-entities", type=int, default=10_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--calls", type=int, default=5000)
    args = p.parse_args()
    fn = {
        "setup": lambda: part_setup(args.repo, args.source),
        "historical": lambda: part_historical(args.repo, args.entities, args.repeat),
        "materialize": lambda: part_materialize(args.repo),
        "online": lambda: part_online(args.repo, args.n_entities, args.calls),
    }[args.part]
    print(json.dumps(fn()))


if __name__ == "__main__":
    main()
