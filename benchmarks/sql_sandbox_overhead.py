"""Per-query latency of ws.sql on small tables: what the SQL sandbox checks cost (issue 13).

Prints JSON: the best of three medians of 200 runs, in ms, per query.
"""

import json
import statistics
import tempfile
import time

import lakeworks as lw
from lakeworks.config import Settings

ws = lw.connect(settings=Settings.load(home=tempfile.mkdtemp() + "/lw", progress=False), user="b")
ws.write("orders", [{"id": i, "status": "s%d" % (i % 5)} for i in range(1000)])
ws.write("customers", [{"id": i} for i in range(100)])
Q = {
    "point": "select count(*) from orders",
    "cte_join": "with c as (select id from customers) select status, count(*) from orders join c using (id) group by 1",
}
out = {}
for name, q in Q.items():
    for _ in range(30):
        ws.sql(q).fetchall()
    meds = []
    for _ in range(3):
        ts = []
        for _ in range(200):
            t = time.perf_counter()
            ws.sql(q).fetchall()
            ts.append(time.perf_counter() - t)
        meds.append(statistics.median(ts) * 1000)
    out[name] = round(min(meds), 2)
print(json.dumps(out))
ws.platform.close()
