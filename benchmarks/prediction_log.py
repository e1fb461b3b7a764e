"""The cost of the prediction log: requests/s and latency with ``serving_log`` on and off.

A GradientBoostingClassifier (100 trees, 20 features) behind an endpoint, served by two
uvicorn workers in their own processes on one home: one with the log on, one with it off
(``LAKEWORKS_SERVING_LOG``). An asyncio httpx load generator in this process sends
single-row JSON requests to one of them at a time, for ``--seconds`` per slice,
alternating on / off (the order swapped every repeat) so load from other work on a shared
machine falls on both; the medians over the slices and their ratio are printed as one JSON
document. After both servers stopped (the shutdown flushes the log), the rows in
``_predictions`` are counted against the requests the log-on server answered: ``lost``
must be 0. First, the same alternation in this process (one thread calling
``platform.serving.predict``, no HTTP), where the log's own cost weighs more: log with
its write-ahead spool (``spool``, the default), log in memory only (``memory``), log off;
and the cost of one ``PredictionLog.record`` call with and without the spool (the
request-path part of logging, microseconds, the writer thread held back).

    python benchmarks/prediction_log.py --seconds 3 --repeats 8 --concurrency 1 32
    python benchmarks/prediction_log.py --in-process-only --seconds 2 --repeats 6
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd


def prepare(home: Path) -> dict:
    from sklearn.ensemble import GradientBoostingClassifier

    from lakeworks.config import Settings
    from lakeworks.context import Context
    from lakeworks.platform import Platform

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(2000, 20)), columns=[f"f{i}" for i in range(20)])
    target = (frame.f0 + frame.f1 > 0).astype("int64")
    model = GradientBoostingClassifier(n_estimators=100).fit(frame, target)
    platform = Platform.open(Settings.load(home=home, progress=False))
    ctx = Context(workspace="default", user="bench")
    platform.catalog.create_workspace("default", "bench", exist_ok=True)
    platform.registry.register(ctx, "gbc", model=model, training_data=frame)
    platform.serving.deploy(ctx, "gbc", "gbc/1")
    platform.close()
    return frame.iloc[0].to_dict()


def logged_rows(home: Path) -> int:
    from lakeworks.config import Settings
    from lakeworks.context import Context
    from lakeworks.platform import Platform

    platform = Platform.open(Settings.load(home=home, progress=False))
    try:
        ctx = Context(workspace="default", user="bench")
        if not platform.tables.exists(ctx, "_predictions"):
            return 0
        return platform.tables.describe(ctx, "_predictions").num_rows
    finally:
        platform.close()


async def load(url: str, row: dict, seconds: float, concurrency: int) -> dict:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            response = await client.post(url, json={"rows": [row]})
            latencies.append(time.perf_counter() - start)
            errors += response.status_code != 200

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        began = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    ms = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
    }


def serve(home: Path, port: int, log_on: bool, wait_ms: float) -> subprocess.Popen:
    env = {
        **os.environ,
        "LAKEWORKS_HOME": str(home),
        "LAKEWORKS_SCHEDULER": "false",
        "LAKEWORKS_SERVING_LOG": "true" if log_on else "false",
        "LAKEWORKS_SERVING_BATCH_WAIT_MS": str(wait_ms),
    }
    command = [sys.executable, "-m", "uvicorn", "lakeworks.server.app:create_app", "--factory"]
    command += ["--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env)
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start")


MODES = {  # in-process modes: the settings of each
    "spool": {"serving_log": True, "serving_log_spool": True},
    "memory": {"serving_log": True, "serving_log_spool": False},
    "off": {"serving_log": False},
}


def in_process(home: Path, row: dict, seconds: float, repeats: int) -> dict:
    """One thread calling ``platform.serving.predict`` in this process: a platform per
    mode on the home, alternating slices in a rotating order (no HTTP, so the log's own
    cost is a larger share of each request)."""
    from lakeworks.config import Settings
    from lakeworks.context import Context
    from lakeworks.platform import Platform

    ctx = Context(workspace="default", user="bench")
    platforms = {
        mode: Platform.open(Settings.load(home=home, progress=False, **settings))
        for mode, settings in MODES.items()
    }
    rates: dict[str, list[float]] = {mode: [] for mode in MODES}
    order = list(MODES)
    try:
        for repeat in range(repeats + 1):
            for mode in order[repeat % 3 :] + order[: repeat % 3]:
                serving, done = platforms[mode].serving, 0
                deadline = time.perf_counter() + seconds
                began = time.perf_counter()
                while time.perf_counter() < deadline:
                    serving.predict(ctx, "gbc", [row])
                    done += 1
                if repeat:  # the first round warms up
                    rates[mode].append(done / (time.perf_counter() - began))
    finally:
        for platform in platforms.values():
            platform.close()
    found = {mode: statistics.median(r) for mode, r in rates.items()}
    return {
        **{f"rps_{mode}": rps for mode, rps in found.items()},
        "ratio_spool_off": found["spool"] / found["off"],
        "ratio_memory_off": found["memory"] / found["off"],
        "ratio_spool_memory": found["spool"] / found["memory"],
    }


def record_cost(home: Path, calls: int = 2000, rounds: int = 15) -> dict:
    """Microseconds per ``PredictionLog.record`` of a one-row entry (20 features), spool
    on and off alternating by round; the writer thread waits (a long flush interval) so
    only the request path is timed. Median and p90 of the rounds' per-call means."""
    import pyarrow as pa

    from lakeworks.config import Settings
    from lakeworks.platform import Platform
    from lakeworks.serving.log import PredictionLog
    from lakeworks.serving.prediction import Prediction
    from lakeworks.serving.records import LogEntry

    answer = Prediction("r", "gbc", 1, "live", "gbc/1", [{"prediction": 1}], [None])
    inputs = pa.table({f"f{i}": [0.5 + i] for i in range(20)})
    entry = LogEntry("default", answer, inputs, None, 1.0, 0)
    platform = Platform.open(Settings.load(home=home, progress=False))
    per_call: dict[str, list[float]] = {"spool": [], "memory": []}
    try:
        for repeat in range(rounds):
            for mode in ("spool", "memory") if repeat % 2 == 0 else ("memory", "spool"):
                settings = Settings.load(
                    home=home,
                    progress=False,
                    serving_log_spool=mode == "spool",
                    serving_log_buffer=calls + 1,
                    serving_log_flush_interval=3600,
                )
                log = PredictionLog(platform.tables, settings)
                log.record(entry)  # starts the writer (and makes the spool)
                log.flush()
                time.sleep(0.05)  # the writer now rests for the flush interval
                began = time.perf_counter()
                for _ in range(calls):
                    log.record(entry)
                per_call[mode].append((time.perf_counter() - began) / calls * 1e6)
                log.close()  # one commit of what was recorded
    finally:
        platform.close()
    out = {}
    for mode, values in per_call.items():
        values = values[1:]  # the first round warms up
        out[f"{mode}_us_median"] = statistics.median(values)
        out[f"{mode}_us_p90"] = float(np.percentile(values, 90))
    out["spool_minus_memory_us"] = out["spool_us_median"] - out["memory_us_median"]
    return out


