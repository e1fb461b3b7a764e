"""The experiments UI side by side with MLflow's (``mlflow server``, its own venv), on the
same runs logged to both: the time until an experiment's run table shows its newest run,
and until the metric charts of 20 runs (1,000 steps each) are drawn.

    python benchmarks/ui_mlflow.py > .bench/ui_mlflow.json
    python benchmarks/ui_mlflow.py --runs 1000 --repeat 3      # quick check

Prints one JSON object. ``--runs`` runs (params lr, depth, model; metrics loss and acc)
are logged to lakeworks and to an MLflow SQLite store (``benchmarks/ui_mlflow_seed.py``
in ``.bench/mlflow``); 20 of them carry ``loss`` over 1,000 steps. On each side those 20
go through the product's own door (the tracking service; ``MlflowClient``) and the rest
are written in bulk as the rows of its own tables, shaped like those the door writes.
Both stores are kept under ``.bench/ui-mlflow`` and reused when they hold as many runs.
Each UI is served by its own server process on this machine; headless Chromium (Debian's
``chromium`` + ``chromium-driver``) opens each page ``--repeat`` times
after one warm-up, from ``about:blank`` each time, alternating the two.

Per page, ``visible_ms`` is measured by the page's own clock from navigation start until
the content is in the DOM: a check injected before any page script (Chrome DevTools
``Page.addScriptToEvaluateOnNewDocument``) runs every 5 ms and on every DOM change:
- run table: an element whose text is the newest run's name;
- compare: lakeworks' ``/compare`` has drawn its charts (a canvas per metric), MLflow's
  metric page (``#/metric?runs=[...]&plot_metric_keys=["loss"]``) has its 20 Plotly traces.
Goals (issue 20): the run table >= 5x sooner than MLflow's, the comparison >= 5x sooner.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import BENCH_DIR, REPO, log, machine, median  # noqa: E402

from lakeworks.config import Settings  # noqa: E402
from lakeworks.context import Context  # noqa: E402
from lakeworks.platform import Platform  # noqa: E402
from lakeworks.tracking.records import Metric  # noqa: E402

MLFLOW = BENCH_DIR / "mlflow" / "bin"
COMPARED = 20
STEPS = 1000
WATCH = """
(() => {
  const done = () => { if (window.__seen) return; if (%s) window.__seen = performance.now(); };
  const timer = setInterval(() => { done(); if (window.__seen) clearInterval(timer); }, 5);
  new MutationObserver(done).observe(document, {subtree: true, childList: true, attributes: true});
})();
"""
NEWEST = "document.evaluate(\"//*[text()='%s']\", document, null, 9, null).singleNodeValue"
OUR_CHARTS = (
    "document.body && document.body.dataset.charts"
    " && document.querySelectorAll('#compare-charts canvas').length >= 2"
)
MLFLOW_CHARTS = "document.querySelectorAll('.js-plotly-plot .scatterlayer .trace').length >= %d"


def dataset(runs: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    start = 1_780_000_000_000
    out = []
    for i in range(runs):
        run = {
            "name": f"run-{i:05d}",
            "start": start + i * 1000,
            "params": {
                "lr": str(round(rng.uniform(1e-4, 0.1), 5)),
                "depth": str(rng.randint(2, 12)),
                "model": rng.choice(["tree", "linear", "mlp"]),
            },
            "metrics": {"loss": rng.random(), "acc": rng.random()},
        }
        if i < COMPARED:
            del run["metrics"]["loss"]
            run["history"] = {"loss": [1 / (1 + 0.01 * s * (i + 1)) for s in range(STEPS)]}
        out.append(run)
    return out


def seed_lakeworks(home: Path, runs: list[dict[str, Any]]) -> tuple[int, dict[str, str]]:
    marker = home / "seeded.json"
    if marker.exists() and json.loads(marker.read_text())["runs"] == len(runs):
        found = json.loads(marker.read_text())
        return found["experiment_id"], found["run_ids"]
    shutil.rmtree(home, ignore_errors=True)
    platform = Platform.open(Settings.load(home=home, progress=False))
    try:
        platform.catalog.create_workspace("default", "bench", exist_ok=True)
        ctx, tracking = Context("default", "bench"), platform.tracking
        exp = tracking.create_experiment(ctx, "ui-bench")
        ids: dict[str, str] = {}
        with Progress(transient=True) as progress:
            task = progress.add_task("lakeworks runs", total=COMPARED)
            for run in runs[:COMPARED]:
                made = tracking.create_run(ctx, exp.id, name=run["name"], start_time=run["start"])
                points = [Metric(k, v, 0, run["start"]) for k, v in run["metrics"].items()]
                for key, values in run.get("history", {}).items():
                    points += [Metric(key, v, s, run["start"] + s) for s, v in enumerate(values)]
                tracking.log_batch(ctx, made.id, metrics=points, params=list(run["params"].items()))
                tracking.update_run(ctx, made.id, status="FINISHED", end_time=run["start"] + 60_000)
                ids[run["name"]] = made.id
                progress.advance(task)
        _bulk(platform, runs[COMPARED:], ids[runs[COMPARED - 1]["name"]], ids)
    finally:
        platform.close()
    marker.write_text(json.dumps({"runs": len(runs), "experiment_id": exp.id, "run_ids": ids}))
    return exp.id, ids


def _bulk(
    platform: Platform, runs: list[dict[str, Any]], template: str, ids: dict[str, str]
) -> None:
    """``runs`` as rows of lakeworks' tracking tables, shaped like those of ``template``."""
    import uuid

    from sqlalchemy import insert, select

    from lakeworks.meta.models import LatestMetricRow, MetricRow, ParamRow, RunRow, RunTagRow

    with platform.catalog.session() as s:
        row = s.scalars(select(RunRow).where(RunRow.id == template)).one()
        base = {c.key: getattr(row, c.key) for c in RunRow.__table__.columns}
        tags = s.execute(
            select(RunTagRow.key, RunTagRow.value).where(RunTagRow.run_id == template)
        ).all()
        made, params, points, named = [], [], [], []
        for run in runs:
            run_id = uuid.uuid4().hex
            ids[run["name"]] = run_id
            made.append(
                {
                    **base,
                    "id": run_id,
                    "name": run["name"],
                    "start_time": run["start"],
                    "end_time": run["start"] + 60_000,
                }
            )
            named += [
                {"run_id": run_id, "key": k, "value": run["name"] if k == "mlflow.runName" else v}
                for k, v in tags
            ]
            params += [{"run_id": run_id, "key": k, "value": v} for k, v in run["params"].items()]
            points += [
                {
                    "run_id": run_id,
                    "key": k,
                    "value": v,
                    "step": 0,
                    "timestamp": run["start"],
                    "is_nan": False,
                }
                for k, v in run["metrics"].items()
            ]
        for model, rows in (
            (RunRow, made),
            (RunTagRow, named),
            (ParamRow, params),
            (MetricRow, points),
            (LatestMetricRow, points),
        ):
            for first in range(0, len(rows), 5000):
                s.execute(insert(model), rows[first : first + 5000])


