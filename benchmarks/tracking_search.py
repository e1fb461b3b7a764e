"""Run search: 10,000 runs (10 params, 10 metrics each), a filter on a metric and a param,
a sort, the first 100 runs. lakeworks' ``Tracking.search_runs`` against MLflow 3.18's
``MlflowClient.search_runs`` on the same runs, each in its own SQLite file.

Prints one JSON document: the machine, the sizes, the medians (of ``--repeat`` searches
after one warm-up) and their ratio, and the query plan of the lakeworks statement.

The MLflow side runs in its own venv (never a lakeworks dependency), as a subprocess
(``benchmarks/tracking_search_mlflow.py``)::

    python3 -m venv .bench/mlflow
    .bench/mlflow/bin/pip install mlflow-skinny==3.18.0 sqlalchemy alembic
    python benchmarks/tracking_search.py [--runs 10000] [--repeat 7] [--postgres URL]

Both stores are seeded once (lakeworks through ``create_run`` + ``log_batch`` per run,
MLflow through ``create_run`` + ``log_batch``) and reused by later invocations with the
same sizes; ``--fresh`` seeds again. ``--postgres URL`` also seeds and times lakeworks on
PostgreSQL (an empty schema is created in that database).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH_DIR, log, machine, summary  # noqa: E402

FILTER = "metrics.m0 > 0.5 and params.p0 = 'v3'"
ORDER_BY = ["metrics.m1 DESC"]
MAX_RESULTS = 100
MLFLOW_PYTHON = BENCH_DIR / "mlflow" / "bin" / "python"


def dataset(runs: int, seed: int = 7) -> list[dict[str, Any]]:
    """The runs both stores get: name, start time, 10 params, 10 metrics (0..1)."""
    rng = random.Random(seed)
    return [
        {
            "name": f"run-{i:05d}",
            "start_time": 1_700_000_000_000 + i * 1000,
            "params": {f"p{k}": f"v{rng.randrange(10)}" for k in range(10)},
            "metrics": {f"m{k}": round(rng.random(), 6) for k in range(10)},
        }
        for i in range(runs)
    ]


# lakeworks -----------------------------------------------------------------------------------
def open_lakeworks(home: Path, metadata_url: str | None) -> Any:
    from lakeworks.config import Settings
    from lakeworks.context import Context
    from lakeworks.platform import Platform

    extra = {"metadata_url": metadata_url} if metadata_url else {}
    settings = Settings.load(home=home, progress=False, lineage_transport="none", **extra)
    if metadata_url:
        from lakeworks.meta import engine as meta_engine

        engine = meta_engine.make_engine(metadata_url)
        meta_engine.upgrade(engine)
        engine.dispose()
    platform = Platform.open(settings)
    platform.catalog.create_workspace("bench", "bench", exist_ok=True)
    return platform, Context("bench", "bench")


def seed_lakeworks(platform: Any, ctx: Any, runs: list[dict[str, Any]]) -> tuple[int, float]:
    """The experiment holding ``runs``: the one a previous invocation seeded, else a new
    one seeded now (one ``create_run`` and one ``log_batch`` per run). Returns its id and
    the seconds seeding took (0 when reused)."""
    from lakeworks.errors import NotFoundError
    from lakeworks.tracking.records import Metric

    tracking, name = platform.tracking, f"search-{len(runs)}"
    try:
        experiment = tracking.get_experiment_by_name(ctx, name)
        if _count(platform, experiment.id) == len(runs):
            return experiment.id, 0.0
        raise SystemExit(f"experiment {name} is partly seeded: run again with --fresh")
    except NotFoundError:
        experiment = tracking.create_experiment(ctx, name)
    start = time.perf_counter()
    for i, run in enumerate(runs):
        created = tracking.create_run(
            ctx, experiment.id, name=run["name"], start_time=run["start_time"]
        )
        metrics = [Metric(k, v, 0, run["start_time"]) for k, v in run["metrics"].items()]
        tracking.log_batch(ctx, created.id, metrics=metrics, params=run["params"])
        if i % 2000 == 1999:
            log(f"lakeworks: {i + 1} runs seeded")
    return experiment.id, time.perf_counter() - start


def _count(platform: Any, experiment_id: int) -> int:
    from sqlalchemy import func, select

    from lakeworks.meta.models import RunRow

    with platform.catalog.session() as s:
        query = select(func.count()).where(RunRow.experiment_id == experiment_id)
        return s.scalar(query)


def time_lakeworks(platform: Any, ctx: Any, experiment_id: int, repeat: int) -> dict[str, Any]:
    from lakeworks.tracking.search import RunSearch, search_rows

    tracking = platform.tracking

    def service() -> list[str]:
        found, _ = tracking.search_runs(
            ctx, [experiment_id], filter=FILTER, order_by=ORDER_BY, max_results=MAX_RESULTS
        )
        return [run.info.name for run in found]

    def statement() -> int:
        search = RunSearch.parse([experiment_id], FILTER, ORDER_BY)
        with platform.catalog.session() as s:
            return len(search_rows(s, search, MAX_RESULTS)[0])

    names = service()  # warm-up
    statement()
    return {
        "search_runs": _times(service, repeat),
        "statement_only": _times(statement, repeat),
        "names": names,
        "plan": _plan(platform, experiment_id),
    }


def _times(fn: Any, repeat: int) -> dict[str, Any]:
    """Wall time of each call, and the CPU time of this process (the loaded box's noise
    hits wall time far more than CPU time; on SQLite the database works in this process)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return summary(wall) | {"cpu_median_s": round(statistics.median(cpu), 6)}