def slices(args: argparse.Namespace, row: dict, c: int) -> tuple[dict, int]:
    """Alternating load slices on the two servers: per mode the slices' results, and the
    requests the log-on server answered in its warm-up."""
    urls = {mode: f"http://127.0.0.1:{port}/serve/default/gbc/predict" for mode, port in
            (("on", args.port), ("off", args.port + 1))}  # fmt: skip
    runs: dict[str, list[dict]] = {"on": [], "off": []}
    warm = {mode: asyncio.run(load(urls[mode], row, 1, c)) for mode in ("on", "off")}
    for repeat in range(args.repeats):
        for mode in ("on", "off") if repeat % 2 == 0 else ("off", "on"):
            runs[mode].append(asyncio.run(load(urls[mode], row, args.seconds, c)))
            print(json.dumps({"c": c, "log": mode, **runs[mode][-1]}), file=sys.stderr)
    return runs, warm["on"]["requests"] - warm["on"]["errors"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--repeats", type=int, default=8)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--port", type=int, default=8933)
    parser.add_argument("--wait-ms", type=float, default=0, help="micro-batching wait (ms)")
    parser.add_argument("--in-process-only", action="store_true", help="no HTTP servers")
    args = parser.parse_args()
    out: dict = {"seconds": args.seconds, "repeats": args.repeats, "results": {}}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "lw"
        row = prepare(home)
        out["results"]["record_us"] = record_cost(home)
        print(json.dumps(out["results"]["record_us"]), file=sys.stderr)
        out["results"]["in_process_c1"] = in_process(home, row, args.seconds, args.repeats)
        print(json.dumps(out["results"]["in_process_c1"]), file=sys.stderr)
        if args.in_process_only:
            print(json.dumps(out, indent=2))
            return
        before = logged_rows(home)  # the in-process side's rows
        servers = [serve(home, args.port, True, args.wait_ms)]
        servers.append(serve(home, args.port + 1, False, args.wait_ms))
        answered = 0
        try:
            for c in args.concurrency:
                runs, warmed = slices(args, row, c)
                answered += warmed + sum(r["requests"] - r["errors"] for r in runs["on"])
                keys = ("rps", "p50_ms", "p99_ms")
                med = {
                    mode: {k: statistics.median(r[k] for r in rs) for k in keys}
                    for mode, rs in runs.items()
                }
                med["rps_ratio_on_off"] = med["on"]["rps"] / med["off"]["rps"]
                out["results"][f"c{c}"] = med
        finally:
            for process in servers:
                process.terminate()  # graceful: the lifespan closes the platform, flushing the log
                process.wait()
        out["answered_with_log_on"] = answered
        out["logged_rows"] = logged_rows(home) - before
        out["lost"] = answered - out["logged_rows"]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
