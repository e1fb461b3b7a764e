"""Pipelines: orchestration overhead per task, cold start, scheduler throughput, vs Dask/Prefect.

    python benchmarks/pipelines.py > .bench/pipelines.json
    python benchmarks/pipelines.py --tasks 200 --repeat 3 --no-prefect   # quick check

Prints one JSON object. Sides:
- lakeworks in-process (thread executor) and on a local Dask cluster
  (``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)``), a chain and a
  fan-out/fan-in of no-op tasks, run with ``platform.pipelines.run`` (wait=True);
- the same DAGs through raw Dask: ``dask.delayed`` on the threaded scheduler, and
  ``distributed`` on the same cluster;
- Prefect, installed by this script in its own venv under ``.bench/prefect-venv``, run in a
  subprocess with a temporary PREFECT_HOME (ephemeral API server);
- cold start: a fresh process imports lakeworks, connects, registers and runs a 1-task
  pipeline (wall time of the subprocess);
- scheduler throughput: 100 due runs x 100 no-op tasks through ``Scheduler.tick`` on SQLite
  and PostgreSQL, in task state transitions per second (queued->running->succeeded = 2).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH_DIR, log, machine, median, summary  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PREFECT_VENV = BENCH_DIR / "prefect-venv"

DAGS = """
from lakeworks.pipelines import Pipeline

N = {n}


def noop():
    return None


chain = Pipeline("chain")
for i in range(N):
    chain.add(f"t{{i}}", noop, deps=[f"t{{i - 1}}"] if i else [])

fan = Pipeline("fan")
fan.add("root", noop)
for i in range(N - 2):
    fan.add(f"m{{i}}", noop, deps=["root"])
fan.add("sink", noop, deps=[f"m{{i}}" for i in range(N - 2)])
"""

SCHEDULED = """
from lakeworks.pipelines import Pipeline


def noop():
    return None


often = Pipeline("often", schedule="1m", catchup=True, start="{start}", max_active_runs=16)
for i in range({tasks}):
    often.add(f"t{{i}}", noop)
"""

COLD = """
import time, sys
t0 = time.perf_counter()
import lakeworks as lw
ws = lw.connect(home=sys.argv[1], lineage_transport="none", progress=False)
ws.pipelines.register(sys.argv[2])
run = ws.pipelines.run("one")
assert run.state == "succeeded", run
print(time.perf_counter() - t0)
ws.platform.close()
"""

ONE = """
from lakeworks.pipelines import Pipeline

one = Pipeline("one")


@one.task
def only():
    return 1
"""

PREFECT = """
import json, sys, time
t0 = time.perf_counter()
from prefect import flow, task

N, REPEAT = int(sys.argv[1]), int(sys.argv[2])


@task
def noop():
    return None


@flow
def one():
    noop.submit().wait()


@flow
def chain(n):
    f = noop.submit()
    for _ in range(n - 1):
        f = noop.submit(wait_for=[f])
    f.wait()


@flow
def fan(n):
    root = noop.submit()
    mids = [noop.submit(wait_for=[root]) for _ in range(n - 2)]
    noop.submit(wait_for=mids).wait()


one()
cold = time.perf_counter() - t0
out = {"cold_start_in_process_s": cold, "chain_s": [], "fan_s": []}
for shape, fn in (("chain", chain), ("fan", fan)):
    for _ in range(REPEAT):
        t = time.perf_counter()
        fn(N)
        out[f"{shape}_s"].append(time.perf_counter() - t)
print(json.dumps(out))
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def open_platform(home: Path, **overrides: Any):  # noqa: ANN201
    from lakeworks.config import Settings
    from lakeworks.context import Context
    from lakeworks.platform import Platform

    settings = Settings.load(home=home, lineage_transport="none", progress=False, **overrides)
    platform = Platform.open(settings)
    platform.catalog.create_workspace("bench", "bench", exist_ok=True)
    return platform, Context("bench", "bench")


def lakeworks_dags(folder: Path, n: int, repeat: int, **overrides: Any) -> dict[str, Any]:
    """Per-task time of the chain and the fan through platform.pipelines.run."""
    platform, ctx = open_platform(folder / f"lw-{uuid.uuid4().hex[:6]}", **overrides)
    source = write(folder, f"dags_{n}.py", DAGS.format(n=n))
    service = platform.pipelines
    service.register(ctx, source)
    out = {}
    try:
        service.run(ctx, "chain")  # warm-up: executor, imports, caches
        for shape in ("chain", "fan"):
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                run = service.run(ctx, shape)
                times.append(time.perf_counter() - t)
                assert run.state == "succeeded", run.error
            out[shape] = per_task(times, n)
            log(f"  lakeworks {overrides or 'local'} {shape}: {out[shape]['per_task_ms']} ms/task")
    finally:
        platform.close()
    return out


