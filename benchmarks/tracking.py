"""Tracking benchmark: metric points logged one call at a time in a training loop, durable
when the run ends, lakeworks SDK vs ``mlflow.log_metric``, each in a fresh subprocess.

    lakeworks  ws.start_run(); run.log_metric(...) x N; run ends (flushed, committed)
    mlflow     mlflow.start_run(); mlflow.log_metric(...) x M; end_run()  (sqlite:/// store)

MLflow writes each point in its own transaction (about 150 points/s on SQLite), so it logs
``--mlflow-points`` (default 1,000) and its time is scaled to N; the JSON says so. MLflow
runs with ``--mlflow-python`` (a venv of its own; never a lakeworks dependency) or, when
absent, this interpreter if it can import mlflow. ``--postgres URL`` adds the lakeworks
run on PostgreSQL (a fresh schema is not made: give an upgraded, disposable database).

Prints one JSON document to stdout; progress to stderr.

    python benchmarks/tracking.py --points 20000 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

from _common import REPO, log, machine, summary  # type: ignore[import-not-found]

LAKEWORKS = """
import sys, time, lakeworks as lw
points, home, url = int(sys.argv[1]), sys.argv[2], sys.argv[3] or None
ws = lw.connect(home=home, metadata_url=url, user="bench", progress=False)
with ws.start_run("warm"):
    pass
start = time.perf_counter()
with ws.start_run("bench") as run:
    for step in range(points):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
seconds = time.perf_counter() - start
assert len(ws.runs.metric_history(run.id, "loss")) == points
print(seconds)
"""

MLFLOW = """
import sys, time, mlflow
points, home = int(sys.argv[1]), sys.argv[2]
mlflow.set_tracking_uri(f"sqlite:///{home}/mlflow.db")
mlflow.set_experiment("bench")
with mlflow.start_run():
    pass
start = time.perf_counter()
with mlflow.start_run():
    for step in range(points):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
print(time.perf_counter() - start)
"""


def _child(python: str, code: str, *args: str) -> float:
    env = {"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [python, "-c", code, *args], capture_output=True, text=True, env=env, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return float(out.stdout.strip().splitlines()[-1])


def _has_mlflow(python: str) -> bool:
    return subprocess.run([python, "-c", "import mlflow"], capture_output=True).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mlflow-points", type=int, default=1_000)
    parser.add_argument("--mlflow-python", default=sys.executable)
    parser.add_argument("--postgres", default="")
    args = parser.parse_args()
    result: dict = {"machine": machine(), "points": args.points}
    backends = {"sqlite": ""} | ({"postgres": args.postgres} if args.postgres else {})
    for name, url in backends.items():
        times = []
        for i in range(args.repeat):
            with tempfile.TemporaryDirectory() as home:
                times.append(_child(sys.executable, LAKEWORKS, str(args.points), home, url))
            log(f"lakeworks {name} round {i + 1}: {times[-1]:.3f} s")
        result[f"lakeworks_{name}"] = summary(times)
    if _has_mlflow(args.mlflow_python):
        with tempfile.TemporaryDirectory() as home:
            seconds = _child(args.mlflow_python, MLFLOW, str(args.mlflow_points), home)
        scaled = seconds * args.points / args.mlflow_points
        log(f"mlflow sqlite: {args.mlflow_points} points in {seconds:.2f} s")
        result["mlflow_sqlite"] = {
            "points_logged": args.mlflow_points,
            "seconds": round(seconds, 3),
            "points_per_s": round(args.mlflow_points / seconds, 1),
            "scaled_to_points_s": round(scaled, 2),
            "lakeworks_speedup": round(scaled / result["lakeworks_sqlite"]["median_s"], 1),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
