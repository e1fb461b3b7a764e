"""The web UI: time from navigation until each page's main content is visible, in headless
Chromium, over a workspace with realistic data.

    python benchmarks/ui.py > .bench/ui.json
    python benchmarks/ui.py --tables 100 --runs 1000 --repeat 3     # quick check

Prints one JSON object. The data is made once under ``.bench/ui-home`` (reused when it
exists with the same sizes): ``--tables`` tables through the table service, a pipeline of
10 tasks with ``--runs`` runs and ten task attempts each written to the catalog in bulk
(the run records the pipelines service reads), a lineage tree of 1,011 tables under
``hub`` (records of the lineage store), a feature view, a table with failing checks and
quarantined rows, and the admin page's data (50 members, 100 tokens, every quota set,
20,000 usage records of the last 30 days for the costs, 5,000 audit records). Made afresh
on every run, since its page shows the last hour: endpoint ``fraud_api`` with 1,000
logged requests (an input shifted, so drift shows), a canary rolled back by its health
policy, and an hour of per-slot traffic counts from two replicas (what they flush every
5 s). A ``lakeworks server`` process serves it; Chromium (Debian's ``chromium`` +
``chromium-driver``) loads each page ``--repeat`` times after one warm-up.

Per page: ``visible_ms`` = the later of first contentful paint and the end of the page's
scripts (DOMContentLoaded; for the lineage graph, Cytoscape's first render), measured
from navigation start by the browser's own clocks; ``complete_ms`` = the same, or later
when sections the page loads after it shows (a table's preview and quarantine, the admin
page's quotas and costs) are in;
``server_ms`` = the page's ``Server-Timing: app`` (time inside the server, from request
to response start).
Goals: visible <= 300 ms and server <= 50 ms (p50); the 1,000-node lineage graph
interactive within 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import BENCH_DIR, REPO, log, machine, median  # noqa: E402

from lakeworks.config import Settings  # noqa: E402
from lakeworks.context import Context  # noqa: E402
from lakeworks.platform import Platform  # noqa: E402

TASKS = 10
QUOTA_SLOT_S = 5.0  # the default quota_cache_seconds
# sections a page fetches after it shows (htmx hx-trigger="load") are all in
GRAPH_READY = "return document.body.dataset.graphReady"
FRAGMENTS_IN = "return !document.querySelector('.loading')"
VISIBLE = """
const nav = performance.getEntriesByType('navigation')[0];
const paint = performance.getEntriesByName('first-contentful-paint')[0];
const ready = Number(document.body.dataset.graphReady || 0);
const settled = Number(document.body.dataset.settled || 0);
const timing = (nav.serverTiming || []).find(t => t.name === 'app');
const marks = {};
for (const m of performance.getEntriesByType('mark'))
  marks[m.name.replace('lw-lineage-', '')] = m.startTime;
return {fcp: paint ? paint.startTime : null, dcl: nav.domContentLoadedEventEnd,
        response: nav.responseEnd, marks: marks,
        ready: ready, settled: settled, server: timing ? timing.duration : null,
        load: nav.loadEventEnd};
"""


SEED = 2  # bump when seed() makes different data: an older seed is made again


def seed(home: Path, tables: int, runs: int) -> dict[str, Any]:
    """Make the data (or reuse it); returns what the pages are opened with."""
    marker = home / "seeded.json"
    found = json.loads(marker.read_text()) if marker.exists() else {}
    if found.get("sizes") == [tables, runs] and found.get("seed") == SEED:
        return found
    shutil.rmtree(home, ignore_errors=True)
    platform = Platform.open(Settings.load(home=home, progress=False))
    try:
        platform.catalog.create_workspace("default", "bench", exist_ok=True)
        ctx = Context("default", "bench")
        with Progress(transient=True) as progress:
            _tables(platform, ctx, tables, progress)
            run_id = _runs(platform, ctx, runs, progress)
            _lineage(platform, ctx, progress)
        _quality_and_features(home, platform, ctx)
        _admin(platform, ctx)
    finally:
        platform.close()
    found = {"sizes": [tables, runs], "run_id": run_id, "seed": SEED}
    marker.write_text(json.dumps(found))
    return found


def _tables(platform: Platform, ctx: Context, count: int, progress: Progress) -> None:
    task = progress.add_task("tables", total=count)
    data = pa.table(
        {
            "id": list(range(100)),
            "amount": [i * 1.5 for i in range(100)],
            "city": [f"c{i % 7}" for i in range(100)],
        }
    )

    def make(i: int) -> None:
        platform.tables.create(ctx, f"table_{i:04d}", data)
        progress.advance(task)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(make, range(count)))


PIPELINE = """
from lakeworks.pipelines import Pipeline

