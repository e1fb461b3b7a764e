"""Quality checks: lakeworks vs one hand-written DuckDB query; per-call overhead; profiles.

    python benchmarks/quality.py --rows 2000000 --tables 1000 > quality.json
    python benchmarks/quality.py --dirty --rows 5000000 --rounds 3 > quality-dirty.json

``--dirty``: a 12-column table with ten checks where 0.1% of the rows (every 1,000th)
break nine of them, so every failing check also gathers its sample of violating rows;
only the big table's check and the hand-written query run, in alternating children
(``--rounds`` of each), so that both sides see the same machine.

Prints one JSON object. Each measured side runs in its own child process so its peak
RSS is its own. Great Expectations / pandera are not run here (they would live in their
own venvs under .bench/); see docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

GENERATE = """
SELECT
  i AS id,
  ['a', 'b', 'c', 'd', 'e'][1 + i % 5] AS cat,
  (i % 1000) * 1.5 AS amount,
  (i % 100)::INTEGER AS qty,
  'user' || i || '@example.com' AS email,
  'C' || lpad((i % 10000)::VARCHAR, 5, '0') AS code,
  CASE WHEN i % 10 = 0 THEN NULL ELSE (i % 50) * 1.0 END AS maybe,
  TIMESTAMP '2026-01-01' + to_seconds(i % 86400) AS at,
  i % 2 = 0 AS flag,
  ((i * 7919) % 10000) / 100.0 AS score
FROM range({rows}) t(i)
"""

HAND_WRITTEN = """
SELECT
  count(*) AS n,
  count_if(id IS NULL) AS id_nulls,
  count(id) - count(DISTINCT id) AS id_dupes,
  count_if(cat IS NULL) AS cat_nulls,
  count_if(cat NOT IN ('a', 'b', 'c', 'd', 'e')) AS cat_bad,
  count_if(amount < 0 OR amount > 1500) AS amount_bad,
  count_if(qty < 0 OR qty > 99) AS qty_bad,
  count_if(NOT regexp_matches(email, '^[a-z0-9]+@example\\.com$')) AS email_bad,
  count_if(email IS NULL) AS email_nulls,
  count_if(maybe < 0 OR maybe > 49) AS maybe_bad,
  count_if(length(code) < 6 OR length(code) > 6) AS code_bad,
  count_if(score < 0 OR score > 100) AS score_bad
FROM read_parquet({files})
"""


# --dirty: 12 columns; rows with i % 1000 = 7 break nine of the ten DIRTY_CHECKS (a
# repeated id, a bad category, amount, qty, email, maybe, code and score, a null region)
DIRTY = """
SELECT
  CASE WHEN i % 1000 = 7 THEN i - 1 ELSE i END AS id,
  CASE WHEN i % 1000 = 7 THEN 'z' ELSE ['a', 'b', 'c', 'd', 'e'][1 + i % 5] END AS cat,
  CASE WHEN i % 1000 = 7 THEN -1.0 ELSE (i % 1000) * 1.5 END AS amount,
  CASE WHEN i % 1000 = 7 THEN 200 ELSE i % 100 END::INTEGER AS qty,
  CASE WHEN i % 1000 = 7 THEN 'BAD' ELSE 'user' || i || '@example.com' END AS email,
  CASE WHEN i % 1000 = 7 THEN 'C1' ELSE 'C' || lpad((i % 10000)::VARCHAR, 5, '0') END AS code,
  CASE WHEN i % 1000 = 7 THEN 99.0 WHEN i % 10 = 0 THEN NULL ELSE (i % 50) * 1.0 END AS maybe,
  TIMESTAMP '2026-01-01' + to_seconds(i % 86400) AS at,
  i % 2 = 0 AS flag,
  CASE WHEN i % 1000 = 7 THEN -5.0 ELSE ((i * 7919) % 10000) / 100.0 END AS score,
  CASE WHEN i % 1000 = 7 THEN NULL ELSE ['north', 'south', 'east', 'west'][1 + i % 4] END
    AS region,
  'note ' || (i % 97) AS note
FROM range({rows}) t(i)
"""

DIRTY_HAND_WRITTEN = """
SELECT
  count(*) AS n,
  count_if(id IS NULL) AS id_nulls,
  count(id) - count(DISTINCT id) AS id_dupes,
  count_if(cat NOT IN ('a', 'b', 'c', 'd', 'e')) AS cat_bad,
  count_if(amount < 0 OR amount > 1500) AS amount_bad,
  count_if(qty < 0 OR qty > 99) AS qty_bad,
  count_if(NOT regexp_matches(email, '^[a-z0-9]+@example\\.com$')) AS email_bad,
  count_if(maybe < 0 OR maybe > 49) AS maybe_bad,
  count_if(length(code) < 6 OR length(code) > 6) AS code_bad,
  count_if(score < 0 OR score > 100) AS score_bad,
  count_if(region IS NULL) AS region_nulls