def _plan(platform: Any, experiment_id: int) -> list[str]:
    """EXPLAIN (QUERY PLAN) of the first page's statement, as the database prints it."""
    from lakeworks.tracking.search import RunSearch, _statement

    engine = platform.catalog.engine
    statement, _ = _statement(
        engine.dialect.name, RunSearch.parse([experiment_id], FILTER, ORDER_BY)
    )
    statement = statement.limit(MAX_RESULTS + 1)
    compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN ANALYZE "
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(text(prefix + str(compiled))).all()
    return [" | ".join(str(c) for c in row) for row in rows]


def postgres_schema(url: str, schema: str, fresh: bool) -> str:
    """``url`` with its search path set to ``schema``, created if missing (kept for reuse,
    dropped first when ``fresh``)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        if fresh:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sqlalchemy.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


# MLflow --------------------------------------------------------------------------------------
def run_mlflow(folder: Path, data: Path, runs: int, repeat: int, fresh: bool) -> dict[str, Any]:
    if not MLFLOW_PYTHON.exists():
        raise SystemExit(
            f"{MLFLOW_PYTHON} is missing: python3 -m venv {BENCH_DIR / 'mlflow'} && "
            f"{BENCH_DIR / 'mlflow/bin/pip'} install mlflow-skinny==3.18.0 sqlalchemy alembic"
        )
    command = [
        str(MLFLOW_PYTHON),
        str(Path(__file__).with_name("tracking_search_mlflow.py")),
        "--folder", str(folder), "--data", str(data), "--runs", str(runs),
        "--repeat", str(repeat), "--filter", FILTER, "--max-results", str(MAX_RESULTS),
        *[arg for order in ORDER_BY for arg in ("--order-by", order)],
        *(["--fresh"] if fresh else []),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    sys.stderr.write(done.stderr[-4000:])
    if done.returncode:
        raise SystemExit(f"the MLflow side failed ({done.returncode})")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--postgres", help="also time lakeworks on this PostgreSQL URL")
    parser.add_argument("--fresh", action="store_true", help="seed both stores again")
    parser.add_argument("--skip-mlflow", action="store_true")
    args = parser.parse_args()

    folder = BENCH_DIR / f"tracking_search-{args.runs}"
    if args.fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    runs = dataset(args.runs)
    data = folder / "runs.json"
    data.write_text(json.dumps(runs))

    result: dict[str, Any] = {
        "benchmark": "tracking_search",
        "machine": machine(),
        "sizes": {"runs": args.runs, "params_per_run": 10, "metrics_per_run": 10},
        "search": {"filter": FILTER, "order_by": ORDER_BY, "max_results": MAX_RESULTS},
    }
    backends: dict[str, str | None] = {"sqlite": None}
    if args.postgres:
        backends["postgres"] = postgres_schema(
            args.postgres, f"lw_bench_search_{args.runs}", args.fresh
        )
    for backend, url in backends.items():
        platform, ctx = open_lakeworks(folder / f"lakeworks-{backend}", url)
        experiment_id, seeded_s = seed_lakeworks(platform, ctx, runs)
        if backend == "postgres":  # what autovacuum does on a server that runs it
            with platform.catalog.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE runs, params, run_tags, latest_metrics")
        log(f"lakeworks {backend}: seeded in {seeded_s:.1f} s; timing")
        timing = time_lakeworks(platform, ctx, experiment_id, args.repeat)
        timing["seed_s"] = round(seeded_s, 1)
        result[f"lakeworks_{backend}"] = timing
        platform.close()
    if not args.skip_mlflow:
        mlflow = run_mlflow(folder / "mlflow", data, args.runs, args.repeat, args.fresh)
        result["mlflow_sqlite"] = mlflow
        for backend in backends:
            ours = result[f"lakeworks_{backend}"]
            ours["same_runs_in_same_order_as_mlflow"] = mlflow["names"] == ours["names"]
            ours["mlflow_sqlite_median_over_this"] = round(
                mlflow["search_runs"]["median_s"] / ours["search_runs"]["median_s"], 1
            )
            ours["mlflow_sqlite_cpu_over_this"] = round(
                mlflow["search_runs"]["cpu_median_s"] / ours["search_runs"]["cpu_median_s"], 1
            )
    for key in [k for k in result if k.startswith(("lakeworks_", "mlflow_"))]:
        result[key]["first_names"] = result[key].pop("names")[:5]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