etl = Pipeline("etl", schedule="@hourly")
previous = None
for i in range(10):
    deps = [previous] if previous else []
    etl.add(f"step_{i}", lambda **_: 1, deps=deps)
    previous = f"step_{i}"
"""


def _runs(platform: Platform, ctx: Context, count: int, progress: Progress) -> int:
    """One real run of ``etl``, then ``count`` run records with 10 task attempts each."""
    from sqlalchemy import insert

    from lakeworks.meta.models import PipelineRunRow, TaskRunRow

    platform.pipelines.register_code(ctx, "etl.py", PIPELINE)
    real = platform.pipelines.run(ctx, "etl")
    info = platform.pipelines.get(ctx, "etl")
    ws_id = platform.catalog.workspace("default").id
    task = progress.add_task("runs", total=count)
    start = datetime.now(UTC) - timedelta(hours=count)
    batch = 1000
    with platform.catalog.session() as s:
        for first in range(0, count, batch):
            rows = [
                _run_row(ws_id, info.id, start + timedelta(hours=i), i)
                for i in range(first, min(first + batch, count))
            ]
            ids = s.scalars(insert(PipelineRunRow).returning(PipelineRunRow.id), rows).all()
            s.execute(
                insert(TaskRunRow),
                [_task_row(r, t, rows[0]["created_at"]) for r in ids for t in range(TASKS)],
            )
            progress.advance(task, len(rows))
    return real.id


def _run_row(ws_id: int, pipeline_id: int, at: datetime, i: int) -> dict[str, Any]:
    state = "failed" if i % 17 == 0 else "succeeded"
    return {
        "workspace_id": ws_id,
        "pipeline_id": pipeline_id,
        "pipeline": "etl",
        "run_key": f"bench-{i}",
        "trigger": "schedule",
        "state": state,
        "params": {},
        "interval_start": at,
        "interval_end": at + timedelta(hours=1),
        "cancel_requested": False,
        "recoveries": 0,
        "created_at": at,
        "created_by": "bench",
        "started_at": at,
        "finished_at": at + timedelta(seconds=12),
        "error": "task 'step_9' failed: ValueError" if state == "failed" else None,
    }


def _task_row(run_id: int, t: int, at: datetime) -> dict[str, Any]:
    began = at + timedelta(seconds=t)
    return {
        "run_id": run_id,
        "task": f"step_{t}",
        "state": "succeeded",
        "attempts": 1,
        "started_at": began,
        "finished_at": began + timedelta(seconds=1),
        "duration_s": 1.0,
        "reads": [],
        "writes": [],
    }


def _lineage(platform: Platform, ctx: Context, progress: Progress) -> None:
    from lakeworks.lineage.store import LineageStore, Node, RunRecord

    platform.tables.create(ctx, "hub", pa.table({"id": [1]}))
    store = LineageStore(platform.catalog)
    task = progress.add_task("lineage", total=1010)
    level = ["hub"]
    for width in (10, 10, 9):
        following = []
        for parent in level:
            for i in range(width):
                child = f"{parent}_{i}"
                source = [(Node("table", parent, None), {"id": ["id"]})]
                store.save(
                    RunRecord(
                        "default", f"u-{child}", "sql", "sql", child, 0, "CREATE", "bench", source
                    )
                )
                following.append(child)
                progress.advance(task)
        level = following


def _quality_and_features(home: Path, platform: Platform, ctx: Context) -> None:
    import lakeworks as lw
    from lakeworks.features import Entity, FeatureView
    from lakeworks.quality import checks as qc

    ws = lw.Workspace(platform, ctx)
    ws.write("orders", [{"id": i, "status": "paid", "amount": float(i)} for i in range(1000)])
    ws.quality.add(
        "orders", [qc.accepted_values("status", ["paid", "open"]), qc.between("amount", 0, 2000)]
    )
    path = home.parent / "orders.csv"
    path.write_text(
        "id,status,amount\n"
        + "".join(f"{i},{'bogus' if i % 10 == 0 else 'open'},{i}\n" for i in range(1000, 1200))
    )
    ws.ingest(str(path), "orders", progress=False)
    now = datetime.now(UTC)
    ws.write(
        "trips",
        [{"rider_id": i % 50, "ts": now - timedelta(minutes=i), "trips": i} for i in range(5000)],
    )
    rider = Entity("rider", join_keys=["rider_id"])
    view = FeatureView(
        "rider_stats",
        entity="rider",
        timestamp="ts",
        features=["trips"],
        source="trips",
        ttl=timedelta(days=2),
    )
    ws.features.apply([rider, view])
    ws.features.materialize("rider_stats")


def _admin(platform: Platform, ctx: Context) -> None:
    """What the admin page shows: members, tokens, quotas, costs and the audit log."""
    from lakeworks import limits
    from lakeworks.context import Principal
    from lakeworks.security.audit import AuditLog
    from lakeworks.security.ledger import Ledger, UsageRecord

    root = Context("default", "root", Principal("root", admin=True, via="local"))
    roles = ("viewer", "editor", "maintainer", "owner")
    for i in range(50):
        platform.identities.grant(root, f"user_{i:02d}", roles[i % 4])
    for i in range(100):
        platform.tokens.create(root, f"user_{i % 50:02d}", description=f"bench token {i}")
    for name in limits.QUOTAS:
        platform.quotas.set(root, name, 10**12)
    now = datetime.now(UTC)
    kinds = (
        (limits.SERVING_REQUESTS, None, 1_000.0),
        (limits.TASK_CPU_SECONDS, "etl", 30.0),
        (limits.SQL_SCANNED_BYTES, None, 2e8),
    )
    usage = [
        UsageRecord(
            "default",
            f"user_{i % 50:02d}",
            pipeline,
            kind,
            None,
            amount,
            now - timedelta(minutes=2 * i),
        )  # fmt: skip
        for i in range(20_000 // len(kinds))
        for kind, pipeline, amount in kinds
    ]
    Ledger(platform.catalog).add_usage(usage)
    log = AuditLog(platform.catalog)
    for i in range(5_000):
        user, action = f"user_{i % 50:02d}", ("tables.write", "sql.execute", "pipelines.run")[i % 3]
        log.record(user=user, action=action, workspace="default", object=f"table_{i % 1000:04d}")


def endpoint(home: Path) -> None:
    """``fraud_api`` made afresh (its page shows the last hour): see the module docstring."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sqlalchemy import insert

    from lakeworks.meta.models import EndpointWindowRow
    from lakeworks.monitoring.live import BOUNDS

    platform = Platform.open(Settings.load(home=home, progress=False))
    ctx, serving = Context("default", "bench"), platform.serving
    try:
        rng = np.random.default_rng(3)
        if "fraud_api" in [e.endpoint for e in serving.list(ctx)]:
            serving.delete(ctx, "fraud_api")
        else:
            train = pa.table({"amount": rng.normal(size=5000), "age": rng.normal(size=5000)})
            platform.tables.create(ctx, "fraud_train", train)
            data = train.to_pandas()
            for c in (1.0, 0.1):
                model = LogisticRegression(C=c).fit(data, (data["amount"] > 0).astype(int))
                platform.registry.register(ctx, "fraud", model=model, training_data=data)
        serving.deploy(ctx, "fraud_api", "fraud/1")
        serving.set_reference(ctx, "fraud_api", "fraud_train")
        for i in range(100):
            if i == 80:
                health = {"p99_ms": 0.001, "min_requests": 3}
                serving.deploy(
                    ctx, "fraud_api", "fraud/2", "canary", steps=(50, 100), health=health
                )
            rows = [
                {"amount": float(rng.normal(0.8)), "age": float(rng.normal())} for _ in range(10)
            ]
            serving.predict(ctx, "fraud_api", rows, key=f"k{i}")
        serving.evaluator.run_once()  # rolls the canary back
        ws_id = platform.catalog.workspace("default").id
        now = int(time.time() * 1000)
        flushes = [
            _window_row(ws_id, process, slot, model, now - 5_000 * k, rng, BOUNDS)
            for k in range(1, 721)
            for process in ("replica-a", "replica-b")
            for slot, model in (("live", "fraud/1"), ("candidate", "fraud/2"))
            if slot == "live" or k > 600  # the candidate served the first 10 minutes
        ]
        with platform.catalog.session() as s:
            s.execute(insert(EndpointWindowRow), flushes)
    finally:
        platform.close()


