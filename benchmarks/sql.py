"""SQL benchmark: lakeworks ``ws.sql(q).arrow()`` versus raw DuckDB over the same Parquet files.

Generates ``facts`` (--rows rows: id, customer_id, category, amount, ts) and ``customers``
(--customers rows: customer_id, region, segment) into a lakeworks workspace under
.bench/ (reused by later runs with the same sizes), then times a group-by and a join +
group-by both ways, alternating, and the per-query overhead on a tiny table. Prints one
JSON document to stdout; progress goes to stderr.

    python benchmarks/sql.py --rows 10000000 --repeat 5
    python benchmarks/sql.py --rows 200000 --repeat 3      # quick check
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from _common import BENCH_DIR, log, machine, median, summary, timed

import lakeworks

QUERIES = {
    "group_by": (
        "select category, count(*), sum(amount), avg(amount) from facts group by category"
    ),
    "join_group_by": (
        "select c.region, sum(f.amount) from facts f join customers c using (customer_id) "
        "group by c.region"
    ),
}
SMALL_QUERY = "select count(*) from small"
CATEGORIES = pa.array([f"category_{i:02d}" for i in range(50)])
REGIONS = pa.array([f"region_{i:02d}" for i in range(20)])
SEGMENTS = pa.array(["consumer", "corporate", "home_office", "small_business", "enterprise"])


def facts_batches(rows: int, customers: int, batch: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    t0 = np.datetime64("2025-01-01T00:00:00", "us").astype(np.int64)
    year_us = 365 * 24 * 3600 * 1_000_000
    for start in range(0, rows, batch):
        n = min(batch, rows - start)
        yield pa.record_batch(
            {
                "id": pa.array(np.arange(start, start + n, dtype=np.int64)),
                "customer_id": pa.array(rng.integers(0, customers, n, dtype=np.int64)),
                "category": CATEGORIES.take(pa.array(rng.integers(0, len(CATEGORIES), n))),
                "amount": pa.array(rng.gamma(2.0, 50.0, n)),
                "ts": pa.array(t0 + rng.integers(0, year_us, n), pa.timestamp("us")),
            }
        )


def customers_batches(customers: int, batch: int, seed: int = 2):
    rng = np.random.default_rng(seed)
    for start in range(0, customers, batch):
        n = min(batch, customers - start)
        yield pa.record_batch(
            {
                "customer_id": pa.array(np.arange(start, start + n, dtype=np.int64)),
                "region": REGIONS.take(pa.array(rng.integers(0, len(REGIONS), n))),
                "segment": SEGMENTS.take(pa.array(rng.integers(0, len(SEGMENTS), n))),
            }
        )


def reader(batches) -> pa.RecordBatchReader:
    first = next(batches)

    def chain():
        yield first
        yield from batches

    return pa.RecordBatchReader.from_batches(first.schema, chain())


def prepare(home: Path, rows: int, customers: int, batch: int, fresh: bool) -> tuple:
    marker = home / "bench-ready.json"
    want = {"rows": rows, "customers": customers}
    if fresh or not marker.exists() or json.loads(marker.read_text()) != want:
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        ws = lakeworks.connect(home=str(home), progress=False)
        log(f"writing facts ({rows:,} rows) and customers ({customers:,} rows) to {home}")
        t, _ = timed(lambda: ws.write("facts", reader(facts_batches(rows, customers, batch))))
        log(f"  facts written in {t:.1f}s")
        t, _ = timed(lambda: ws.write("customers", reader(customers_batches(customers, batch))))
        log(f"  customers written in {t:.1f}s")
        ws.write("small", pa.table({"n": pa.array(range(100), pa.int64())}))
        marker.write_text(json.dumps(want))
    else:
        log(f"reusing tables in {home}")
    return lakeworks.connect(home=str(home), progress=False), marker


def file_list(ws, table: str) -> str:
    files = ws.platform.tables.open(ws.ctx, table).file_uris()
    return "read_parquet([" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "])"


def raw_sql(ws, query: str) -> str:
    out = query
    for table in ("facts", "customers", "small"):
        out = out.replace(f"from {table}", f"from {file_list(ws, table)}")
        out = out.replace(f"join {table}", f"join {file_list(ws, table)}")
    return out


def run_lakeworks(ws, query: str) -> pa.Table:
    return ws.sql(query).arrow()


def run_raw(sql: str) -> pa.Table:
    con = duckdb.connect()
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


def same_rows(a: pa.Table, b: pa.Table) -> bool:
    """Equal up to row order and float rounding (parallel sums differ in the last bits)."""
    if a.num_rows != b.num_rows or a.num_columns != b.num_columns:
        return False

    def rows(t: pa.Table) -> list[tuple]:
        return sorted(tuple(r.values()) for r in t.to_pylist())

    for x, y in zip(rows(a), rows(b), strict=True):
        for u, v in zip(x, y, strict=True):
            if isinstance(u, float) and isinstance(v, float):
                if not math.isclose(u, v, rel_tol=1e-9):
                    return False
            elif u != v:
                return False
    return True


def compare(ws, query: str, repeat: int, warmup: int) -> dict:
    raw = raw_sql(ws, query)  # file list resolved once, outside the timing
    # the same scan options lakeworks' views use (lakeworks/lake/scans.py: union_by_name)
    raw_ubn = raw.replace("])", "], union_by_name=true)")
    a, b = run_lakeworks(ws, query), run_raw(raw)
    same = same_rows(a, b)
    run_raw(raw_ubn)
    for _ in range(warmup - 1):
        run_lakeworks(ws, query)
        run_raw(raw)
        run_raw(raw_ubn)
    sides = {
        "lw": lambda: run_lakeworks(ws, query),
        "raw": lambda: run_raw(raw),
        "raw_ubn": lambda: run_raw(raw_ubn),
    }
    times: dict[str, list[float]] = {k: [] for k in sides}
    order = list(sides)
    for i in range(repeat):
        # rotate which side goes first so drift/noise hits all evenly
        for name in order[i % 3 :] + order[: i % 3]:
            t, _ = timed(sides[name])
            times[name].append(t)
    lw, rw, uw = times["lw"], times["raw"], times["raw_ubn"]
    ratio = median(lw) / median(rw)
    return {
        "query": query,
        "result_rows": a.num_rows,
        "results_match": bool(same),
        "lakeworks": summary(lw),
        "raw_duckdb": summary(rw),
        "raw_duckdb_union_by_name": summary(uw),
        "ratio_lakeworks_over_raw": round(ratio, 3),
        "ratio_per_run_median": round(median([x / y for x, y in zip(lw, rw, strict=True)]), 3),
        "ratio_lakeworks_over_raw_union_by_name": round(median(lw) / median(uw), 3),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=10_000_000, help="rows in facts")
    p.add_argument("--customers", type=int, default=None, help="rows in customers (rows/10)")
    p.add_argument("--repeat", type=int, default=5, help="timed runs per query and side")
    p.add_argument("--warmup", type=int, default=1, help="untimed runs per query and side")
    p.add_argument("--small-repeat", type=int, default=50, help="runs of the tiny query")
    p.add_argument("--batch", type=int, default=1_000_000, help="rows per generated batch")
    p.add_argument("--home", type=Path, default=None, help="workspace home (under .bench/)")
    p.add_argument("--fresh", action="store_true", help="regenerate the tables")
    args = p.parse_args()
    customers = args.customers or max(1, min(1_000_000, args.rows // 10))
    home = args.home or BENCH_DIR / f"sql-{args.rows}-{customers}"

    ws, _ = prepare(home, args.rows, customers, args.batch, args.fresh)
    info = {name: ws.describe(name) for name in ("facts", "customers", "small")}
    tables = {
        n: {"rows": i.num_rows, "files": i.num_files, "bytes": i.size_bytes, "version": i.version}
        for n, i in info.items()
    }
    log(f"tables: {tables}")

    results = {}
    for name, query in QUERIES.items():
        log(f"timing {name} x{args.repeat}")
        results[name] = compare(ws, query, args.repeat, args.warmup)
        r = results[name]
        log(
            f"  lakeworks {r['lakeworks']['median_s']:.3f}s raw {r['raw_duckdb']['median_s']:.3f}s"
            f" ratio {r['ratio_lakeworks_over_raw']}; raw(union_by_name) "
            f"{r['raw_duckdb_union_by_name']['median_s']:.3f}s ratio "
            f"{r['ratio_lakeworks_over_raw_union_by_name']}"
        )
    log(f"timing tiny query x{args.small_repeat}")
    results["tiny_overhead"] = compare(ws, SMALL_QUERY, args.small_repeat, 3)
    r = results["tiny_overhead"]
    r["overhead_ms"] = round((r["lakeworks"]["median_s"] - r["raw_duckdb"]["median_s"]) * 1000, 2)
    log(
        f"  lakeworks {r['lakeworks']['median_s'] * 1000:.1f}ms raw "
        f"{r['raw_duckdb']['median_s'] * 1000:.1f}ms overhead {r['overhead_ms']}ms"
    )

    goal = 1.1
    doc = {
        "benchmark": "sql",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "params": {
            "rows": args.rows,
            "customers": customers,
            "repeat": args.repeat,
            "warmup": args.warmup,
            "small_repeat": args.small_repeat,
            "home": str(home),
        },
        "tables": tables,
        "results": results,
        "goal": {
            "ratio_max": goal,
            "met": {n: results[n]["ratio_lakeworks_over_raw"] <= goal for n in QUERIES},
        },
    }
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
