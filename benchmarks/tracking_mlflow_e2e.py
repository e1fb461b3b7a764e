"""One unmodified MLflow client script end to end: ``lakeworks server`` versus
``mlflow server`` (issue 16, performance, third bullet: goal at least 3x faster).

The script is ``tracking_mlflow_e2e_client.py`` (plain ``mlflow`` calls: an experiment,
50 runs x 20 params x 100 steps of ``log_metrics`` with 5 metrics, 3 small artifacts each,
then a filtered, ordered ``search_runs``), run with the MLflow venv's python (the real
``mlflow`` client, 3.18) against each server in turn. Every round starts both servers
fresh, each on its own fresh SQLite file and one worker (started as in
``tracking_mlflow.py``); servers alternate which goes first; medians over ``--runs``
rounds. After each timed script the client counts runs, params, metric points and
artifacts on the server: both servers must hold the same. Prints one JSON document.

    flock .bench/bench.lock env PYTHONPATH=src python benchmarks/tracking_mlflow_e2e.py --runs 3
    PYTHONPATH=src python benchmarks/tracking_mlflow_e2e.py --runs 1 --small   # < 1 min
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import log, machine, summary
from tracking_mlflow import MLFLOW_BIN, start_lakeworks, start_mlflow

CLIENT = Path(__file__).with_name("tracking_mlflow_e2e_client.py")
SERVERS = {"lakeworks": start_lakeworks, "mlflow": start_mlflow}


def one_round(name: str, runs: int, steps: int) -> dict[str, Any]:
    """Start a fresh server, run the client script against it (timed), count what the
    server holds (untimed), stop the server."""
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = SERVERS[name](Path(tmp))
        try:
            cpu, start = tree_cpu_s(proc.pid), time.perf_counter()
            answer = client(name, url, "--runs", str(runs), "--steps", str(steps))
            wall, server_cpu = time.perf_counter() - start, tree_cpu_s(proc.pid) - cpu
            answer |= client(name, url, "--count")
        finally:
            proc.terminate()
            proc.wait(30)
    answer |= {"process_wall_s": wall, "server_cpu_s": server_cpu}
    log(name, json.dumps(answer))
    return answer


def client(name: str, url: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [str(MLFLOW_BIN.with_name("python")), str(CLIENT), "--uri", url, *args],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise SystemExit(f"client script against {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` and its descendants, from /proc
    (``mlflow server`` runs its workers as child processes)."""
    total, todo = 0, [pid]
    while todo:
        proc = Path("/proc") / str(todo.pop())
        try:
            fields = (proc / "stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
            for task in (proc / "task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue  # exited meanwhile
    return total / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3, help="rounds per server")
    parser.add_argument("--small", action="store_true", help="3 runs x 10 steps (a check)")
    parser.add_argument("--only", choices=sorted(SERVERS), help="one server, no ratio")
    args = parser.parse_args()
    mlflow_runs, steps = (3, 10) if args.small else (50, 100)
    names = [args.only] if args.only else list(SERVERS)
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for n in range(args.runs):
        for name in names if n % 2 == 0 else names[::-1]:
            rounds[name].append(one_round(name, mlflow_runs, steps))
    expected = {
        "runs": mlflow_runs,
        "params": mlflow_runs * 20,
        "metric_points": mlflow_runs * 5 * steps,
        "artifacts": mlflow_runs * 3,
    }
    for name, answers in rounds.items():
        for answer in answers:
            if answer["counts"] != expected:
                raise SystemExit(f"{name} holds {answer['counts']}, expected {expected}")
    found = {name: sorted({a["found"] for a in answers}) for name, answers in rounds.items()}
    if len({str(runs) for runs in found.values()}) > 1:
        raise SystemExit(f"search_runs found different run counts: {found}")
    sides = {name: side(answers) for name, answers in rounds.items()}
    report = {
        "benchmark": "tracking_mlflow_e2e",
        "workload": {"runs": mlflow_runs, "params": 20, "steps": steps, "metrics_per_step": 5}
        | {"artifacts_per_run": 3, "counts_each_round": expected, "search_found": found},
        "machine": machine(),
        **sides,
    }
    if len(sides) == 2:
        lw, ml = sides["lakeworks"]["workload"], sides["mlflow"]["workload"]
        report["speedup_median"] = round(ml["median_s"] / lw["median_s"], 2)
        lw, ml = sides["lakeworks"]["server_cpu"], sides["mlflow"]["server_cpu"]
        report["server_cpu_ratio_median"] = round(ml["median_s"] / lw["median_s"], 2)
    print(json.dumps(report, indent=2))


def side(answers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "workload": summary([a["seconds"] for a in answers]),
        "client_cpu": summary([a["client_cpu_s"] for a in answers]),
        "server_cpu": summary([a["server_cpu_s"] for a in answers]),
        "search": summary([a["search_s"] for a in answers]),
        "process_wall": summary([a["process_wall_s"] for a in answers]),
    }


if __name__ == "__main__":
    main()