def _window_row(
    ws_id: int, process: str, slot: str, model: str, at: int, rng: Any, bounds: tuple
) -> dict[str, Any]:
    requests = int(rng.poisson(60))
    latency = np.histogram(rng.lognormal(-6, 0.5, requests), bins=[0, *bounds, np.inf])[0]
    return {
        "workspace_id": ws_id, "endpoint": "fraud_api", "slot": slot, "model": model,
        "process": process, "at_ms": at, "requests": requests,
        "errors": int(rng.binomial(requests, 0.01)), "buckets": latency.tolist(),
        "label_n": 0, "label_sum": 0.0,
    }  # fmt: skip


def pages(run_id: int) -> dict[str, str]:
    w = "/w/default"
    return {
        "home": w,
        "tables": f"{w}/tables",
        "table": f"{w}/tables/orders",
        "sql": f"{w}/sql",
        "pipelines": f"{w}/pipelines",
        "pipeline": f"{w}/pipelines/etl",
        "run": f"{w}/pipeline-runs/{run_id}",
        "lineage_1000": f"{w}/lineage/hub",
        "features": f"{w}/features",
        "feature_view": f"{w}/features/view/rider_stats",
        "endpoint": f"{w}/endpoints/fraud_api",
        "admin": f"{w}/admin",
    }


