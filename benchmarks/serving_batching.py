"""Prediction throughput at concurrency 32, with and without micro-batching.

A GradientBoostingClassifier (100 trees, 20 features) behind an endpoint, served by one
uvicorn worker in its own process; an asyncio httpx load generator in this process sends
single-row JSON requests for ``--seconds``. Prints one JSON line per mode.

    python benchmarks/serving_batching.py --seconds 10 --concurrency 32
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
    }


def serve(home: Path, port: int, wait_ms: float) -> subprocess.Popen:
    env = {
        **os.environ,
        "LAKEWORKS_HOME": str(home),
        "LAKEWORKS_SCHEDULER": "false",
        "LAKEWORKS_SERVING_BATCH_WAIT_MS": str(wait_ms),
    }
    command = [sys.executable, "-m", "uvicorn", "lakeworks.server.app:create_app", "--factory"]
    command += ["--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env)
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--port", type=int, default=8931)
    parser.add_argument("--wait-ms", type=float, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "lw"
        row = prepare(home)
        url = f"http://127.0.0.1:{args.port}/serve/default/gbc/predict"
        for wait_ms in (0, args.wait_ms):
            process = serve(home, args.port, wait_ms)
            try:
                asyncio.run(load(url, row, 1, args.concurrency))  # warm up
                result = asyncio.run(load(url, row, args.seconds, args.concurrency))
            finally:
                process.terminate()
                process.wait()
            mode = {"batching_wait_ms": wait_ms, "concurrency": args.concurrency}
            print(json.dumps({**mode, **result}), flush=True)


if __name__ == "__main__":
    main()
