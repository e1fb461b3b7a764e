"""Per-query latency of ws.sql on small tables: what the SQL sandbox checks cost (issue 13).

Prints JSON: per query, the best of three medians of 200 calls, in ms.
Run: ``PYTHONPATH=src python benchmarks/sql_sandbox_overhead.py``.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time

import lakeworks as lw
from lakeworks.config import Settings

QUERIES = {
    "point": "select count(*) from orders",
    "cte_join": "with c as (select id from customers) "
    "select status, count(*) from orders join c using (id) group by 1",
}


def best_median(ws: lw.Workspace, sql: str, calls: int = 200, rounds: int = 3) -> float:
    for _ in range(30):
        ws.sql(sql).fetchall()
    medians = []
    for _ in range(rounds):
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            ws.sql(sql).fetchall()
            times.append(time.perf_counter() - start)
        medians.append(statistics.median(times) * 1000)
    return round(min(medians), 2)


def main() -> None:
    home = tempfile.mkdtemp() + "/lw"
    ws = lw.connect(settings=Settings.load(home=home, progress=False), user="bench")
    ws.write("orders", [{"id": i, "status": f"s{i % 5}"} for i in range(1000)])
    ws.write("customers", [{"id": i} for i in range(100)])
    try:
        print(json.dumps({name: best_median(ws, sql) for name, sql in QUERIES.items()}))
    finally:
        ws.platform.close()


if __name__ == "__main__":
    main()
