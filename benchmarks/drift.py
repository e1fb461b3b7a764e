"""Drift reports side by side: lakeworks vs Evidently's data drift preset, on the same data.

    python benchmarks/drift.py --sizes 200000x20 --repeats 3
    python benchmarks/drift.py --sizes 1000000x100 --repeats 1 --side-timeout 1500

Data: a reference and a current frame of N rows x K float64 columns (seeded). In the
current frame every 5th column is shifted by half its spread, every 10th from the 3rd on
is 1.5x as spread (both drifted), every 10th from the 7th on is shifted by 2% of its
spread (not drifted by the large-sample defaults); every 10th from the 9th on has 5% NaN
on both sides. Both frames are written once as Parquet files and as lakeworks tables.

Sides, each run in its own child process (peak RSS = that child's ``VmHWM``), alternated
within each repeat so that other work on a shared machine falls on all of them:

- ``lakeworks``: ``ws.monitor.compare("reference", "current")`` over the two tables
  (columns read a group at a time from Delta);
- ``lakeworks_frames``: ``pd.read_parquet`` of both files, then ``ws.monitor.compare``
  of the two DataFrames (the same inputs Evidently gets);
- ``evidently`` (``.bench/evidently``: ``python3 -m venv .bench/evidently &&
  .bench/evidently/bin/pip install evidently 'pandas<3'``): ``pd.read_parquet`` of both
  files, then ``Report([DataDriftPreset()]).run(current, reference)``.

Time is the comparison alone (wall ``time_s`` and the process's CPU ``cpu_s``, all
threads: on a shared, overloaded machine CPU time is the steadier measure), after the
imports on both sides (reading the Parquet files is reported apart as ``load_s``; the
whole child process as ``process_s``). Each side's drifted columns are compared with
Evidently's. Prints one JSON
document. Only the standard library is imported at the top: children run in other venvs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BENCH = REPO / ".bench"
EVIDENTLY = BENCH / "evidently" / "bin" / "python"
if not EVIDENTLY.exists():  # a worktree shares the main checkout's peer venvs
    EVIDENTLY = Path("/work/main/.bench/evidently/bin/python")


def log(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# children ----------------------------------------------------------------------------------
def child_setup(folder: Path, rows: int, cols: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    import lakeworks as lw

    rng = np.random.default_rng(17)
    ws = lw.connect(home=str(folder / "lw"), user="bench")
    for role in ("reference", "current"):
        arrays = {}
        for i in range(cols):
            mean, spread = i * 0.5, 1.0 + (i % 7)
            if role == "current" and i % 5 == 0:
                mean += 0.5 * spread
            if role == "current" and i % 10 == 3:
                spread *= 1.5
            if role == "current" and i % 10 == 7:
                mean += 0.02 * spread
            values = rng.normal(mean, spread, rows)
            if i % 10 == 9:
                values[rng.random(rows) < 0.05] = np.nan
            arrays[f"c{i}"] = values
        table = pa.table(arrays)
        del arrays
        pq.write_table(table, folder / f"{role}.parquet", row_group_size=131_072)
        ws.write(role, table, mode="overwrite")
        del table
    ws.platform.close()


def child_lakeworks(folder: Path, frames: bool) -> dict:
    import lakeworks as lw
    import lakeworks.lake.sql  # noqa: F401  (imports before the clock, as `import evidently`)
    import lakeworks.lake.tables  # noqa: F401
    import lakeworks.monitoring.service  # noqa: F401  (SciPy)

    ws = lw.connect(home=str(folder / "lw"), user="bench")
    load = 0.0
    reference, current = "reference", "current"
    if frames:
        import pandas as pd

        start = time.perf_counter()
        reference = pd.read_parquet(folder / "reference.parquet")
        current = pd.read_parquet(folder / "current.parquet")
        load = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    report = ws.monitor.compare(reference, current)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    ws.platform.close()
    drifted = sorted(report.drifted_columns)
    return {"time_s": elapsed, "cpu_s": cpu, "load_s": load, "drifted": drifted}


EVIDENTLY_CHILD = r"""
import json, sys, time
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
folder = sys.argv[1]
start = time.perf_counter()
reference = pd.read_parquet(folder + "/reference.parquet")
current = pd.read_parquet(folder + "/current.parquet")
load = time.perf_counter() - start
start, cpu = time.perf_counter(), time.process_time()
snapshot = Report([DataDriftPreset()]).run(current, reference)
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
drifted = []
for metric in snapshot.dict()["metrics"]:
    config = metric["config"]
    if config.get("type", "").endswith("ValueDrift"):
        p_value = "p_value" in config["method"]
        value, threshold = metric["value"], config["threshold"]
        if (value < threshold) if p_value else (value >= threshold):
            drifted.append(config["column"])
