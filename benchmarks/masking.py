"""What masking personal data costs a SQL query: the same aggregate over a table with
tagged columns, read by its owner (raw) and by a reader without ``unmask`` (masked),
measured side by side in alternating rounds.

Then the keyed hash alone, side by side in one single-threaded DuckDB over the same
Arrow table, rounds alternating: ``count(DISTINCT CAST(customer_id AS VARCHAR))`` raw,
through ``lw_pseudonym`` (the platform's Arrow function in Python), and through the same
HMAC-SHA256 built from DuckDB's native ``sha256``/``unhex``/``encode`` (the keyed pads as
literals: the alternative the platform does not use, since the key would be in the SQL
text). All three are checked equal first. Wall and CPU seconds (the CPU time of this
process is steadier on a loaded machine).

Prints JSON: rows, per policy the medians of the raw and masked query (s) and their ratio;
``functions``: per side the median wall and CPU seconds, and CPU ratios to raw.
Run: ``PYTHONPATH=src python benchmarks/masking.py [rows]``.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time

import duckdb
import pyarrow as pa
from benchmarks._common import log, machine, median, timed

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.platform import Platform
from lakeworks.security.keys import pii_key
from lakeworks.security.masking import Masking

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
        functions = compare_functions(platform, rows)
        log("functions", functions)
    finally:
        platform.close()
    return {
        "rows": rows,
        "rounds": ROUNDS,
        "policies": results,
        "functions": functions,
        "machine": machine(),
    }


def native_hmac(key: bytes, text: str) -> str:
    """HMAC-SHA256 of ``text`` (SQL) in DuckDB's own functions, first 32 hex digits."""
    block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    ipad, opad = bytes(b ^ 0x36 for b in block).hex(), bytes(b ^ 0x5C for b in block).hex()
    inner = f"unhex(sha256(unhex('{ipad}') || encode({text})))"
    return f"left(sha256(unhex('{opad}') || {inner}), 32)"


def compare_functions(platform: Platform, rows: int) -> dict:
    con = duckdb.connect(config={"threads": 1})
    Masking(platform.catalog, platform.settings, lambda ctx: False).register(con)
    con.register("people", people(rows).select(["customer_id"]))
    text = "CAST(customer_id AS VARCHAR)"
    native = native_hmac(pii_key(platform.settings), text)
    same = f"SELECT count(*) FROM people WHERE lw_pseudonym({text}) <> {native}"
    assert con.sql(same).fetchall() == [(0,)]
    sides = {
        "raw": f"SELECT count(DISTINCT {text}) FROM people",
        "python_udf": f"SELECT count(DISTINCT lw_pseudonym({text})) FROM people",
        "duckdb_native": f"SELECT count(DISTINCT {native}) FROM people",
    }
    wall: dict[str, list[float]] = {name: [] for name in sides}
    cpu: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(ROUNDS):
        for name, sql in sides.items():
            start = time.process_time()
            wall[name].append(timed(lambda sql=sql: con.sql(sql).fetchall())[0])
            cpu[name].append(time.process_time() - start)
    out: dict[str, float] = {}
    for name in sides:
        out[f"{name}_wall_s"] = round(median(wall[name]), 4)
        out[f"{name}_cpu_s"] = round(median(cpu[name]), 4)
        out[f"{name}_cpu_ratio"] = round(median(cpu[name]) / median(cpu["raw"]), 2)
    return out


def _seconds(platform: Platform, ctx: Context, sql: str) -> float:
    return timed(lambda: platform.sql.query(ctx, sql).fetchall())[0]


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000), indent=2))
