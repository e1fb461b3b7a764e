"""What the quota checks and metering cost on the hot paths they sit on (issue 18).

Side by side in one process, interleaved call by call: three platforms alike, one whose
services run without limits and meter (``Unlimited``, ``NoMeter``: what a service built
alone gets), one with the platform's quotas and meter and no quota set, one with the
quotas of each path set (and cached, as in production). With ``--redis URL`` two more
sides count the requests-per-second quota in Redis, shared by replicas: ``quotas_redis``
leases tokens in batches (5% of the limit: the default), ``quotas_redis_each`` takes a
lease of one, so every request makes one Redis round trip:

- ``sql``: ``sql.query(...).arrow()`` over a one-file table (the scanned-bytes meter
  record);
- ``predict``: ``serving.predict`` of one row (requests-per-second check and two meter
  records);
- ``create``: ``tables.create`` of a 10-row table (the tables check, one per create);
- ``append``: ``tables.write`` of 1,000 rows in 10 batches to an existing table (the
  storage-bytes check runs per batch);
- ``rate``: the requests-per-second check alone (``Limits.check``), as serving calls it.

Prints JSON: per path and side, the median call (ms), and the median of the call-by-call
ratios to the side without limits. Run:
``PYTHONPATH=src python benchmarks/quotas.py [--calls 300] [--redis redis://127.0.0.1:6379/0]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from itertools import count

import numpy as np
import pandas as pd
import pyarrow as pa
from _common import log, machine
from sklearn.linear_model import LogisticRegression

from lakeworks import limits
from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.platform import Platform

SIDES = ("off", "no_quota_set", "quotas_set")
SET = {  # the quotas of the side "quotas_set": high enough never to refuse
    limits.STORAGE_BYTES: 1e15,
    limits.TABLES: 1e9,
    limits.SERVING_REQUESTS_PER_SECOND: 1e9,
}


def build(home: str, quota_url: str | None = None) -> tuple[Platform, Context]:
    settings = Settings.load(home=home, progress=False, scheduler=False, quota_url=quota_url)
    platform = Platform.open(settings)
    platform.catalog.create_workspace("default", "bench", exist_ok=True)
    ctx = Context("default", "bench")
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"age": rng.integers(18, 80, 200), "income": rng.normal(50, 15, 200)})
    model = LogisticRegression(max_iter=300).fit(frame, (frame.income > 50).astype("int64"))
    platform.registry.register(ctx, "churn", model=model, training_data=frame)
    platform.serving.deploy(ctx, "churn", "churn/1")
    platform.tables.create(ctx, "events", pa.table({"id": list(range(1000))}))
    platform.tables.create(ctx, "small", pa.table({"id": list(range(1000))}))  # for sql
    return platform, ctx


def configure(platform: Platform, ctx: Context, name: str) -> None:
    """Plug the limits and meter of side ``name`` into the platform's services."""
    if name == "off":
        platform.tables.limits = platform.serving.limits = limits.Unlimited()
        platform.serving.meter = platform.sql.meter = limits.NoMeter()
    for quota, value in SET.items():
        platform.quotas.set(ctx, quota, None if name in ("off", "no_quota_set") else value)
    if name == "quotas_redis_each":
        platform._quotas.rates.lease_share = 1e-12  # a lease of one: a round trip each


def paths(platform: Platform, ctx: Context) -> dict[str, Callable[[], object]]:
    data = pa.table({"id": list(range(1000))})
    names = count()
    row = [{"age": 40, "income": 70.0}]
    return {  # paths that leave more behind (tables, files) run last
        "sql": lambda: platform.sql.query(ctx, "select count(*) from small").arrow(),
        "predict": lambda: platform.serving.predict(ctx, "churn", row),
        "create": lambda: platform.tables.create(ctx, f"t{next(names)}", data.slice(0, 10)),
        "append": lambda: platform.tables.write(
            ctx, "events", pa.RecordBatchReader.from_batches(data.schema, data.to_batches(100))
        ),
        "rate": lambda: platform._quotas.check(
            ctx.workspace, limits.SERVING_REQUESTS_PER_SECOND, adding=1
        ),
    }


def measure(work: dict[str, Callable[[], object]], calls: int) -> dict[str, list[float]]:
    """``calls`` timed calls of each side, interleaved call by call (the order rotating),
    so the load of a shared machine falls on every side alike."""
    times: dict[str, list[float]] = {name: [] for name in work}
    warm = time.perf_counter() + 3
    while time.perf_counter() < warm:
        for fn in work.values():
            fn()  # warm for 3 s: the first hundred predictions run 5-20x slower
    names = list(work)
    for i in range(calls):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            start = time.perf_counter()
            work[name]()
            times[name].append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--redis", help="a Redis URL: add the sides counting rates there")
    parser.add_argument("--paths", default="sql,predict,create,append,rate")
    args = parser.parse_args()
    sides = {}
    redis_sides = ("quotas_redis", "quotas_redis_each") if args.redis else ()
    for name in (*SIDES, *redis_sides):  # one platform per side, in its own folder
        url = f"{args.redis}?prefix=bench-{name}" if name in redis_sides else None
        platform, ctx = build(tempfile.mkdtemp() + "/lw", url)
        configure(platform, ctx, name)
        sides[name] = (platform, paths(platform, ctx))
    out = {"machine": machine(), "calls_per_side": args.calls}
    try:
        for path in args.paths.split(","):
            times = measure({name: work[path] for name, (_, work) in sides.items()}, args.calls)
            out[path] = summary(times)
            log(path, out[path]["median_ms"])
    finally:
        for platform, _ in sides.values():
            platform.close()
    print(json.dumps(out, indent=2))


def summary(times: dict[str, list[float]]) -> dict:
    ms = {name: round(statistics.median(t) * 1000, 3) for name, t in times.items()}
    paired = {  # the median of the call-by-call ratios to the side without limits
        name: round(statistics.median(a / b for a, b in zip(t, times["off"], strict=True)), 3)
        for name, t in times.items()
        if name != "off"
    }
    return {"median_ms": ms, "ratio_to_off": paired}


if __name__ == "__main__":
    main()
