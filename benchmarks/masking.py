"""What masking personal data costs a SQL query: the same aggregate over a table with
tagged columns, read by its owner (raw) and by a reader without ``unmask`` (masked),
measured side by side in alternating rounds.

Prints JSON: rows, per policy the medians of the raw and masked query (s) and their ratio.
Run: ``PYTHONPATH=src python benchmarks/masking.py [rows]``.
"""

from __future__ import annotations

import json
import sys
import tempfile

import pyarrow as pa
from benchmarks._common import log, machine, median, timed

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.platform import Platform

ROUNDS = 5
OWNER, READER = Context("default", "owner"), Context("default", "reader")
QUERIES = {
    "redact": "SELECT count(DISTINCT full_name), sum(amount) FROM people",
    "partial": "SELECT count(DISTINCT email), sum(amount) FROM people",
    "hash": "SELECT count(DISTINCT customer_id), sum(amount) FROM people",
}


def people(rows: int) -> pa.Table:
    ids = pa.array(range(rows), pa.int64())
    return pa.table(
        {
            "customer_id": ids,
            "email": pa.array([f"user{i}@example.com" for i in range(rows)]),
            "full_name": pa.array([f"Name {i % 50_000}" for i in range(rows)]),
            "amount": pa.array([float(i % 997) for i in range(rows)]),
        }
    )


def main(rows: int) -> dict:
    home = tempfile.mkdtemp() + "/lw"
    platform = Platform.open(Settings.load(home=home, progress=False))
    platform.catalog.create_workspace("default", "owner")
    platform.tables.create(OWNER, "people", people(rows))
    platform.pii.tag(OWNER, "people", "email", "email", "partial")
    platform.pii.tag(OWNER, "people", "full_name", "name", "redact")
    platform.pii.tag(OWNER, "people", "customer_id", "id", "hash")
    platform.unmask = lambda ctx: ctx.user == "owner"
    results = {}
    try:
        for policy, sql in QUERIES.items():
            raw, masked = [], []
            for ctx in (OWNER, READER):  # warm both databases
                platform.sql.query(ctx, sql).fetchall()
            for _ in range(ROUNDS):
                raw.append(_seconds(platform, OWNER, sql))
                masked.append(_seconds(platform, READER, sql))
            results[policy] = {
                "raw_median_s": round(median(raw), 4),
                "masked_median_s": round(median(masked), 4),
                "ratio": round(median(masked) / median(raw), 2),
            }
            log(policy, results[policy])
    finally:
        platform.close()
    return {"rows": rows, "rounds": ROUNDS, "policies": results, "machine": machine()}


def _seconds(platform: Platform, ctx: Context, sql: str) -> float:
    return timed(lambda: platform.sql.query(ctx, sql).fetchall())[0]


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000), indent=2))