def seed_mlflow(folder: Path, data: Path) -> tuple[str, dict[str, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        str(MLFLOW / "python"),
        str(Path(__file__).with_name("ui_mlflow_seed.py")),
        "--store",
        f"sqlite:///{folder / 'mlflow.db'}",
        "--data",
        str(data),
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    found = json.loads(out.strip().splitlines()[-1])
    return found["experiment_id"], found["run_ids"]


def start(command: list[str], url: str, log_path: Path, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        command, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{command[0]} exited: {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"{command} did not answer {url} within 180 s")


def servers(folder: Path, home: Path) -> tuple[list[subprocess.Popen], str, str]:
    from tests.conftest import free_port

    ours, theirs = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEWORKS_", "MLFLOW_"))}
    env_ours = {**env, "LAKEWORKS_PROGRESS": "false", "PYTHONPATH": str(REPO / "src")}
    lake = start(
        [
            sys.executable,
            "-m",
            "lakeworks.cli.app",
            "--home",
            str(home),
            "server",
            "--port",
            str(ours),
            "--no-access-log",
            "--no-scheduler",
        ],
        f"http://127.0.0.1:{ours}/health",
        folder / "lakeworks.log",
        env_ours,
    )
    mlflow = start(
        [
            str(MLFLOW / "mlflow"),
            "server",
            "--backend-store-uri",
            f"sqlite:///{folder / 'mlflow' / 'mlflow.db'}",
            "--default-artifact-root",
            str(folder / "mlflow" / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(theirs),
            "--workers",
            "1",
        ],
        f"http://127.0.0.1:{theirs}/health",
        folder / "mlflow.log",
        env,
    )
    return [lake, mlflow], f"http://127.0.0.1:{ours}", f"http://127.0.0.1:{theirs}"


def visible_ms(driver: Any, url: str, condition: str, timeout: float = 120) -> float:
    """Milliseconds from navigation start until ``condition`` held, by the page's clock."""
    driver.get("about:blank")
    script = driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": WATCH % condition}
    )
    try:
        driver.get(url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = driver.execute_script("return window.__seen || null")
            if seen:
                return round(float(seen), 1)
            time.sleep(0.05)
        raise SystemExit(f"{url}: {condition} did not hold within {timeout} s")
    finally:
        driver.execute_cdp_cmd(
            "Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]}
        )


def pages(
    ours: str, theirs: str, ids: dict[str, Any], newest: str
) -> dict[str, dict[str, tuple[str, str]]]:
    lake_runs, ml_runs = ids["lakeworks"][1], ids["mlflow"][1]
    compared = [f"run-{i:05d}" for i in range(COMPARED)]
    ours_compare = "&".join(f"runs={lake_runs[n]}" for n in compared)
    ml_list = quote(json.dumps([ml_runs[n] for n in compared]))
    ml_exp = ids["mlflow"][0]
    return {
        "run_table": {
            "lakeworks": (f"{ours}/w/default/experiments/{ids['lakeworks'][0]}", NEWEST % newest),
            "mlflow": (f"{theirs}/#/experiments/{ml_exp}/runs", NEWEST % newest),
        },
        "compare_20_runs": {
            "lakeworks": (
                f"{ours}/w/default/experiments/{ids['lakeworks'][0]}/compare?{ours_compare}",
                OUR_CHARTS,
            ),
            "mlflow": (
                f"{theirs}/#/metric?runs={ml_list}&metric=%22loss%22&experiments="
                f"{quote(json.dumps([ml_exp]))}&plot_metric_keys={quote(json.dumps(['loss']))}",
                MLFLOW_CHARTS % COMPARED,
            ),
        },
    }


def measure(
    driver: Any, plan: dict[str, dict[str, tuple[str, str]]], repeat: int
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for page, sides in plan.items():
        times: dict[str, list[float]] = {side: [] for side in sides}
        for url, condition in sides.values():
            visible_ms(driver, url, condition)  # warm-up
        for _ in range(repeat):
            for side, (url, condition) in sides.items():
                times[side].append(visible_ms(driver, url, condition))
        out[page] = {side: {"median_ms": median(t), "runs_ms": t} for side, t in times.items()}
        out[page]["mlflow_over_lakeworks"] = round(
            out[page]["mlflow"]["median_ms"] / out[page]["lakeworks"]["median_ms"], 1
        )
        log(page, out[page])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not (MLFLOW / "mlflow").exists():
        raise SystemExit(
            f"{MLFLOW / 'mlflow'} is missing: see docs/benchmarks.md (the web UI vs MLflow)"
        )
    folder = BENCH_DIR / "ui-mlflow"
    folder.mkdir(parents=True, exist_ok=True)
    runs = dataset(args.runs)
    data = folder / "runs.json"
    data.write_text(json.dumps({"runs": runs, "through_client": COMPARED}))
    started = time.perf_counter()
    ids = {"lakeworks": seed_lakeworks(folder / "lakeworks", runs)}
    log(f"lakeworks seeded in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    ids["mlflow"] = seed_mlflow(folder / "mlflow", data)
    log(f"mlflow seeded in {time.perf_counter() - started:.0f} s")
    processes, ours, theirs = servers(folder, folder / "lakeworks")
    from tests.ui.browser import chromium
    from tests.ui.browser import start as start_browser

    found = chromium()
    if found is None:
        raise SystemExit(
            "Chromium and chromedriver are needed (apt-get install chromium chromium-driver)"
        )
    driver = start_browser(*found, folder / "downloads")
    try:
        results = measure(driver, pages(ours, theirs, ids, runs[-1]["name"]), args.repeat)
    finally:
        driver.quit()
        for process in processes:
            process.terminate()
            process.wait(20)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    print(
        json.dumps(
            {
                "workload": "ui_mlflow",
                "machine": machine(),
                "commit": commit,
                "runs": args.runs,
                "compared": COMPARED,
                "steps": STEPS,
                "repeat": args.repeat,
                "mlflow": "3.18.0",
                **results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
