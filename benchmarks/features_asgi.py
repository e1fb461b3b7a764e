"""The online-feature fast path in process: POST /features/online through the ASGI app.

No network and no server process: httpx's ``ASGITransport`` calls the app directly, so the
figures are the app's own cost per request (body check, caller check, worker-thread hop,
SQLite online read, JSON). 100 entities x 10 features pushed to the SQLite online store;
each request asks for 1 entity x 10 features. Concurrency 1 (sequential, p50 of each run)
and 16 (16 tasks sharing one client, requests/s). Prints JSON.

    python benchmarks/features_asgi.py --requests 1000 --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime

import httpx

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.features import Entity, FeatureView
from lakeworks.server.app import create_app

URL = "/api/v1/workspaces/bench/features/online"
BODY = {"features": [f"live:f{i}" for i in range(10)], "entity_rows": [{"rider_id": 7}]}


def _app() -> object:
    app = create_app(Settings.load(home=tempfile.mkdtemp(), scheduler=False))
    platform = app.state.platform
    platform.catalog.create_workspace("bench", "bench", None)
    ctx = Context("bench", "bench")
    features = [f"f{i}" for i in range(10)]
    view = FeatureView("live", entity="rider", timestamp="ts", features=features, source="live")
    platform.features.apply(ctx, [Entity("rider", "rider_id"), view])
    at = datetime(2026, 11, 27, tzinfo=UTC)
    rows = [{"rider_id": r, "ts": at, **{f: i for i, f in enumerate(features)}} for r in range(100)]
    platform.features.push(ctx, "live", rows)
    return app


async def _sequential(client: httpx.AsyncClient, n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        assert (await client.post(URL, json=BODY)).status_code == 200
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def _concurrent(client: httpx.AsyncClient, n: int, tasks: int = 16) -> float:
    async def worker() -> None:
        for _ in range(n // tasks):
            assert (await client.post(URL, json=BODY)).status_code == 200

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    return (n // tasks) * tasks / (time.perf_counter() - start)


async def main(requests: int, runs: int) -> dict[str, object]:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await _sequential(client, 300)  # warm-up
        p50 = [await _sequential(client, requests) for _ in range(runs)]
        rps = [await _concurrent(client, requests) for _ in range(runs)]
    return {
        "c1_p50_ms": round(statistics.median(p50) * 1e3, 3),
        "c1_p50_ms_runs": [round(x * 1e3, 3) for x in p50],
        "c16_req_per_s": round(statistics.median(rps)),
        "c16_req_per_s_runs": [round(x) for x in rps],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.requests, args.runs))))
