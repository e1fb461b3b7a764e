"""Ingest benchmark: one CSV to Parquet/Delta four ways, each in a fresh subprocess.

Generates (once, cached under .bench/) a --rows x 10-column CSV of mixed types (int,
float, string, date, timestamp, bool; ~110 bytes a row), then for each of --repeat
rounds runs every method in its own Python process, which reports its seconds and its
peak RSS (VmHWM from /proc/self/status, the process's high-water mark):

    pandas          pandas.read_csv(csv) then DataFrame.to_parquet
    pyarrow         pyarrow.csv.read_csv then pyarrow.parquet.write_table
    pyarrow_stream  pyarrow.csv.open_csv batches into a pyarrow.parquet.ParquetWriter
    duckdb_copy     COPY (SELECT * FROM read_csv(csv)) TO 'x.parquet'
    lakeworks       ws.ingest(csv, table="bench", progress=False) into a fresh workspace

and two whole commands, timed as processes (start to exit, peak RSS from wait4), the
way a user meets them:

    duckdb_process  python -c "import duckdb; duckdb.execute('COPY ... TO parquet')"
    lakeworks_cli   python -m lakeworks.cli.app --home H ingest csv --table bench

``--shape wide`` generates 20 columns instead (ints, floats, timestamps, quoted strings
with commas and doubled quotes, about 5% empty fields; ~245 bytes a row), as in issue 14.

Prints one JSON document to stdout; progress to stderr.

    python benchmarks/ingest.py --rows 5000000 --repeat 3
    python benchmarks/ingest.py --shape wide --rows 2000000 --repeat 3 \\
        --methods duckdb_process,lakeworks_cli
    python benchmarks/ingest.py --rows 200000 --repeat 1      # quick check
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _common import BENCH_DIR, log, machine, median

METHODS = ["pandas", "pyarrow", "pyarrow_stream", "duckdb_copy", "lakeworks"]
PROCESSES = ["duckdb_process", "lakeworks_cli"]

GENERATE = """
COPY (
  SELECT
    i AS id,
    (hash(i, 1) % 1000)::INTEGER AS quantity,
    round((hash(i, 2) % 1000000) / 100.0, 2) AS price,
    round((hash(i, 3) % 100000) / 100000.0 - 0.5, 5) AS score,
    'customer_' || (hash(i, 4) % 1000000)::VARCHAR AS customer,
    'city_' || lpad((hash(i, 5) % 200)::VARCHAR, 3, '0') AS city,
    substr(md5(i::VARCHAR), 1, 4 + (hash(i, 6) % 12)::INTEGER) AS note,
    DATE '2020-01-01' + (hash(i, 7) % 2000)::INTEGER AS day,
    TIMESTAMP '2025-01-01' + to_seconds((hash(i, 8) % 31536000)::BIGINT) AS ts,
    hash(i, 9) % 2 = 0 AS active
  FROM range({rows}) t(i)
) TO '{path}' (HEADER, DELIMITER ',')
"""


def _empty_5pct(expr: str, k: int) -> str:
    return f"CASE WHEN hash(i, {100 + k}) % 20 = 0 THEN NULL ELSE {expr} END"


WIDE_COLUMNS = (
    ["i AS id"]
    + [_empty_5pct(f"(hash(i, {k}) % 100000)::BIGINT", k) + f" AS n{k}" for k in range(1, 5)]
    + [
        _empty_5pct(f"round((hash(i, {k}) % 10000000) / 1000.0, 3)", k) + f" AS x{k}"
        for k in range(5, 10)
    ]
    + [
        _empty_5pct(f"TIMESTAMP '2025-01-01' + to_seconds((hash(i, {k}) % 31536000)::BIGINT)", k)
        + f" AS t{k}"
        for k in range(10, 13)
    ]
    + [
        _empty_5pct(
            f"'name ' || (hash(i, {k}) % 100000)::VARCHAR || ', said \"hi\" ' "
            f"|| substr(md5(i::VARCHAR), 1, 8 + (hash(i, {k}) % 16)::INTEGER)",
            k,
        )
        + f" AS s{k}"
        for k in range(13, 19)
    ]
    + ["hash(i, 19) % 2 = 0 AS flag"]
)
GENERATE_WIDE = (
    "COPY (SELECT " + ", ".join(WIDE_COLUMNS) + " FROM range({rows}) t(i)) "
    "TO '{path}' (HEADER, DELIMITER ',')"
)


def ensure_csv(path: Path, rows: int, shape: str = "narrow") -> None:
    if path.exists():
        log(f"reusing {path} ({path.stat().st_size / 2**20:.0f} MiB)")
        return
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.csv")
    log(f"generating {rows:,} rows into {path}")
    start = time.perf_counter()
    con = duckdb.connect()
    template = GENERATE_WIDE if shape == "wide" else GENERATE
    con.execute(template.format(rows=rows, path=str(tmp).replace("'", "''")))
    con.close()
    tmp.rename(path)
    log(f"  {path.stat().st_size / 2**20:.0f} MiB in {time.perf_counter() - start:.1f}s")


# --- the child: runs one method, prints its measurements -------------------------------
def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(method: str, csv: Path, out: Path) -> dict:
    extra: dict = {}
    if method == "pandas":
        import pandas as pd

        rss_before = peak_rss_mib()
        start = time.perf_counter()
        df = pd.read_csv(csv)
        df.to_parquet(out / "data.parquet")
        rows = len(df)
    elif method == "pyarrow":
        import pyarrow.csv as pc
        import pyarrow.parquet as pq

        rss_before = peak_rss_mib()
        start = time.perf_counter()
        table = pc.read_csv(csv)
        pq.write_table(table, out / "data.parquet")
        rows = table.num_rows
    elif method == "pyarrow_stream":
        import pyarrow.csv as pc
        import pyarrow.parquet as pq

        rss_before = peak_rss_mib()
        start = time.perf_counter()
        reader = pc.open_csv(csv)
        rows = 0
        with pq.ParquetWriter(out / "data.parquet", reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
                rows += batch.num_rows
    elif method == "duckdb_copy":
        import duckdb

        rss_before = peak_rss_mib()
        start = time.perf_counter()
        con = duckdb.connect()
        src, dst = (str(p).replace("'", "''") for p in (csv, out / "data.parquet"))
        con.execute(f"COPY (SELECT * FROM read_csv('{src}')) TO '{dst}' (FORMAT parquet)")
        rows = con.sql(f"SELECT count(*) FROM read_parquet('{dst}')").fetchall()[0][0]
        con.close()
    elif method == "lakeworks":
        import lakeworks

        rss_before = peak_rss_mib()
        connect_start = time.perf_counter()
        ws = lakeworks.connect(home=str(out / "home"), progress=False)
        start = time.perf_counter()  # timed: the ingest call only, not workspace set-up
        extra = {"connect_s": round(start - connect_start, 3)}
        result = ws.ingest(str(csv), table="bench", progress=False)
        rows = result.rows_written
        extra |= {
            "status": result.status,
            "rows_read": result.rows_read,
            "rows_written": result.rows_written,
            "rows_quarantined": result.rows_quarantined,
            "version": result.version,
        }
    else:
        raise SystemExit(f"unknown method {method}")
    seconds = time.perf_counter() - start
    out_bytes = sum(f.stat().st_size for f in out.rglob("*.parquet"))
    return {
        "method": method,
        "seconds": seconds,
        "rows": rows,
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "rss_after_imports_mib": round(rss_before, 1),
        "parquet_bytes": out_bytes,
        **extra,
    }


# --- whole commands, timed as processes ---------------------------------------------------
def process_command(method: str, csv: Path, out: Path) -> list[str]:
    if method == "duckdb_process":
        src, dst = (str(p).replace("'", "''") for p in (csv, out / "data.parquet"))
        code = (
            "import duckdb; duckdb.execute(\"COPY (SELECT * FROM read_csv('"
            + src
            + "')) TO '"
            + dst
            + "' (FORMAT parquet)\")"
        )
        return [sys.executable, "-c", code]
    if method == "lakeworks_cli":
        home = str(out / "home")
        cli = [sys.executable, "-m", "lakeworks.cli.app", "--home", home]
        return [*cli, "ingest", str(csv), "--table", "bench"]
    raise SystemExit(f"unknown process method {method}")


def run_process(method: str, csv: Path, work: Path, timeout: float) -> dict:
    """Wall time from start to exit and the peak RSS of one command (os.wait4)."""
    out = work / method
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = {**os.environ, "LAKEWORKS_PROGRESS": "false"}
    # the command runs in its own folder: a relative PYTHONPATH=src would silently fall
    # back to the installed lakeworks instead of the checkout being measured
    paths = env.get("PYTHONPATH", "").split(os.pathsep)
    env["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) for p in paths if p)
    start = time.perf_counter()
    proc = subprocess.Popen(
        process_command(method, csv, out),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=out,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stdout, stderr = proc.stdout.read().decode(), proc.stderr.read().decode()
    shutil.rmtree(out, ignore_errors=True)
    if os.waitstatus_to_exitcode(status) != 0:
        log(f"  {method} FAILED: {stderr.strip()[-2000:]}")
        return {"method": method, "error": stderr.strip()[-2000:], "wall_s": wall}
    rows = None
    if method == "lakeworks_cli":
        rows = int(stdout.split("written ")[1].split(",")[0])
    return {
        "method": method,
        "seconds": wall,
        "rows": rows,
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "stdout": stdout.strip()[-500:],
    }


# --- the parent: rounds of fresh subprocesses ------------------------------------------
def run_child(method: str, csv: Path, work: Path, timeout: float) -> dict:
    out = work / method
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    cmd = [sys.executable, __file__, "--child", method, "--csv", str(csv), "--out", str(out)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - start
    shutil.rmtree(out, ignore_errors=True)
    if proc.returncode != 0:
        log(f"  {method} FAILED rc={proc.returncode}: {proc.stderr.strip()[-2000:]}")
        return {"method": method, "error": proc.stderr.strip()[-2000:], "wall_s": wall}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = round(wall, 3)
    return result


def process_goals(results: dict) -> dict:
    """Issue 14: the ingest command within 1.3x of DuckDB COPY's process, under 600 MiB."""
    cli, duck = results.get("lakeworks_cli", {}), results.get("duckdb_process", {})
    if "median_s" not in cli:
        return {}
    goals = {
        "lakeworks_cli_peak_rss_mib": {
            "value": cli["median_peak_rss_mib"],
            "goal": "< 600",
            "met": cli["median_peak_rss_mib"] < 600,
        }
    }
    if "median_s" in duck:
        ratio = cli["median_s"] / duck["median_s"]
        goals["lakeworks_cli_wall_over_duckdb_process"] = {
            "value": round(ratio, 3),
            "goal": "<= 1.3",
            "met": ratio <= 1.3,
        }
    return goals


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=5_000_000)
    p.add_argument("--shape", choices=["narrow", "wide"], default="narrow")
    p.add_argument("--repeat", type=int, default=3, help="rounds; each runs every method once")
    p.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset")
    p.add_argument("--csv", type=Path, default=None, help="CSV to use (default: generated)")
    p.add_argument("--work", type=Path, default=BENCH_DIR / "ingest-work")
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.child:
        print(json.dumps(child(args.child, args.csv, args.out)))
        return

    suffix = "" if args.shape == "narrow" else f"-{args.shape}"
    csv = args.csv or BENCH_DIR / f"ingest-{args.rows}{suffix}.csv"
    ensure_csv(csv, args.rows, args.shape)
    methods = args.methods.split(",")
    runs: dict[str, list[dict]] = {m: [] for m in methods}
    for r in range(args.repeat):
        order = methods[r % len(methods) :] + methods[: r % len(methods)]
        for method in order:
            log(f"round {r + 1}/{args.repeat}: {method}")
            run = run_process if method in PROCESSES else run_child
            res = run(method, csv, args.work, args.timeout)
            runs[method].append(res)
            if "error" not in res:
                log(f"  {res['seconds']:.2f}s, peak RSS {res['peak_rss_mib']:.0f} MiB")

    results = {}
    for method, rs in runs.items():
        ok = [r for r in rs if "error" not in r]
        if not ok:
            results[method] = {"error": rs[-1].get("error") if rs else "not run"}
            continue
        secs = median([r["seconds"] for r in ok])
        rows = ok[0]["rows"] or args.rows
        results[method] = {
            "median_s": round(secs, 3),
            "rows": rows,
            "rows_per_s": round(rows / secs),
            "median_peak_rss_mib": round(median([r["peak_rss_mib"] for r in ok]), 1),
            "max_peak_rss_mib": max(r["peak_rss_mib"] for r in ok),
            "runs_s": [round(r["seconds"], 3) for r in ok],
            "runs_peak_rss_mib": [r["peak_rss_mib"] for r in ok],
            "failures": len(rs) - len(ok),
            "last": ok[-1],
        }

    goals = process_goals(results)
    lw = results.get("lakeworks", {})
    if "median_s" in lw:
        if "median_s" in results.get("pandas", {}):
            speedup = lw["rows_per_s"] / results["pandas"]["rows_per_s"]
            goals["lakeworks_rows_per_s_over_pandas"] = {
                "value": round(speedup, 3),
                "goal": ">= 1.8",
                "met": speedup >= 1.8,
            }
        if "median_s" in results.get("duckdb_copy", {}):
            ratio = lw["median_s"] / results["duckdb_copy"]["median_s"]
            goals["lakeworks_time_over_duckdb_copy"] = {
                "value": round(ratio, 3),
                "goal": "<= 1.3",
                "met": ratio <= 1.3,
            }
        rss = lw["median_peak_rss_mib"]
        goals["lakeworks_peak_rss_mib"] = {"value": rss, "goal": "< 600", "met": rss < 600}
        goals["lakeworks_rows_match"] = {
            "value": lw["last"].get("rows_read"),
            "goal": args.rows,
            "met": lw["last"].get("rows_written") == args.rows,
        }

    doc: dict = {
        "benchmark": "ingest",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "params": {
            "rows": args.rows,
            "repeat": args.repeat,
            "csv": str(csv),
            "csv_bytes": csv.stat().st_size,
            "shape": args.shape,
            "methods": methods,
            "rss_source": "VmHWM of each method's own fresh process",
        },
        "results": results,
        "goals": goals,
    }
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