FRAGMENTS = {  # what the table, endpoint and admin pages load after they show (or poll)
    "table_preview": "/w/default/tables/orders/preview",
    "table_quarantine": "/w/default/tables/orders/quarantine",
    "endpoint_charts": "/w/default/endpoints/fraud_api/charts",
    "endpoint_drift": "/w/default/endpoints/fraud_api/drift",
    "admin_quotas": "/w/default/admin/quotas",
    "admin_costs": "/w/default/admin/costs",
}


def fragment(url: str, repeat: int, pause: float = 0.0) -> dict[str, Any]:
    """Server time of a fragment (its Server-Timing), p50 of ``repeat`` after a warm-up,
    ``pause`` seconds before each request."""
    took = []
    for i in range(repeat + 1):
        time.sleep(pause)
        answer = httpx.get(url, headers={"accept": "text/html"}, timeout=60)
        if i:
            took.append(float(answer.headers["server-timing"].split("=")[1]))
    return {"server_ms_p50": round(median(took), 1), "server_ms": took}


def serve(home: Path) -> tuple[subprocess.Popen, str]:
    """``lakeworks server`` on a free port (several engineers share this machine), its
    output in ``.bench/ui-server.log``."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEWORKS_")}
    env["PYTHONPATH"] = str(REPO / "src")
    command = [
        sys.executable,
        "-m",
        "lakeworks.cli.app",
        "--home",
        str(home),
        "server",
        "--port",
        str(port),
        "--no-scheduler",
        "--no-access-log",
    ]
    output = (BENCH_DIR / "ui-server.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit(f"the server stopped: see {BENCH_DIR / 'ui-server.log'}")
        try:
            httpx.get(f"{url}/health", timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def measure(driver: Any, url: str, repeat: int) -> dict[str, Any]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    samples = []
    for i in range(repeat + 1):
        driver.get("about:blank")
        driver.get(url)
        WebDriverWait(driver, 30).until(
            ready.visibility_of_element_located((By.CSS_SELECTOR, "[data-main]"))
        )
        if "lineage" in url:
            WebDriverWait(driver, 30).until(
                lambda d: d.execute_script("return document.body.dataset.graphReady")
            )
        WebDriverWait(driver, 30, poll_frequency=0.05).until(
            lambda d: d.execute_script(FRAGMENTS_IN)
        )
        t = driver.execute_script(VISIBLE)
        if i:  # the first is a warm-up
            samples.append(t)
    visible = [max(s["fcp"] or 0, s["dcl"], s["ready"]) for s in samples]
    complete = [max(v, s["settled"]) for v, s in zip(visible, samples, strict=True)]
    server = [s["server"] for s in samples]
    phases = {key: [s[key] for s in samples] for key in ("response", "dcl", "fcp", "ready")}
    for s in samples:
        for mark, at in s["marks"].items():
            phases.setdefault(mark, []).append(at)
    return {
        # when each step ended, from navigation start (the lineage page's marks)
        "phases_ms_p50": {k: round(median(v), 1) for k, v in phases.items() if v and all(v)},
        "visible_ms_p50": round(median(visible), 1),
        "server_ms_p50": round(median(server), 1),
        "complete_ms_p50": round(median(complete), 1),
        "visible_ms": [round(v, 1) for v in visible],
        "server_ms": [round(v, 1) for v in server],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--pages", nargs="*", help="only these pages (e.g. lineage_1000)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from tests.ui.browser import chromium, start

    home = BENCH_DIR / "ui-home" / "lw"
    began = time.perf_counter()
    found = seed(home, args.tables, args.runs)
    endpoint(home)
    log(f"data ready in {time.perf_counter() - began:.0f} s")
    process, url = serve(home)
    found_browser = chromium()
    if found_browser is None:
        raise SystemExit(
            "Chromium and chromedriver are needed: apt-get install chromium chromium-driver"
        )
    driver = start(*found_browser, BENCH_DIR)
    try:
        results = {
            name: measure(driver, url + path, args.repeat)
            for name, path in pages(found["run_id"]).items()
            if not args.pages or name in args.pages
        }
        fragments = {name: fragment(url + path, args.repeat) for name, path in FRAGMENTS.items()}
        # quotas' use is cached per quota_cache_seconds slot (5 s): past it, each measures again
        cold = fragment(url + FRAGMENTS["admin_quotas"], args.repeat, pause=QUOTA_SLOT_S + 0.1)
        fragments["admin_quotas_new_slot"] = cold
    finally:
        driver.quit()
        process.terminate()
        process.wait()
    print(
        json.dumps(
            {
                "machine": machine(),
                "sizes": {
                    "tables": args.tables,
                    "pipeline_runs": args.runs,
                    "task_attempts": args.runs * TASKS,
                    "lineage_nodes": 1011,
                    "audit_records": 5000,
                    "usage_records": 20_000,
                    "endpoint_window_rows": 2 * 720 + 2 * 120,
                },
                "repeat": args.repeat,
                "pages": results,
                "fragments_server_ms": fragments,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