FROM read_parquet({files})
"""


def dirty_checks():  # noqa: ANN201
    from lakeworks.quality import checks as qc

    return [
        qc.not_null("id"),
        qc.unique("id"),
        qc.accepted_values("cat", ["a", "b", "c", "d", "e"]),
        qc.between("amount", 0, 1500),
        qc.between("qty", 0, 99),
        qc.matches("email", r"^[a-z0-9]+@example\.com$"),
        qc.between("maybe", 0, 49),
        qc.length("code", 6, 6),
        qc.between("score", 0, 100),
        qc.not_null("region"),
    ]


def checks():  # noqa: ANN201
    from lakeworks.quality import checks as qc

    return [
        qc.not_null("id"),
        qc.unique("id"),
        qc.not_null("cat"),
        qc.accepted_values("cat", ["a", "b", "c", "d", "e"]),
        qc.between("amount", 0, 1500),
        qc.between("qty", 0, 99),
        qc.matches("email", r"^[a-z0-9]+@example\.com$"),
        qc.not_null("email"),
        qc.between("maybe", 0, 49),  # a nullable range
        qc.length("code", 6, 6),
        qc.between("score", 0, 100),
    ]


def connect(home: Path):  # noqa: ANN201
    import lakeworks as lw

    return lw.connect(home=str(home), progress=False, lineage_transport="none")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best(fn, repeat: int) -> list[float]:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


# children: one measurement each, printed as JSON ---------------------------------------
def child_setup(home: Path, rows: int, dirty: bool = False) -> dict:
    import duckdb

    ws = connect(home)
    generate = DIRTY if dirty else GENERATE
    reader = duckdb.sql(generate.format(rows=rows)).to_arrow_reader(100_000)
    start = time.perf_counter()
    ws.write("big", reader)
    write_s = time.perf_counter() - start
    ws.quality.add("big", dirty_checks() if dirty else checks())
    ws.platform.quality.close()  # the background profile done before anything is timed
    return {"write_s": write_s, "profile_on_write_included": True}


def child_lakeworks(home: Path, repeat: int, dirty: bool = False) -> dict:
    ws = connect(home)
    ws.quality.run("big")  # warm the catalog connection
    report = ws.quality.run("big")
    times = best(lambda: ws.quality.run("big"), repeat)
    assert len(report.results) == (10 if dirty else 11)
    failed = [r for r in report.results if r.status == "failed"]
    if dirty:  # nine failing checks, each with its sample
        assert len(failed) == 9 and all(len(r.sample or ()) == 5 for r in failed), report
    return {
        "times_s": times,
        "passed": report.passed,
        "failed": len(failed),
        "peak_rss_mb": peak_mb(),
    }


def _files(home: Path) -> list[str]:
    ws = connect(home)
    return ws.platform.tables.open(ws.ctx, "big").file_uris()


def child_duckdb(home: Path, repeat: int, dirty: bool = False) -> dict:
    import duckdb

    files = _files(home)
    query = (DIRTY_HAND_WRITTEN if dirty else HAND_WRITTEN).format(
        files=json.dumps(files).replace('"', "'")
    )
    con = duckdb.connect()
    row = con.execute(query).fetchall()[0]  # execute: planned once (a relation plans twice)
    times = best(lambda: con.execute(query).fetchall(), repeat)
    return {"times_s": times, "violations": sum(row[1:]), "peak_rss_mb": peak_mb()}


def child_profile(home: Path, repeat: int) -> dict:
    import inspect

    import duckdb

    from lakeworks.lake import scans
    from lakeworks.lake.versions import arrow_schema
    from lakeworks.quality import profiles

    ws = connect(home)
    dt = ws.platform.tables.open(ws.ctx, "big")
    files = json.dumps(dt.file_uris()).replace('"', "'")
    con = duckdb.connect()
    # the lake takes its storage since the explicit wiring; earlier commits took the platform
    wired = "storage" in inspect.signature(scans.register).parameters
    scans.register(con, "big", dt, ws.platform.storage if wired else ws.platform)
    ours = best(lambda: profiles.compute(con, "big", arrow_schema(dt)), repeat)
    summarize = best(
        lambda: con.sql(f"SUMMARIZE SELECT * FROM read_parquet({files})").fetchall(), repeat
    )
    return {"profile_s": ours, "summarize_s": summarize}


def child_small(home: Path, tables: int, rows: int) -> dict:
    import duckdb

    ws = connect(home)
    small = duckdb.sql(GENERATE.format(rows=rows)).to_arrow_table()
    names = [f"s{i}" for i in range(tables)]
    start = time.perf_counter()
    for name in names:
        ws.write(name, small)
        ws.quality.add(name, checks())
    ws.platform.quality.close()  # background profiles done before timing
    setup_s = time.perf_counter() - start
    con = duckdb.connect()

    def hand_written() -> None:  # the same checks as one query on each table's files
        for name in names:
            files = ws.platform.tables.open(ws.ctx, name).file_uris()
            con.execute(HAND_WRITTEN.format(files=json.dumps(files).replace('"', "'"))).fetchall()

    def ours() -> None:
        for name in names:
            ws.quality.run(name)

    cold = timed(ours, tables)  # each table's Delta log opened the first time
    hand_cold = timed(hand_written, tables)
    warm = timed(ours, tables)
    hand_warm = min(timed(hand_written, tables) for _ in range(2))
    warm = min(warm, timed(ours, tables))
    return {
        "tables": tables,
        "rows_each": rows,
        "setup_s": setup_s,
        "per_call_ms": cold,
        "duckdb_hand_written_per_call_ms": hand_cold,
        "overhead_per_call_ms": cold - hand_cold,
        "warm_per_call_ms": warm,
        "warm_duckdb_hand_written_per_call_ms": hand_warm,
        "warm_overhead_per_call_ms": warm - hand_warm,
    }


def timed(fn, count: int) -> float:  # noqa: ANN001
    """Milliseconds per item of one call of ``fn`` over ``count`` items."""
    start = time.perf_counter()
    fn()
    return 1000 * (time.perf_counter() - start) / count


CHILDREN = {
    "setup": lambda a: child_setup(a.home, a.rows, a.dirty),
    "lakeworks": lambda a: child_lakeworks(a.home, a.repeat, a.dirty),
    "duckdb": lambda a: child_duckdb(a.home, a.repeat, a.dirty),
    "profile": lambda a: child_profile(a.home, a.repeat),
    "small": lambda a: child_small(a.small_home, a.tables, 1000),
}


def run_child(mode: str, args: argparse.Namespace) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--home",
        str(args.home),
        "--small-home",
        str(args.small_home),
        "--rows",
        str(args.rows),
        "--tables",
        str(args.tables),
        "--repeat",
        str(args.repeat),
        *(["--dirty"] if args.dirty else []),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def dirty_report(args: argparse.Namespace, setup: dict) -> dict:
    """``--rounds`` alternating pairs of children: lakeworks, then the hand-written query."""
    ours, hand = [], []
    for _ in range(args.rounds):
        ours.append(run_child("lakeworks", args))
        hand.append(run_child("duckdb", args))
    lw_times = [t for r in ours for t in r["times_s"]]
    dd_times = [t for r in hand for t in r["times_s"]]
    lw_s, dd_s = statistics.median(lw_times), statistics.median(dd_times)
    return {
        "benchmark": "quality --dirty",
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "rows": args.rows,
        "columns": 12,
        "checks": 10,
        "failing_checks": ours[0]["failed"],
        "write_s": round(setup["write_s"], 3),
        "lakeworks_run": {
            "median_s": round(lw_s, 4),
            "times_s": [round(t, 4) for t in lw_times],
            "peak_rss_mb": round(max(r["peak_rss_mb"] for r in ours)),
        },
        "duckdb_hand_written": {
            "median_s": round(dd_s, 4),
            "times_s": [round(t, 4) for t in dd_times],
            "violations": hand[0]["violations"],
            "peak_rss_mb": round(max(r["peak_rss_mb"] for r in hand)),
        },
        "ratio_lakeworks_to_duckdb": round(lw_s / dd_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dirty", action="store_true")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--child")
    parser.add_argument("--home", type=Path)
    parser.add_argument("--small-home", type=Path)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](args)))
        return
    with tempfile.TemporaryDirectory(
        dir=ROOT / ".bench" if (ROOT / ".bench").exists() else None
    ) as tmp:
        args.home, args.small_home = Path(tmp) / "big", Path(tmp) / "small"
        setup = run_child("setup", args)
        if args.dirty:
            print(json.dumps(dirty_report(args, setup), indent=2))
            return
        ours, hand = run_child("lakeworks", args), run_child("duckdb", args)
        profile = run_child("profile", args)
        small = run_child("small", args)
    lw_s, dd_s = statistics.median(ours["times_s"]), statistics.median(hand["times_s"])
    print(
        json.dumps(
            {
                "benchmark": "quality",
                "machine": {
                    "python": platform.python_version(),
                    "cpus": __import__("os").cpu_count(),
                },
                "rows": args.rows,
                "checks": 11,
                "write_with_profile_s": round(setup["write_s"], 3),
                "lakeworks_run": {
                    "median_s": round(lw_s, 4),
                    "peak_rss_mb": round(ours["peak_rss_mb"]),
                },
                "duckdb_hand_written": {
                    "median_s": round(dd_s, 4),
                    "peak_rss_mb": round(hand["peak_rss_mb"]),
                },
                "ratio_lakeworks_to_duckdb": round(lw_s / dd_s, 3),
                "profile_s": round(statistics.median(profile["profile_s"]), 4),
                "summarize_s": round(statistics.median(profile["summarize_s"]), 4),
                "ratio_profile_to_summarize": round(
                    statistics.median(profile["profile_s"])
                    / statistics.median(profile["summarize_s"]),
                    3,
                ),
                "small_tables": {
                    k: round(v, 3) if isinstance(v, float) else v for k, v in small.items()
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
