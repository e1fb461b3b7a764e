"""Feature store benchmark: training sets, online reads and materialization.

Generates a feature table of --entities x --steps rows (10 float features; default
10,000 x 100 = 1,000,000) and an entity frame of --entity-rows rows (default 100,000) into a
lakeworks workspace under .bench/, then measures, each in its own process for a clean
peak RSS:

- training sets in event mode and in the default as-known-at mode, against a hand-written
  DuckDB ASOF JOIN over the same Parquet files (and checks event mode returns its rows);
  each feature row is learned 0-2 hours after its event time (``_lw_ingested_at``), so the
  as-known-at mode returns older values for some rows;
- materialization of the whole table into SQLite and Redis (latest value per entity);
- in-process online reads: 1 entity x 10 features and 100 entities per call, p50/p99;
- Feast side by side (``benchmarks/features_feast.py``, run with the Python of its own venv
  ``.bench/feast-venv``, file offline store over hard links to the same Parquet files,
  SQLite online store): ``get_historical_features``, ``materialize``, ``get_online_features``,
  and the ratios against the goals of issue 5;
- online over HTTP (``benchmarks/features_http.py``): ``lakeworks server`` versus
  ``feast serve``, driven by ``wrk`` at concurrency 1 and 16.

Prints one JSON document to stdout; progress goes to stderr. Feast's venv, once:

    python -m venv .bench/feast-venv && .bench/feast-venv/bin/pip install feast

    python benchmarks/features.py
    python benchmarks/features.py --entities 1000 --entity-rows 10000   # quick check
    python benchmarks/features.py --no-feast --no-http                   # lakeworks only
    python benchmarks/features.py --only online --entity-rows 20000      # in-process reads
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from _common import BENCH_DIR, log, machine, summary
from features_http import FEAST_PYTHON, run_http

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.features import Entity, FeatureView

FEATURES = [f"f{i}" for i in range(10)]
REDIS_URL = "redis://127.0.0.1:6379/0"
HOUR_US = 3_600_000_000


def prepare(home: Path, entities: int, steps: int, entity_rows: int) -> None:
    marker = home / "prepared.json"
    want = {"entities": entities, "steps": steps, "entity_rows": entity_rows}
    if marker.exists() and json.loads(marker.read_text()) == want:
        return
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    rng = np.random.default_rng(0)
    t0 = np.datetime64("2025-01-01T00:00:00", "us").astype(np.int64)
    ws = lw.connect("bench", settings=Settings.load(home=home, progress=False))
    batch = max(1, 200_000 // steps)
    for start in range(0, entities, batch):  # one commit per batch of entities
        ids = np.arange(start, min(entities, start + batch))
        n = len(ids) * steps
        ts = t0 + np.tile(np.arange(steps), len(ids)) * HOUR_US + rng.integers(0, HOUR_US, n)
        cols = {
            "entity_id": pa.array(np.repeat(ids, steps)),
            "event_ts": pa.array(ts, pa.timestamp("us", "UTC")),
        }
        cols.update({f: pa.array(rng.random(n)) for f in FEATURES})
        # learned 0-2 hours after the event, as if loaded by a feed with some lag
        cols["_lw_ingested_at"] = pa.array(
            ts + rng.integers(0, 2 * HOUR_US, n), pa.timestamp("us", "UTC")
        )
        ws.write("rides", pa.table(cols))
    ws.compact("rides")
    when = t0 + rng.integers(0, steps * HOUR_US, entity_rows)
    pq.write_table(
        pa.table(
            {
                "entity_id": pa.array(rng.integers(0, entities, entity_rows)),
                "ts": pa.array(when, pa.timestamp("us", "UTC")),
                "label": pa.array(rng.integers(0, 2, entity_rows)),
            }
        ),
        home / "entities.parquet",
    )
    ws.features.apply(
        [
            Entity("driver", "entity_id"),
            FeatureView(
                "rides", entity="driver", timestamp="event_ts", features=FEATURES, source="rides"
            ),
        ]
    )
    ws.platform.close()
    marker.write_text(json.dumps(want))


def connect(home: Path, **settings: Any) -> lw.Workspace:
    return lw.connect("bench", settings=Settings.load(home=home, progress=False, **settings))


def part_training(home: Path, mode: str, repeat: int) -> dict[str, Any]:
    ws = connect(home)
    entities = pq.read_table(home / "entities.parquet")
    refs = [f"rides:{f}" for f in FEATURES]
    if mode == "duckdb":
        files = ws.platform.tables.open(ws.ctx, "rides").file_uris()
        listed = ", ".join(f"'{f}'" for f in files)
        selects = ", ".join(f"f.{c}" for c in FEATURES)
        sql = (
            f"SELECT e.*, {selects} FROM entities e ASOF LEFT JOIN read_parquet([{listed}]) f "
            "ON e.entity_id = f.entity_id AND e.ts >= f.event_ts"
        )

        def run() -> pa.Table:
            con = duckdb.connect()
            con.register("entities", entities)
            out = con.sql(sql).to_arrow_table()
            con.close()
            return out
    else:

        def run() -> pa.Table:
            return ws.features.training_set(entities, refs, point_in_time=mode).arrow()

    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    fingerprint = duckdb.sql("SELECT count(*), count(f0), sum(f0), sum(f9) FROM out").fetchall()[0]
    return {
        **summary(times),
        "rows": out.num_rows,
        "check": [round(x, 6) if isinstance(x, float) else x for x in fingerprint],
        "peak_rss_mb": _rss(),
    }


def part_materialize(home: Path, store: str) -> dict[str, Any]:
    ws = _online_ws(home, store)
    start = time.perf_counter()
    result = ws.features.materialize("rides", start="1970-01-01", end="2100-01-01")
    return {
        "seconds": round(time.perf_counter() - start, 4),
        "entities": result.rows,
        "peak_rss_mb": _rss(),
    }


def part_online(home: Path, store: str, calls: int) -> dict[str, Any]:
    ws = _online_ws(home, store)
    ws.features.materialize("rides", start="1970-01-01", end="2100-01-01")
    fs, ctx = ws.platform.features, ws.ctx
    refs = [f"rides:{f}" for f in FEATURES]
    entities = pq.read_metadata(home / "entities.parquet")  # noqa: F841 - size only
    rng = np.random.default_rng(1)
    n = int(json.loads((home / "prepared.json").read_text())["entities"])
    out = {}
    for batch, count in (("1", calls), ("100", max(200, calls // 20))):
        size = int(batch)
        rows = [[{"entity_id": int(k)} for k in rng.integers(0, n, size)] for _ in range(count)]
        for r in rows[:50]:  # warm up
            fs.online(ctx, refs, r)
        lat = []
        for r in rows:
            t = time.perf_counter_ns()
            result = fs.online(ctx, refs, r)
            lat.append(time.perf_counter_ns() - t)
        assert all(s == "present" for s in result.status[0].values())
        lat_ms = np.array(lat) / 1e6
        out[f"entities_{batch}"] = {
            "calls": count,
            "p50_ms": round(float(np.percentile(lat_ms, 50)), 4),
            "p99_ms": round(float(np.percentile(lat_ms, 99)), 4),
            "mean_ms": round(float(lat_ms.mean()), 4),
        }
    return out


def _online_ws(home: Path, store: str) -> lw.Workspace:
    if store == "sqlite":
        online = home / f"online-{uuid.uuid4().hex[:8]}.db"
        return connect(home, online_url=f"sqlite:///{online}")
    ws = connect(home)
    from lakeworks.features.online.redis import RedisOnlineStore

    ws.platform.features.online_store = RedisOnlineStore(
        REDIS_URL, prefix=f"lwbench-{uuid.uuid4().hex[:8]}"
    )
    return ws


def _rss() -> float:
    """Peak RSS of this process in MB (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout)


