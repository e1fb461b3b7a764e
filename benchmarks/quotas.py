"""What the quota checks and metering cost on the hot paths they sit on (issue 18).

Side by side in one process, alternating per round: the same platform with its services
built without limits and meter (``Unlimited``, ``NoMeter``: what a service built alone
gets) and with the platform's quotas and meter plugged in, first with no quota set,
then with the quotas of each path set (and cached, as in production):

- ``sql``: ``sql.query(...).arrow()`` over a one-file table (the scanned-bytes meter
  record);
- ``predict``: ``serving.predict`` of one row (requests-per-second check and two meter
  records);
- ``create``: ``tables.create`` of a 10-row table (the tables check, one per create);
- ``append``: ``tables.write`` of 1,000 rows in 10 batches to an existing table (the
  storage-bytes check runs per batch).

Prints JSON: per path and side, the median of the round medians (ms), and the ratio of
each side to the side without limits. Run:
``PYTHONPATH=src python benchmarks/quotas.py [--rounds 7] [--calls 40]``.
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


def build(home: str) -> tuple[Platform, Context]:
    platform = Platform.open(Settings.load(home=home, progress=False, scheduler=False))
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


def side(platform: Platform, ctx: Context, name: str) -> None:
    """Plug the limits and meter of ``name`` into the services."""
    on = name != "off"
    quotas, meter = (
        (platform.quotas, platform.usage) if on else (limits.Unlimited(), limits.NoMeter())
    )
    platform.tables.limits = platform.serving.limits = quotas
    platform.serving.meter = platform.sql.meter = meter
    for quota, value in SET.items():
        platform.quotas.set(ctx, quota, value if name == "quotas_set" else None)


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
    }


def round_median(fn: Callable[[], object], calls: int) -> float:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args()
    platform, ctx = build(tempfile.mkdtemp() + "/lw")
    work = paths(platform, ctx)
    medians: dict[str, dict[str, list[float]]] = {p: {s: [] for s in SIDES} for p in work}
    try:
        for path, fn in work.items():
            warm = time.perf_counter() + 3
            while time.perf_counter() < warm:
                fn()  # warm for 3 s: the first hundred predictions run 5-20x slower
            for r in range(args.rounds):
                order = SIDES if r % 2 == 0 else tuple(reversed(SIDES))
                for name in order:
                    side(platform, ctx, name)
                    medians[path][name].append(round_median(fn, args.calls))
            log(path, {s: round(statistics.median(m), 3) for s, m in medians[path].items()})
    finally:
        platform.close()
    print(json.dumps(report(medians, args), indent=2))


def report(medians: dict[str, dict[str, list[float]]], args: argparse.Namespace) -> dict:
    out = {"machine": machine(), "rounds": args.rounds, "calls_per_round": args.calls}
    for path, sides in medians.items():
        ms = {s: round(statistics.median(v), 3) for s, v in sides.items()}
        ratio = {s: round(ms[s] / ms["off"], 3) for s in SIDES[1:]}
        out[path] = {"median_ms": ms, "ratio_to_off": ratio}
    return out


if __name__ == "__main__":
    main()