peak = next(int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"time_s": elapsed, "cpu_s": cpu, "load_s": load, "drifted": sorted(drifted),
                  "peak_rss_mb": peak}))
"""


# the parent --------------------------------------------------------------------------------
def run_side(side: str, folder: Path, timeout: float) -> dict:
    if side == "evidently":
        command = [str(EVIDENTLY), "-c", EVIDENTLY_CHILD, str(folder)]
    else:
        command = [sys.executable, __file__, "--child", side, "--folder", str(folder)]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO
        )
    except subprocess.TimeoutExpired:
        return {"side": side, "timed_out_after_s": timeout}
    if done.returncode != 0:
        return {"side": side, "error": done.stderr[-2000:]}
    record = json.loads(done.stdout.strip().splitlines()[-1])
    record.update(side=side, process_s=time.perf_counter() - start)
    record["loadavg_1m"] = round(os.getloadavg()[0], 2)
    return record


def bench(size: str, sides: list[str], repeats: int, timeout: float) -> dict:
    rows, cols = (int(x) for x in size.split("x"))
    folder = BENCH / "drift" / size
    if not (folder / "current.parquet").exists():
        folder.mkdir(parents=True, exist_ok=True)
        log(f"generating {size} in {folder}")
        subprocess.run(
            [sys.executable, __file__, "--child", "setup", "--folder", str(folder), "--size", size],
            check=True,
            env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        )
    runs: dict[str, list[dict]] = {side: [] for side in sides}
    for r in range(repeats):
        order = sides[r % len(sides) :] + sides[: r % len(sides)]
        for side in order:
            record = run_side(side, folder, timeout)
            log(size, json.dumps(record)[:300])
            runs[side].append(record)
    return {"rows": rows, "columns": cols, "sides": _summary(runs)}


def _summary(runs: dict[str, list[dict]]) -> dict:
    out = {}
    reference = next((r["drifted"] for r in runs.get("evidently", []) if "drifted" in r), None)
    for side, records in runs.items():
        ok = [r for r in records if "time_s" in r]
        entry: dict = {"runs": records}
        if ok:
            entry["median_s"] = statistics.median(r["time_s"] for r in ok)
            entry["median_cpu_s"] = statistics.median(r["cpu_s"] for r in ok)
            entry["median_peak_rss_mb"] = statistics.median(r["peak_rss_mb"] for r in ok)
            entry["drifted"] = ok[0]["drifted"]
            if reference is not None:
                entry["same_verdicts_as_evidently"] = all(r["drifted"] == reference for r in ok)
        out[side] = entry
    evidently = out.get("evidently", {})
    for side, entry in out.items():
        if side != "evidently" and "median_s" in entry and "median_s" in evidently:
            entry["speedup_vs_evidently"] = evidently["median_s"] / entry["median_s"]
            entry["cpu_speedup_vs_evidently"] = evidently["median_cpu_s"] / entry["median_cpu_s"]
            entry["rss_share_of_evidently"] = (
                entry["median_peak_rss_mb"] / evidently["median_peak_rss_mb"]
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200000x20,1000000x100")
    parser.add_argument("--sides", default="lakeworks,lakeworks_frames,evidently")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--side-timeout", type=float, default=900)
    parser.add_argument("--child")
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--size")
    a = parser.parse_args()
    if a.child == "setup":
        rows, cols = (int(x) for x in a.size.split("x"))
        child_setup(a.folder, rows, cols)
        return
    if a.child:
        record = child_lakeworks(a.folder, frames=a.child == "lakeworks_frames")
        record["peak_rss_mb"] = peak_mb()
        print(json.dumps(record))
        return
    sys.path.insert(0, str(HERE))
    from _common import machine

    results = {
        "benchmark": "drift",
        "machine": machine(),
        "sizes": [
            bench(size, a.sides.split(","), a.repeats, a.side_timeout)
            for size in a.sizes.split(",")
        ],
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