def feast_source(home: Path) -> Path:
    """A folder of hard links to the Parquet files of the table's current version, for Feast."""
    ws = connect(home)
    files = [Path(f) for f in ws.platform.tables.open(ws.ctx, "rides").file_uris()]
    ws.platform.close()
    folder = home / "feast-source"
    if sorted(p.name for p in folder.glob("*.parquet")) != sorted(f.name for f in files):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for f in files:
            os.link(f, folder / f.name)
    return folder


def feast_child(args: list[str]) -> dict[str, Any]:
    script = Path(__file__).with_name("features_feast.py")
    done = subprocess.run([str(FEAST_PYTHON), str(script), *args], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-4000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_feast(home: Path, args: argparse.Namespace) -> dict[str, Any]:
    if not FEAST_PYTHON.exists():
        return {
            "error": f"{FEAST_PYTHON} not found (python -m venv .bench/feast-venv && "
            ".bench/feast-venv/bin/pip install feast)"
        }
    repo = home / "feast-repo"
    shutil.rmtree(repo, ignore_errors=True)
    out: dict[str, Any] = {}
    try:
        out["setup"] = feast_child(
            ["--repo", str(repo), "--part", "setup", "--source", str(feast_source(home))]
        )
        common = [
            "--repo",
            str(repo),
            "--repeat",
            str(args.feast_repeat),
            "--calls",
            str(args.calls),
            "--n-entities",
            str(args.entities),
        ]
        log("feast: get_historical_features")
        out["historical"] = feast_child(
            [*common, "--part", "historical", "--entities", str(home / "entities.parquet")]
        )
        log("feast: materialize")
        out["materialize"] = feast_child([*common, "--part", "materialize"])
        log("feast: online")
        out["online"] = feast_child([*common, "--part", "online"])
    except Exception as e:  # noqa: BLE001 - record what failed and go on
        out["error"] = str(e)[-4000:]
    return out


def versus_feast(results: dict[str, Any]) -> dict[str, Any]:
    """lakeworks against Feast, figure by figure, with the goals of issue 5."""
    fe, tr = results["feast"], results["training_set"]
    out: dict[str, Any] = {}
    if "historical" in fe:
        h = fe["historical"]
        for mode in ("event", "known"):
            out[f"training_{mode}"] = {
                "feast_over_lakeworks_time": round(h["median_s"] / tr[mode]["median_s"], 1),
                "lakeworks_over_feast_peak_rss": round(
                    tr[mode]["peak_rss_mb"] / h["peak_rss_mb"], 3
                ),
                "goal_peak_rss_at_most_0.2": tr[mode]["peak_rss_mb"] <= h["peak_rss_mb"] / 5,
            }
        out["training_event"]["goal_25x_faster"] = h["median_s"] / tr["event"]["median_s"] >= 25
    if "online" in fe and "online_sqlite" in results:
        lw1, fe1 = results["online_sqlite"]["entities_1"], fe["online"]["entities_1"]
        lw100, fe100 = results["online_sqlite"]["entities_100"], fe["online"]["entities_100"]
        out["online_1"] = {
            "feast_over_lakeworks_p50": round(fe1["p50_ms"] / lw1["p50_ms"], 1),
            "feast_over_lakeworks_p50_with_to_dict": round(
                fe1["to_dict"]["p50_ms"] / lw1["p50_ms"], 1
            ),
            "goal_p50_5x_lower": fe1["p50_ms"] >= 5 * lw1["p50_ms"],
            "goal_p50_at_most_0.1ms": lw1["p50_ms"] <= 0.1,
            "goal_p99_at_most_0.3ms": lw1["p99_ms"] <= 0.3,
        }
        out["online_100"] = {
            "feast_over_lakeworks_p50": round(fe100["p50_ms"] / lw100["p50_ms"], 1),
            "feast_over_lakeworks_mean": round(fe100["mean_ms"] / lw100["mean_ms"], 1),
            "goal_10x_faster": fe100["p50_ms"] >= 10 * lw100["p50_ms"],
        }
    if "materialize" in fe:
        f = fe["materialize"]["seconds"]
        for store in ("sqlite", "redis"):
            if f"materialize_{store}" in results:
                lw_s = results[f"materialize_{store}"]["seconds"]
                out[f"materialize_{store}"] = {
                    "feast_sqlite_over_lakeworks": round(f / lw_s, 1),
                    "goal_3x_faster": f >= 3 * lw_s,
                }
    return out


def run_http_part(home: Path, args: argparse.Namespace, feast_ok: bool) -> dict[str, Any]:
    online = home / "online-http.db"
    online.unlink(missing_ok=True)
    ws = connect(home, online_url=f"sqlite:///{online}")
    ws.features.materialize("rides", start="1970-01-01", end="2100-01-01")
    ws.platform.close()
    repo = home / "feast-repo" if feast_ok else None
    return run_http(home, repo, online, args.entities - 1, args.http_seconds, args.http_runs)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--entities", type=int, default=10_000)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--entity-rows", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--calls", type=int, default=5000)
    p.add_argument("--no-redis", action="store_true")
    p.add_argument("--no-feast", action="store_true", help="skip Feast")
    p.add_argument("--feast-repeat", type=int, default=3, help="get_historical_features runs")
    p.add_argument("--no-http", action="store_true", help="skip the HTTP benchmark")
    p.add_argument("--http-seconds", type=int, default=10, help="per wrk run")
    p.add_argument("--http-runs", type=int, default=3)
    p.add_argument(
        "--only", choices=["online"], help="run one part: online = in-process SQLite reads"
    )
    p.add_argument("--part", help=argparse.SUPPRESS)
    p.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.part:
        kind, _, arg = args.part.partition(":")
        fn = {
            "training": lambda: part_training(args.home, arg, args.repeat),
            "materialize": lambda: part_materialize(args.home, arg),
            "online": lambda: part_online(args.home, arg, args.calls),
        }[kind]
        print(json.dumps(fn()))
        return
    home = BENCH_DIR / f"features-{args.entities}x{args.steps}-{args.entity_rows}"
    log(f"preparing {home}")
    prepare(home, args.entities, args.steps, args.entity_rows)
    common = ["--home", str(home), "--repeat", str(args.repeat), "--calls", str(args.calls)]
    results: dict[str, Any] = {"machine": machine(), "params": vars(args) | {"home": str(home)}}
    if args.only == "online":
        results["online_sqlite"] = child([*common, "--part", "online:sqlite"])
        print(json.dumps(results, indent=2))
        return
    training = {}
    for mode in ("duckdb", "event", "known"):
        log(f"training set: {mode}")
        training[mode] = child([*common, "--part", f"training:{mode}"])
    base = training["duckdb"]["median_s"]
    training["event_vs_duckdb"] = round(training["event"]["median_s"] / base, 3)
    training["known_vs_duckdb"] = round(training["known"]["median_s"] / base, 3)
    training["event_same_rows_as_duckdb"] = (
        training["event"]["check"] == training["duckdb"]["check"]
    )
    results["training_set"] = training
    stores = ["sqlite"] + ([] if args.no_redis else ["redis"])
    for store in stores:
        log(f"materialize + online: {store}")
        results[f"materialize_{store}"] = child([*common, "--part", f"materialize:{store}"])
        results[f"online_{store}"] = child([*common, "--part", f"online:{store}"])
    feast_ok = False
    if not args.no_feast:
        results["feast"] = run_feast(home, args)
        feast_ok = "error" not in results["feast"]
        if "historical" in results["feast"]:
            results["feast"]["historical"]["same_rows_as_event_mode"] = (
                results["feast"]["historical"]["check"] == training["event"]["check"]
            )
        results["lakeworks_vs_feast"] = versus_feast(results)
    if not args.no_http:
        log("online over HTTP")
        results["http"] = run_http_part(home, args, feast_ok)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
