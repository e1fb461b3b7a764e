"""Hyper-parameter search: what recording trials as runs costs, and how trials spread on Dask.

1. ``overhead``: a trivial objective, ``--trials`` trials, the study in the catalog's
   Optuna namespace (the embedded SQLite catalog): ``ws.tune`` (each trial a child run)
   against Optuna alone on the same storage (``hpo_storage.open_storage``), same sampler
   and seed. Runs alternate (Optuna first, then lakeworks first) to cancel drift in load.
   Goal: lakeworks at most 1.5x Optuna alone.
2. ``dask``: ``--dask-trials`` trials of a CPU-bound objective (``--cpu-ms`` of pure Python
   each) with ``executor=<LocalCluster>``, 1 worker then 2 (one thread each, processes).
   Goal: at least 1.7x the trials per second with 2 workers.

Prints one JSON document; figures are medians of ``--repeats`` runs.

    PYTHONPATH=src python benchmarks/tracking_optuna.py --repeats 3
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import log, machine, median, summary  # noqa: E402


def trivial(trial: Any) -> float:
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", 0, 10)
    return (x - 2) ** 2 + y


def _workspace(home: Path) -> Any:
    import lakeworks as lw

    return lw.connect(home=str(home))


def _sampler(name: str, seed: int) -> Any:
    import optuna

    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def overhead_once(trials: int, sampler: str, seed: int, lakeworks_first: bool) -> dict[str, float]:
    import optuna

    from lakeworks.tracking.hpo_storage import open_storage

    with tempfile.TemporaryDirectory(prefix="lw-bench-optuna-") as tmp:
        ws = _workspace(Path(tmp))
        storage = open_storage(ws.platform.engine)

        def alone() -> float:
            study = optuna.create_study(
                storage=storage, study_name="alone", sampler=_sampler(sampler, seed)
            )
            start = time.perf_counter()
            study.optimize(trivial, n_trials=trials)
            return time.perf_counter() - start

        def tuned() -> float:
            start = time.perf_counter()
            ws.tune(
                trivial,
                experiment="bench",
                n_trials=trials,
                direction="minimize",
                sampler=_sampler(sampler, seed),
            )
            return time.perf_counter() - start

        order = [("lakeworks", tuned), ("optuna", alone)]
        if not lakeworks_first:
            order.reverse()
        out = {name: fn() for name, fn in order}
        storage.engine.dispose()
        ws.platform.close()
        return out


def overhead(args: argparse.Namespace) -> dict[str, Any]:
    runs = []
    for i in range(args.repeats):
        got = overhead_once(args.trials, args.sampler, seed=i, lakeworks_first=bool(i % 2))
        log(f"overhead run {i}: {got}")
        runs.append(got)
    optuna_s = [r["optuna"] for r in runs]
    lakeworks_s = [r["lakeworks"] for r in runs]
    return {
        "trials": args.trials,
        "sampler": args.sampler,
        "storage": "embedded SQLite catalog (Optuna in metadata.optuna.db beside it)",
        "optuna_alone": summary(optuna_s),
        "lakeworks_tune": summary(lakeworks_s),
        "ratio_median": round(median(lakeworks_s) / median(optuna_s), 3),
        "ratios": [round(r["lakeworks"] / r["optuna"], 3) for r in runs],
        "goal_ratio_at_most": 1.5,
    }


def calibrate(ms: float) -> int:
    """Loop iterations of ``spin`` that take about ``ms`` milliseconds here."""
    n = 100_000
    while True:
        start = time.perf_counter()
        spin(n)
        took = (time.perf_counter() - start) * 1000
        if took > 20:
            return int(n * ms / took)
        n *= 2


def spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def make_objective(iterations: int) -> Any:
    def cpu_bound(trial: Any) -> float:
        x = trial.suggest_float("x", -10, 10)
        spin(iterations)
        return (x - 2) ** 2

    return cpu_bound


def dask_once(workers: int, trials: int, iterations: int) -> float:
    from distributed import LocalCluster

    with (
        tempfile.TemporaryDirectory(prefix="lw-bench-dask-") as tmp,
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
    ):
        ws = _workspace(Path(tmp))
        objective = make_objective(iterations)
        address = cluster.scheduler_address
        # warm-up: each worker imports lakeworks and opens the catalog once
        ws.tune(objective, experiment="warm", n_trials=workers, executor=address)
        start = time.perf_counter()
        ws.tune(objective, experiment="bench", n_trials=trials, executor=address)
        took = time.perf_counter() - start
        ws.platform.close()
        return took


def dask(args: argparse.Namespace) -> dict[str, Any]:
    iterations = calibrate(args.cpu_ms)
    out: dict[str, Any] = {
        "trials": args.dask_trials,
        "cpu_ms_per_trial": args.cpu_ms,
        "iterations": iterations,
    }
    rates: dict[int, list[float]] = {1: [], 2: []}
    for i in range(args.repeats):
        for workers in (1, 2):
            took = dask_once(workers, args.dask_trials, iterations)
            rates[workers].append(args.dask_trials / took)
            log(f"dask run {i}, {workers} worker(s): {took:.2f} s")
    for workers, values in rates.items():
        out[f"workers_{workers}_trials_per_s"] = {
            "median": round(median(values), 3),
            "runs": [round(v, 3) for v in values],
        }
    out["speedup_median"] = round(median(rates[2]) / median(rates[1]), 3)
    out["goal_speedup_at_least"] = 1.7
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["overhead", "dask", "all"], default="all")
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--sampler", choices=["tpe", "random"], default="tpe")
    parser.add_argument("--dask-trials", type=int, default=100)
    parser.add_argument("--cpu-ms", type=float, default=75.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    result: dict[str, Any] = {"benchmark": "tracking_optuna", "machine": machine()}
    result["machine"]["versions"]["optuna"] = optuna.__version__
    if args.part in ("overhead", "all"):
        result["overhead"] = overhead(args)
    if args.part in ("dask", "all"):
        result["dask"] = dask(args)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