def per_task(times: list[float], n: int) -> dict[str, Any]:
    return {"tasks": n, "per_task_ms": round(median(times) / n * 1000, 3), **summary(times)}


def dask_graphs(n: int):  # noqa: ANN201
    import dask

    def noop(*_: Any) -> None:
        return None

    chain = dask.delayed(noop, pure=False)()
    for _ in range(n - 1):
        chain = dask.delayed(noop, pure=False)(chain)
    root = dask.delayed(noop, pure=False)()
    mids = [dask.delayed(noop, pure=False)(root) for _ in range(n - 2)]
    fan = dask.delayed(noop, pure=False)(*mids)
    return {"chain": chain, "fan": fan}


def raw_dask(n: int, repeat: int, client: Any = None) -> dict[str, Any]:
    import dask

    out = {}
    for shape in ("chain", "fan"):
        times = []
        for i in range(repeat + 1):  # the first is a warm-up
            graph = dask_graphs(n)[shape]
            t = time.perf_counter()
            if client is None:
                dask.compute(graph, scheduler="threads")
            else:
                client.compute(graph).result()
            if i:
                times.append(time.perf_counter() - t)
        out[shape] = per_task(times, n)
        log(f"  raw dask {'distributed' if client else 'threads'} {shape}: "
            f"{out[shape]['per_task_ms']} ms/task")  # fmt: skip
    return out


def cold_start(folder: Path, repeat: int) -> dict[str, Any]:
    """Wall time of a fresh process: import, connect, register, run a 1-task pipeline."""
    script = write(folder, "cold.py", COLD)
    source = write(folder, "one.py", ONE)
    times, inner = [], []
    for _ in range(repeat):
        home = folder / f"cold-{uuid.uuid4().hex[:6]}"
        t = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(script), str(home), str(source)],
            capture_output=True,
            text=True,
            check=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("LAKEWORKS_")},
        )
        times.append(time.perf_counter() - t)
        inner.append(float(done.stdout.strip().splitlines()[-1]))
    log(f"  cold start: {median(times):.2f} s")
    return {"process_wall": summary(times), "in_process": summary(inner)}


def scheduler_throughput(folder: Path, runs: int, tasks: int, **overrides: Any) -> dict[str, Any]:
    """``runs`` due intervals of a ``tasks``-task pipeline, ticked until every run ends."""
    platform, ctx = open_platform(folder / f"sched-{uuid.uuid4().hex[:6]}", **overrides)
    start = (datetime.now(UTC) - timedelta(minutes=runs)).replace(second=0, microsecond=0)
    source = write(folder, f"often_{uuid.uuid4().hex[:6]}.py", SCHEDULED.format(
        start=start.isoformat(), tasks=tasks))  # fmt: skip
    service = platform.pipelines
    service.register(ctx, source)
    scheduler = service.scheduler(tick_seconds=0.05, max_parallel_runs=16)
    try:
        t = time.perf_counter()
        created = 0
        while True:
            created += scheduler.tick().created
            active = service.runs(ctx, "often", "queued", None) + service.runs(
                ctx, "often", "running", None
            )
            if not active and created:
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - t
    finally:
        scheduler.stop(wait=True)
        platform.close()
    done = service.runs(ctx, "often", None, None)
    states = {s: sum(r.state == s for r in done) for s in {r.state for r in done}}
    transitions = 2 * tasks * states.get("succeeded", 0)
    result = {
        "runs": created,
        "tasks_per_run": tasks,
        "states": states,
        "seconds": round(seconds, 3),
        "transitions": transitions,
        "transitions_per_s": round(transitions / seconds, 1),
        "tasks_per_s": round(transitions / 2 / seconds, 1),
    }
    log(f"  scheduler {overrides or 'sqlite'}: {result['transitions_per_s']} transitions/s")
    return result


def postgres_schema() -> tuple[str, Any] | None:
    import sqlalchemy

    schema = f"lw_bench_{uuid.uuid4().hex[:8]}"
    try:
        engine = sqlalchemy.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - report, do not fail the other sides
        log(f"  PostgreSQL unavailable: {exc}")
        return None

    def drop() -> None:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()

    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    from lakeworks.meta import engine as meta_engine

    if hasattr(meta_engine, "upgrade"):  # explicit migrations (issue 15); earlier: on open
        catalog = meta_engine.make_engine(url)
        meta_engine.upgrade(catalog)
        catalog.dispose()
    return url, drop


