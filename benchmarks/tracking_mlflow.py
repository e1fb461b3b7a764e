"""``log_batch`` of 1,000 metrics through the MLflow client: ``lakeworks server`` versus
``mlflow server`` (issue 16, performance: goal at least 10x faster).

Both servers run on 127.0.0.1 at free ports as subprocesses, each on its own fresh SQLite
file (lakeworks: its embedded catalog; MLflow 3.18 from its own venv, never a lakeworks
dependency: ``python3 -m venv .bench/mlflow && .bench/mlflow/bin/pip install
mlflow==3.18.0``). The same client (this venv's ``mlflow-skinny``) logs to one run per
server: each batch is 1,000 metric points (100 keys x 10 steps, distinct per batch);
servers are interleaved, ``--runs`` batches each after one warm-up batch; medians are
reported. ``raw`` also times the same request body (encoded once, outside the timing)
posted with ``requests``: the servers' side alone, without the client's own encoding.
Prints one JSON document.

    PYTHONPATH=src python benchmarks/tracking_mlflow.py --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from _common import BENCH_DIR, REPO, log, machine, summary

JSON = {"Content-Type": "application/json"}
MLFLOW_BIN = Path(os.environ.get("MLFLOW_BENCH_VENV", BENCH_DIR / "mlflow")) / "bin" / "mlflow"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not answer {url} within {timeout} s")


def start_lakeworks(home: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), LAKEWORKS_PROGRESS="false")
    proc = subprocess.Popen(
        [sys.executable, "-m", "lakeworks.cli.app", "--home", str(home), "server"]
        + ["--port", str(port), "--no-scheduler", "--no-access-log"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_up(f"{url}/health", proc, "lakeworks server")
    return proc, url


def start_mlflow(home: Path) -> tuple[subprocess.Popen, str]:
    if not MLFLOW_BIN.exists():
        raise SystemExit(
            f"{MLFLOW_BIN} is missing: python3 -m venv {MLFLOW_BIN.parents[1]} "
            f"&& {MLFLOW_BIN.parent}/pip install mlflow==3.18.0"
        )
    port = free_port()
    proc = subprocess.Popen(
        [str(MLFLOW_BIN), "server", "--host", "127.0.0.1", "--port", str(port)]
        + ["--backend-store-uri", f"sqlite:///{home / 'mlflow.db'}"]
        + ["--artifacts-destination", str(home / "artifacts"), "--workers", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=home,
    )
    url = f"http://127.0.0.1:{port}"
    wait_up(f"{url}/health", proc, "mlflow server")
    return proc, url


def batch(n: int) -> list[Any]:
    from mlflow.entities import Metric

    base = 1_700_000_000_000
    return [
        Metric(f"m{k}", float(k * step), base + n * 10 + step, n * 10 + step)
        for k in range(100)
        for step in range(10)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import requests
    from mlflow import MlflowClient
    from mlflow.protos.service_pb2 import LogBatch
    from mlflow.utils.proto_json_utils import message_to_json

    results: dict[str, list[float]] = {"lakeworks": [], "mlflow": []}
    raw: dict[str, list[float]] = {"lakeworks": [], "mlflow": []}
    procs = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            targets = {}
            for name, start in (("lakeworks", start_lakeworks), ("mlflow", start_mlflow)):
                home = Path(tmp) / name
                home.mkdir()
                proc, url = start(home)
                procs.append(proc)
                client = MlflowClient(tracking_uri=url)
                run = client.create_run(client.create_experiment("bench"))
                targets[name] = (client, run.info.run_id)
                client.log_batch(run.info.run_id, metrics=batch(0))  # warm-up
                log(f"{name} up at {url}")
            for n in range(1, args.runs + 1):
                for name, (client, run_id) in targets.items():
                    metrics = batch(n)
                    start_s = time.perf_counter()
                    client.log_batch(run_id, metrics=metrics)
                    results[name].append(time.perf_counter() - start_s)
                    protos = [m.to_proto() for m in batch(n + 1000)]
                    body = message_to_json(LogBatch(run_id=run_id, metrics=protos))
                    url = f"{client.tracking_uri}/api/2.0/mlflow/runs/log-batch"
                    start_s = time.perf_counter()
                    answer = requests.post(url, data=body, headers=JSON, timeout=120)
                    raw[name].append(time.perf_counter() - start_s)
                    answer.raise_for_status()
            for name, (client, run_id) in targets.items():
                points = client.get_metric_history(run_id, "m7")
                assert len(points) == 10 * (2 * args.runs + 1), (name, len(points))
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(30)
    print(
        json.dumps(
            {
                "benchmark": "tracking_mlflow.log_batch_1000",
                "machine": machine(),
                "client": sides(results),
                "raw": sides(raw),
            },
            indent=2,
        )
    )


def sides(times: dict[str, list[float]]) -> dict[str, Any]:
    lw, ml = summary(times["lakeworks"]), summary(times["mlflow"])
    return {
        "lakeworks": lw,
        "mlflow": ml,
        "speedup_median": round(ml["median_s"] / lw["median_s"], 2),
    }


if __name__ == "__main__":
    main()
