"""Serving: lakeworks against ``mlflow models serve``, single-row JSON requests from wrk.

A scikit-learn GradientBoostingClassifier (100 trees, 20 features) is registered and
deployed in lakeworks (``lakeworks serve``, micro-batching on) and saved with MLflow 3.18
and served by ``mlflow models serve --env-manager local`` (its own venv, .bench/mlflow),
both with the same number of uvicorn workers on this machine. wrk (a separate process,
a Lua POST script) sends single-row JSON requests at concurrency 1 and 32 for
``--seconds`` each; the two servers are measured alternately, ``--rounds`` times, and
the medians are reported. Also: the model's own ``predict`` on one row in-process (the
overhead baseline) and "features by key" (a request naming one entity; the endpoint reads
10 online features and predicts) at concurrency 1.

Setup (once): ``python3 -m venv .bench/mlflow && .bench/mlflow/bin/pip install
'mlflow-skinny==3.18.*' scikit-learn pandas uvicorn fastapi`` and ``apt-get install wrk``.

    python benchmarks/serving.py --seconds 10 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH_DIR, REPO, log, machine  # noqa: E402

MLFLOW = BENCH_DIR / "mlflow" / "bin"
ENTITIES = 1000


def prepare(home: Path, work: Path) -> dict:
    """Both models registered and deployed in lakeworks; the 20-feature one pickled for
    MLflow. Returns one input row."""
    from sklearn.ensemble import GradientBoostingClassifier

    import lakeworks as lw
    from lakeworks.features import Entity, FeatureService, FeatureView

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(2000, 20)), columns=[f"f{i}" for i in range(20)])
    target = (frame.f0 + frame.f1 > 0).astype("int64")
    model = GradientBoostingClassifier(n_estimators=100).fit(frame, target)
    ten = frame[[f"f{i}" for i in range(10)]]
    model10 = GradientBoostingClassifier(n_estimators=100).fit(ten, target)
    ws = lw.connect(home=str(home), progress=False, user="bench")
    ws.models.register("gbc", model=model, training_data=frame)
    ws.models.register("gbc10", model=model10, training_data=ten)
    events = ten.head(ENTITIES).assign(
        entity_id=range(ENTITIES), ts=datetime(2026, 1, 1, tzinfo=UTC)
    )
    ws.write("entity_events", events)
    view = FeatureView(
        "entity_stats",
        entity="thing",
        timestamp="ts",
        features=list(ten.columns),
        source="entity_events",
    )
    ws.features.apply(
        [
            Entity("thing", join_keys=["entity_id"]),
            view,
            FeatureService("bench_features", ["entity_stats"]),
        ]
    )
    ws.features.materialize("entity_stats")
    ws.endpoints.deploy("gbc", model="gbc/1")
    ws.endpoints.deploy("gbc_keys", model="gbc10/1", features="bench_features")
    ws.platform.close()
    (work / "model.pkl").write_bytes(pickle.dumps(model))
    return frame.iloc[0].to_dict()


def save_for_mlflow(work: Path) -> Path:
    path = work / "mlflow_model"
    script = (
        "import pickle, sys, mlflow.sklearn; "
        "m = pickle.load(open(sys.argv[1], 'rb')); mlflow.sklearn.save_model(m, sys.argv[2], "
        "skops_trusted_types=['sklearn.tree._tree.Tree'])"
    )
    subprocess.run([MLFLOW / "python", "-c", script, work / "model.pkl", path], check=True)
    return path


def direct(home: Path, row: dict, calls: int = 2000) -> dict:
    """Median in-process latencies: the sklearn model's predict on a 1x20 array, the
    lakeworks predictor on one row, and ``Serving.predict`` (no HTTP)."""
    import pyarrow as pa

    import lakeworks as lw

    ws = lw.connect(home=str(home), progress=False, user="bench")
    predictor = ws.models.load("gbc/1")
    array = np.array([list(row.values())])
    table = pa.Table.from_pylist([row])

    def median_ms(fn) -> float:  # noqa: ANN001
        for _ in range(50):
            fn()
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return round(float(np.median(times)) * 1000, 3)

    out = {
        "sklearn_predict_p50_ms": median_ms(lambda: predictor.model.predict(array)),
        "predictor_predict_p50_ms": median_ms(lambda: predictor.predict(table)),
        "serving_predict_p50_ms": median_ms(lambda: ws.endpoints.predict("gbc", [row])),
    }
    ws.platform.close()
    return out


def wait_up(url: str, process: subprocess.Popen, what: str) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start")


def start_lakeworks(
    home: Path, port: int, workers: int, wait_ms: float, on_loop: bool
) -> subprocess.Popen:
    env = {
        **os.environ,
        "LAKEWORKS_PROGRESS": "false",
        "LAKEWORKS_SERVING_BATCH_WAIT_MS": str(wait_ms),
        "LAKEWORKS_SERVING_ON_LOOP": "true" if on_loop else "false",
        "PYTHONPATH": str(REPO / "src"),
    }
    command = [sys.executable, "-m", "lakeworks.cli.app", "--home", str(home), "serve"]
    command += ["--endpoints", "gbc,gbc_keys", "--workers", str(workers), "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, start_new_session=True)
    wait_up(f"http://127.0.0.1:{port}/health", process, "lakeworks serve")
    return process


def start_mlflow(model: Path, port: int, workers: int) -> subprocess.Popen:
    command = [MLFLOW / "mlflow", "models", "serve", "-m", str(model), "--env-manager", "local"]
    command += ["-h", "127.0.0.1", "-p", str(port), "-w", str(workers)]
    env = {**os.environ, "PATH": f"{MLFLOW}:{os.environ['PATH']}"}
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_up(f"http://127.0.0.1:{port}/ping", process, "mlflow models serve")
    return process


def lua(work: Path, name: str, body: str | None = None, keys: bool = False) -> Path:
    """A wrk script POSTing ``body`` (or, with ``keys``, one random entity per request)."""
    lines = ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"']
    if keys:
        lines += [
            "request = function()",
            f"  local id = math.random(0, {ENTITIES - 1})",
            """  local body = '{"keys": [{"entity_id": ' .. id .. '}]}'""",
            "  return wrk.format(nil, nil, nil, body)",
            "end",
        ]
    else:
        lines.append(f"wrk.body = {json.dumps(body)}")
    path = work / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, script: Path, concurrency: int, seconds: float) -> dict:
    threads = min(concurrency, 2)
    command = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{int(seconds)}s", "--latency"]
    command += ["--timeout", "30s", "-s", str(script), url]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def latency(percent: str) -> float:
        value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
        return round(float(value) * _UNITS[unit], 3)

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket = re.search(r"Socket errors: (.*)", text)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "requests": int(re.search(r"(\d+) requests in", text).group(1)),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket.group(1) if socket else None,
    }


def check(url: str, body: str) -> None:
    """One request answered with a prediction (a 200 with per-row errors is a failure)."""
    response = httpx.post(url, content=body, headers={"Content-Type": "application/json"})
    response.raise_for_status()
    data = response.json()
    if isinstance(data, dict) and data.get("errors") and any(data["errors"]):
        raise RuntimeError(f"{url} answered errors: {data['errors']}")


def median_of(runs: list[dict]) -> dict:
    keys = ("rps", "p50_ms", "p99_ms")
    out = {k: round(float(np.median([r[k] for r in runs])), 3) for k in keys}
    out["runs"] = runs
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch-wait-ms", type=float, default=2, help="mode threads")
    parser.add_argument(
        "--mode", choices=["loop", "threads"], default="loop", help="lakeworks' micro-batching"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        home = work / "lw"
        row = prepare(home, work)
        mlflow_model = save_for_mlflow(work)
        baseline = direct(home, row)
        log("in-process", baseline)
        lw_port, ml_port = 8941, 8942
        servers = [
            start_lakeworks(home, lw_port, args.workers, args.batch_wait_ms, args.mode == "loop"),
            start_mlflow(mlflow_model, ml_port, args.workers),
        ]
        try:
            results = run_all(args, work, row, lw_port, ml_port)
        finally:
            for server in servers:
                os.killpg(server.pid, 15)
                server.wait()
    report(args, baseline, results)


def run_all(args: argparse.Namespace, work: Path, row: dict, lw_port: int, ml_port: int) -> dict:
    lw_body = json.dumps({"rows": [row]})
    ml_body = json.dumps({"dataframe_split": {"columns": list(row), "data": [list(row.values())]}})
    targets = {
        "lakeworks": (
            f"http://127.0.0.1:{lw_port}/serve/default/gbc/predict",
            lua(work, "lw", lw_body),
        ),
        "mlflow": (f"http://127.0.0.1:{ml_port}/invocations", lua(work, "ml", ml_body)),
    }
    keys_url = f"http://127.0.0.1:{lw_port}/serve/default/gbc_keys/predict"
    check(targets["lakeworks"][0], lw_body)
    check(targets["mlflow"][0], ml_body)
    check(keys_url, json.dumps({"keys": [{"entity_id": 3}]}))
    keys_script = lua(work, "keys", keys=True)
    for url, script in [*targets.values(), (keys_url, keys_script)]:
        wrk(url, script, 32, 2)  # warm up
    runs: dict[str, list[dict]] = {}
    for round_ in range(args.rounds):
        for concurrency in (1, 32):
            for name, (url, script) in targets.items():
                result = wrk(url, script, concurrency, args.seconds)
                log(f"round {round_} {name} c={concurrency}", result)
                runs.setdefault(f"{name}_c{concurrency}", []).append(result)
        result = wrk(keys_url, keys_script, 1, args.seconds)
        log(f"round {round_} features by key c=1", result)
        runs.setdefault("lakeworks_keys_c1", []).append(result)
    return {k: median_of(v) for k, v in runs.items()}


def report(args: argparse.Namespace, baseline: dict, results: dict) -> None:
    lw32, ml32 = results["lakeworks_c32"], results["mlflow_c32"]
    lw1 = results["lakeworks_c1"]
    print(
        json.dumps(
            {
                "workload": "serving",
                "machine": machine(),
                "sizes": {"trees": 100, "features": 20, "entities": ENTITIES},
                "seconds": args.seconds,
                "rounds": args.rounds,
                "workers": args.workers,
                "batching": args.mode,
                "batch_wait_ms": args.batch_wait_ms if args.mode == "threads" else None,
                "in_process": baseline,
                "results": results,
                "ratios": {
                    "rps_c32_lakeworks_over_mlflow": round(lw32["rps"] / ml32["rps"], 1),
                    "p99_c32_lakeworks_over_mlflow": round(lw32["p99_ms"] / ml32["p99_ms"], 4),
                    "rps_c1_lakeworks_over_mlflow": round(
                        lw1["rps"] / results["mlflow_c1"]["rps"], 1
                    ),
                    "p50_c1_overhead_over_sklearn_predict_ms": round(
                        lw1["p50_ms"] - baseline["sklearn_predict_p50_ms"], 3
                    ),
                },
            },
            indent=1,
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
