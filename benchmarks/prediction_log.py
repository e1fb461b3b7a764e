"""The cost of the prediction log: requests/s and latency with ``serving_log`` on and off.

A GradientBoostingClassifier (100 trees, 20 features) behind an endpoint, served by one
uvicorn worker in its own process; an asyncio httpx load generator in this process sends
single-row JSON requests for ``--seconds`` per run. Runs alternate log on / log off
(``LAKEWORKS_SERVING_LOG``) within each repeat, so load from other work on a shared
machine falls on both; the medians over repeats and their ratio are printed as one JSON
document. With the log on, the rows in ``_predictions`` after the server stopped (its
shutdown flushes the log) are counted against the requests answered: ``lost`` must be 0.

    python benchmarks/prediction_log.py --seconds 8 --repeats 3 --concurrency 1 32
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


def run(home: Path, args: argparse.Namespace, row: dict, log_on: bool, c: int) -> dict:
    url = f"http://127.0.0.1:{args.port}/serve/default/gbc/predict"
    before = logged_rows(home)
    process = serve(home, args.port, log_on, args.wait_ms if c > 1 else 0)
    try:
        warm = asyncio.run(load(url, row, 1, c))
        result = asyncio.run(load(url, row, args.seconds, c))
    finally:
        process.terminate()  # graceful: the lifespan closes the platform, flushing the log
        process.wait()
    answered = warm["requests"] + result["requests"] - warm["errors"] - result["errors"]
    result["lost"] = answered - (logged_rows(home) - before) if log_on else None
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--port", type=int, default=8933)
    parser.add_argument("--wait-ms", type=float, default=5, help="micro-batching at c > 1")
    args = parser.parse_args()
    out: dict = {"seconds": args.seconds, "repeats": args.repeats, "results": {}}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "lw"
        row = prepare(home)
        for c in args.concurrency:
            runs: dict[str, list[dict]] = {"on": [], "off": []}
            for _ in range(args.repeats):
                for mode in ("on", "off"):
                    runs[mode].append(run(home, args, row, mode == "on", c))
                    print(json.dumps({"c": c, "log": mode, **runs[mode][-1]}), file=sys.stderr)
            med = {
                mode: {
                    k: statistics.median(r[k] for r in rs)
                    for k in ("rps", "p50_ms", "p99_ms", "errors")
                }
                for mode, rs in runs.items()
            }
            med["on"]["lost"] = sum(r["lost"] for r in runs["on"])
            med["rps_ratio_on_off"] = med["on"]["rps"] / med["off"]["rps"]
            out["results"][f"c{c}"] = med
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