def prefect(folder: Path, n: int, repeat: int, install_timeout: float) -> dict[str, Any]:
    python = PREFECT_VENV / "bin" / "python"
    if not python.exists():
        log("  installing prefect into", PREFECT_VENV)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(PREFECT_VENV)], check=True)
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", "prefect"],
                check=True,
                timeout=install_timeout,
                capture_output=True,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            return {"error": f"could not install prefect: {exc}"}
    version = subprocess.run(
        [str(python), "-c", "import prefect; print(prefect.__version__)"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    script = write(folder, "prefect_bench.py", PREFECT)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VIRTUAL_ENV"))},
        "PREFECT_HOME": str(folder / "prefect-home"),
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    t = time.perf_counter()
    try:
        done = subprocess.run(
            [str(python), str(script), str(n), str(repeat)],
            capture_output=True,
            text=True,
            timeout=900,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return {"version": version, "error": "prefect run exceeded 900 s"}
    if done.returncode != 0:
        return {"version": version, "error": done.stderr[-2000:]}
    total = time.perf_counter() - t
    data = json.loads(done.stdout.strip().splitlines()[-1])
    out = {
        "version": version,
        "cold_start_in_process_s": round(data["cold_start_in_process_s"], 3),
        "process_wall_s": round(total, 3),
        "chain": per_task(data["chain_s"], n),
        "fan": per_task(data["fan_s"], n),
    }
    log(f"  prefect chain {out['chain']['per_task_ms']} fan {out['fan']['per_task_ms']} ms/task")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000, help="tasks per DAG")
    parser.add_argument("--prefect-tasks", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=100, help="due runs for the scheduler")
    parser.add_argument("--run-tasks", type=int, default=100, help="tasks per scheduled run")
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--no-prefect", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="lw-bench-pipelines-"))
    result: dict[str, Any] = {"machine": machine(), "args": vars(args)}
    log("in-process (threads)")
    result["lakeworks_local"] = lakeworks_dags(folder, args.tasks, args.repeat)
    result["raw_dask_threads"] = raw_dask(args.tasks, args.repeat)
    if not args.no_dask:
        from distributed import Client, LocalCluster

        log("local Dask cluster: 2 worker processes x 1 thread")
        with (
            LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            address = cluster.scheduler_address
            result["raw_dask_distributed"] = raw_dask(args.tasks, args.repeat, client)
            result["lakeworks_dask"] = lakeworks_dags(
                folder, args.tasks, args.repeat, executor=address
            )
    log("cold start")
    result["cold_start"] = cold_start(folder, args.repeat)
    log("scheduler throughput")
    result["scheduler_sqlite"] = scheduler_throughput(folder, args.runs, args.run_tasks)
    if not args.no_postgres:
        pg = postgres_schema()
        if pg is None:
            result["scheduler_postgres"] = {"error": "PostgreSQL unreachable at " + PG_URL}
        else:
            url, drop = pg
            try:
                result["scheduler_postgres"] = scheduler_throughput(
                    folder, args.runs, args.run_tasks, metadata_url=url
                )
            finally:
                drop()
    if not args.no_prefect:
        log("prefect")
        result["prefect"] = prefect(folder, args.prefect_tasks, args.repeat, 600)
        log("lakeworks in-process at the prefect size")
        result["lakeworks_local_prefect_size"] = lakeworks_dags(
            folder, args.prefect_tasks, args.repeat
        )
    result["ratios"] = ratios(result)
    print(json.dumps(result, indent=2, default=str))


def ratios(r: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for shape in ("chain", "fan"):
        local = r["lakeworks_local"][shape]["per_task_ms"]
        out[f"local_{shape}_ms_per_task"] = local
        if "lakeworks_dask" in r:
            lw, raw = r["lakeworks_dask"][shape], r["raw_dask_distributed"][shape]
            out[f"dask_{shape}_vs_raw_distributed"] = round(
                lw["per_task_ms"] / raw["per_task_ms"], 2
            )
        pf = r.get("prefect", {}).get(shape)
        if pf:
            small = r["lakeworks_local_prefect_size"][shape]["per_task_ms"]
            out[f"prefect_{shape}_vs_local"] = round(pf["per_task_ms"] / small, 1)
    out["cold_start_s"] = r["cold_start"]["process_wall"]["median_s"]
    return out


if __name__ == "__main__":
    main()
