"""The user's MLflow script, unmodified ``mlflow`` calls only (run by
``tracking_mlflow_e2e.py`` with the MLflow venv's python, once per server).

One experiment; per run: 20 params in one ``log_params``, one ``log_metrics`` call of 5
metrics per step (what a training loop writes: one request per step), 3 small artifacts
written and logged with ``log_artifact``; then one filtered, ordered ``search_runs``.
The workload is timed from ``set_tracking_uri`` to the search's answer (wall and this
process's CPU); ``--count`` instead counts what the server holds. Prints one JSON line.

    python tracking_mlflow_e2e_client.py --uri http://127.0.0.1:5000 --runs 50 --steps 100
    python tracking_mlflow_e2e_client.py --uri http://127.0.0.1:5000 --count
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import mlflow
from mlflow import MlflowClient

EXPERIMENT = "e2e-bench"
FILTER = "metrics.m0 > 0.5 and params.p0 = 'v1'"


def workload(uri: str, runs: int, steps: int, folder: Path) -> tuple[int, float]:
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(EXPERIMENT)
    for i in range(runs):
        rng = random.Random(i)
        with mlflow.start_run():
            mlflow.log_params({f"p{k}": f"v{(i + k) % 3}" for k in range(20)})
            for step in range(steps):
                mlflow.log_metrics({f"m{k}": rng.random() for k in range(5)}, step=step)
            for name in ("config.yaml", "report.txt", "notes.md"):
                path = folder / name
                path.write_text(f"run {i} {name}\n" * 20)
                mlflow.log_artifact(str(path))
    start = time.perf_counter()
    found = mlflow.search_runs(filter_string=FILTER, order_by=["metrics.m1 DESC"])
    return len(found), time.perf_counter() - start


def counts(uri: str) -> dict[str, int]:
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    total = {"runs": len(runs), "params": 0, "metric_points": 0, "artifacts": 0}
    for run in runs:
        total["params"] += len(run.data.params)
        for key in run.data.metrics:
            total["metric_points"] += len(client.get_metric_history(run.info.run_id, key))
        total["artifacts"] += len(client.list_artifacts(run.info.run_id))
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uri", required=True)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--count", action="store_true", help="count, log nothing")
    args = parser.parse_args()
    if args.count:
        print(json.dumps({"counts": counts(args.uri)}))
        return
    with tempfile.TemporaryDirectory() as tmp:
        start, cpu = time.perf_counter(), time.process_time()
        found, search_s = workload(args.uri, args.runs, args.steps, Path(tmp))
        seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu
    answer = {"seconds": seconds, "client_cpu_s": cpu_s, "search_s": search_s}
    print(json.dumps(answer | {"found": found}))


if __name__ == "__main__":
    main()
