"""The cost of live endpoint metrics on the prediction hot path.

Per request, ``Health.observe`` counts the request (and error) of its slot, bins its
latency and keeps a reference to its rows for drift. Peer: the usual prometheus_client
way, a labelled Counter and Histogram per request (``labels(...).inc()`` and
``.observe()``). Both run alternately in this process, single-threaded and with 8
threads (contended lock), over ``--calls`` calls per round. A third line: one in-process
``platform.serving.predict`` of a LogisticRegression, to set the overhead against.

    python benchmarks/serving_health.py --calls 200000 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import pyarrow as pa
from _common import log, machine, median
from prometheus_client import CollectorRegistry, Counter, Histogram

from lakeworks.monitoring.live import LiveMetrics

KEY = ("default", "churn", "live", "churn/1")
ROWS = pa.table({"age": [41], "income": [52.0]})


def ours(calls: int) -> None:
    live = LiveMetrics(sample_rows=5000)
    for i in range(calls):
        live.observe(KEY, 0.001 + (i % 50) * 1e-4, error=False, inputs=ROWS)


def peer(calls: int) -> None:
    registry = CollectorRegistry()
    requests = Counter(
        "requests", "r", ["workspace", "endpoint", "slot", "model"], registry=registry
    )
    errors = Counter("errors", "e", ["workspace", "endpoint", "slot", "model"], registry=registry)
    latency = Histogram(
        "latency", "l", ["workspace", "endpoint", "slot", "model"], registry=registry
    )
    for i in range(calls):
        requests.labels(*KEY).inc()
        if False:  # an error: never here, as for ours
            errors.labels(*KEY).inc()
        latency.labels(*KEY).observe(0.001 + (i % 50) * 1e-4)


def cpu_ns(fn, calls: int) -> float:  # noqa: ANN001
    """CPU time of this thread per call (steadier than wall time on a loaded machine)."""
    start = time.thread_time()
    fn(calls)
    return (time.thread_time() - start) / calls * 1e9


def per_call_ns(fn, calls: int, threads: int) -> float:  # noqa: ANN001
    each = calls // threads
    workers = [threading.Thread(target=fn, args=(each,)) for _ in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return (time.perf_counter() - start) / (each * threads) * 1e9


def predict_us(rounds: int) -> float:
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from lakeworks.config import Settings
    from lakeworks.context import Context
    from lakeworks.platform import Platform

    home = Path(tempfile.mkdtemp()) / "lw"
    platform = Platform.open(Settings.load(home=home, progress=False))
    platform.catalog.create_workspace("default", "bench", exist_ok=True)
    ctx = Context("default", "bench")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.integers(18, 80, 500), "income": rng.normal(50, 15, 500)})
    model = LogisticRegression().fit(frame, frame.income > 50)
    platform.registry.register(ctx, "churn", model=model, training_data=frame)
    platform.serving.deploy(ctx, "churn", "churn/1")
    row = [{"age": 41, "income": 52.0}]
    found = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(500):
            platform.serving.predict(ctx, "churn", row)
        found.append((time.perf_counter() - start) / 500 * 1e6)
    platform.close()
    return median(found)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, dict[str, list[float]]] = {}
    cpu: dict[str, list[float]] = {"lakeworks": [], "prometheus_client": []}
    for _ in range(args.rounds):
        for name, fn in (("lakeworks", ours), ("prometheus_client", peer)):
            cpu[name].append(cpu_ns(fn, args.calls))
    results["cpu_1_thread"] = cpu
    for threads in (1, 8):
        runs: dict[str, list[float]] = {"lakeworks": [], "prometheus_client": []}
        for r in range(args.rounds):  # alternated, so drift of the machine hits both
            for name, fn in (("lakeworks", ours), ("prometheus_client", peer)):
                runs[name].append(per_call_ns(fn, args.calls, threads))
            log(
                f"threads={threads} round {r}: "
                + ", ".join(f"{k} {v[-1]:.0f} ns" for k, v in runs.items())
            )
        results[f"threads_{threads}"] = runs
    out = {
        "workload": "serving_health_observe",
        "machine": machine(),
        "calls": args.calls,
        "rounds": args.rounds,
        "per_call_ns": {  # cpu_1_thread: CPU time; threads_N: wall time over N threads
            k: {n: round(median(v), 1) for n, v in runs.items()} for k, runs in results.items()
        },
        "ratio_peer_over_ours": {
            k: round(median(runs["prometheus_client"]) / median(runs["lakeworks"]), 2)
            for k, runs in results.items()
        },
        "predict_in_process_us": round(predict_us(args.rounds), 1),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
