"""What masking personal data costs an online feature read: ``features.online`` for
1 and 100 entities x 4 features (one of them a tagged email, one a hashed id), by the
owner (raw: no tag query at all) and by a reader without ``unmask`` (the workspace's tags
read, the cached feature masks looked up, two columns masked), in alternating rounds,
in-process (no HTTP: the difference is what the door adds to the lookup).

Prints JSON: per batch size, the median microseconds per call of each reader and their
difference. Run: ``PYTHONPATH=src python benchmarks/features_masking.py [calls]``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import UTC, datetime

import pyarrow as pa
from benchmarks._common import log, machine, median

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.features import Entity, FeatureView
from lakeworks.platform import Platform

ROUNDS, ENTITIES = 5, 1000
OWNER, READER = Context("default", "owner"), Context("default", "reader")
FEATURES = ["customers:email", "customers:ref", "customers:visits", "customers:amount"]


def customers() -> pa.Table:
    ids = range(ENTITIES)
    return pa.table(
        {
            "customer_id": pa.array(ids, pa.int64()),
            "ts": pa.array([datetime(2026, 3, 1, tzinfo=UTC)] * ENTITIES),
            "email": [f"user{i}@example.com" for i in ids],
            "ref": [f"R-{i:08d}" for i in ids],
            "visits": list(ids),
            "amount": [i * 0.5 for i in ids],
        }
    )


def main(calls: int) -> dict:
    home = tempfile.mkdtemp() + "/lw"
    platform = Platform.open(Settings.load(home=home, progress=False))
    platform.catalog.create_workspace("default", "owner")
    platform.tables.create(OWNER, "customers", customers())
    platform.pii.tag(OWNER, "customers", "email", "email", "partial")
    platform.pii.tag(OWNER, "customers", "ref", "id", "hash")
    view = FeatureView(
        "customers",
        entity="customer",
        timestamp="ts",
        features=["email", "ref", "visits", "amount"],
        source="customers",
    )
    platform.features.apply(OWNER, [Entity("customer", join_keys=["customer_id"]), view])
    platform.features.materialize(OWNER, "customers")
    platform.unmask = lambda ctx: ctx.user == "owner"
    results = {}
    try:
        for batch in (1, 100):
            rows = [{"customer_id": i * 7 % ENTITIES} for i in range(batch)]
            raw, masked = [], []
            for ctx in (OWNER, READER):  # warm the plan, the masks and the caches
                platform.features.online(ctx, FEATURES, rows)
            for _ in range(ROUNDS):
                raw.append(_micros(platform, OWNER, rows, calls))
                masked.append(_micros(platform, READER, rows, calls))
            results[f"{batch}_entities"] = {
                "raw_us": round(median(raw), 1),
                "masked_us": round(median(masked), 1),
                "added_us": round(median(masked) - median(raw), 1),
            }
            log(batch, results[f"{batch}_entities"])
    finally:
        platform.close()
    return {"calls": calls, "rounds": ROUNDS, "reads": results, "machine": machine()}


def _micros(platform: Platform, ctx: Context, rows: list[dict], calls: int) -> float:
    """Median-free mean of ``calls`` reads, in microseconds per call."""
    start = time.perf_counter()
    for _ in range(calls):
        platform.features.online(ctx, FEATURES, rows)
    return (time.perf_counter() - start) / calls * 1e6


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500), indent=2))
