"""MLflow side of the run search benchmark; runs with the Python of MLflow's own venv.

Not run by hand as a rule: ``benchmarks/tracking_search.py`` writes the runs to a JSON file
and calls this script with ``.bench/mlflow/bin/python``. It seeds an MLflow SQLite store
(``create_run`` + ``log_batch`` per run, through ``MlflowClient``) unless the store already
holds the runs, then times ``MlflowClient.search_runs`` with the given filter and order
(median of ``--repeat`` after one warm-up) and prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def seed(client: Any, runs: list[dict[str, Any]], name: str) -> tuple[str, float]:
    from mlflow.entities import Metric, Param

    existing = client.get_experiment_by_name(name)
    if existing is not None:
        held = client.search_runs([existing.experiment_id], max_results=50_000)
        if len(held) != len(runs):
            raise SystemExit(f"experiment {name} is partly seeded: run again with --fresh")
        return existing.experiment_id, 0.0
    experiment_id = client.create_experiment(name)
    start = time.perf_counter()
    for i, run in enumerate(runs):
        created = client.create_run(
            experiment_id, start_time=run["start_time"], run_name=run["name"]
        )
        client.log_batch(
            created.info.run_id,
            metrics=[Metric(k, v, run["start_time"], 0) for k, v in run["metrics"].items()],
            params=[Param(k, v) for k, v in run["params"].items()],
        )
        if i % 1000 == 999:
            print(f"mlflow: {i + 1} runs seeded", file=sys.stderr, flush=True)
    return experiment_id, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--filter", required=True)
    parser.add_argument("--order-by", action="append", default=[])
    parser.add_argument("--max-results", type=int, default=100)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()

    if args.fresh and args.folder.exists():
        shutil.rmtree(args.folder)
    args.folder.mkdir(parents=True, exist_ok=True)
    import mlflow
    from mlflow import MlflowClient

    uri = f"sqlite:///{args.folder / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    runs = json.loads(args.data.read_text())
    experiment_id, seeded_s = seed(client, runs, f"search-{args.runs}")

    def search() -> list[str]:
        found = client.search_runs(
            [experiment_id],
            filter_string=args.filter,
            order_by=args.order_by,
            max_results=args.max_results,
        )
        return [run.info.run_name for run in found]

    names = search()  # warm-up
    times, cpu = [], []
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        search()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    result = {
        "mlflow": mlflow.__version__,
        "seed_s": round(seeded_s, 1),
        "search_runs": {
            "median_s": round(statistics.median(times), 6),
            "min_s": round(min(times), 6),
            "max_s": round(max(times), 6),
            "runs_s": [round(t, 6) for t in times],
            "cpu_median_s": round(statistics.median(cpu), 6),
        },
        "names": names,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
