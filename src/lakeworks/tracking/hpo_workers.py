"""Spreading a study's trials over threads, local processes or a Dask cluster.

Threads are Optuna's own ``n_jobs``. For processes and Dask, the trials are split into
parts, and each part runs ``study.optimize(n_trials=k)`` in its process against the shared
storage: Optuna's documented pattern for distributed optimisation, where the storage is
what the parts share (the sampler there sees every finished trial). A part opens its own
Platform from the settings, so the catalog must be reachable from where it runs (any
worker on this machine for the embedded SQLite catalog; PostgreSQL for a real cluster).

The objective travels with cloudpickle: a function defined in ``__main__`` or a notebook
goes by value, one from an importable module by reference (the module must be importable
on the workers, as for any Dask task).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from lakeworks.errors import UnavailableError
from lakeworks.tracking.hpo_runs import StudyRuns

if TYPE_CHECKING:
    from lakeworks.tracking.hpo import Tuner


@dataclass(frozen=True)
class StudyPart:
    """Trials of one study to run in one place (``n_trials`` of them, or until
    ``timeout`` seconds, whichever comes first)."""

    runs: StudyRuns
    objective: Callable[..., Any]
    sampler: Any
    pruner: Any
    n_trials: int | None
    timeout: float | None
    catch: tuple[type[Exception], ...]


def spread(part: StudyPart, where: str, n_jobs: int | None, tuner: Tuner) -> dict[int, str]:
    """Run ``part`` in threads (``where="threads"``), processes or on the Dask scheduler at
    ``where``; returns trial number -> run id of the trials run."""
    if where == "threads":
        return tuner.optimize(part, n_jobs or 1)
    settings = tuner.settings.model_copy(update={"home": tuner.settings.home.resolve()})
    if where == "processes":
        return _on_processes(part, n_jobs, settings)
    return _on_dask(part, n_jobs, settings, where)


def split(part: StudyPart, count: int) -> list[StudyPart]:
    """``count`` parts sharing ``part.n_trials`` (as evenly as can be; none empty)."""
    if part.n_trials is None:
        return [part] * count
    share, extra = divmod(part.n_trials, count)
    sizes = [share + (i < extra) for i in range(count)]
    return [replace(part, n_trials=size) for size in sizes if size]


def run_part(payload: bytes) -> dict[int, str]:
    """The entry point of a part in a worker process: optimise on this process's platform."""
    import cloudpickle

    settings, part = cloudpickle.loads(payload)
    if hasattr(part.sampler, "reseed_rng"):  # parts of a seeded sampler must not repeat trials
        part.sampler.reseed_rng()
    return _platform(settings).hpo.optimize(part)


_opened: dict[str, Any] = {}  # settings (as JSON) -> the Platform open in this process
_opened_lock = threading.Lock()


def _platform(settings: Any) -> Any:
    """The platform of ``settings`` in this worker, opened once and kept: a Dask worker
    runs part after part, and opening (catalog, Optuna storage) costs more than a trial.
    Keyed by the settings' value; one is kept, so other settings close the previous one,
    and it dies with the worker process."""
    from lakeworks.platform import Platform

    key = settings.model_dump_json()
    with _opened_lock:
        if key not in _opened:
            for old in _opened.values():
                old.close()
            _opened.clear()
            _opened[key] = Platform.open(settings, migrate=False)
        return _opened[key]


def _payloads(part: StudyPart, count: int, settings: Any) -> list[bytes]:
    import cloudpickle

    return [cloudpickle.dumps((settings, p)) for p in split(part, count)]


def _on_processes(part: StudyPart, n_jobs: int | None, settings: Any) -> dict[int, str]:
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    payloads = _payloads(part, n_jobs or os.cpu_count() or 1, settings)
    # spawn, not fork: a forked child would share this process's database connections
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(len(payloads), mp_context=context) as pool:
        return _merged(pool.map(run_part, payloads))


def _on_dask(part: StudyPart, n_jobs: int | None, settings: Any, address: str) -> dict[int, str]:
    from distributed import Client

    try:
        host, _, port = address.split("://", 1)[-1].rpartition(":")
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()  # fail fast
        client = Client(address, timeout=10, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise UnavailableError(
            f"cannot reach the Dask scheduler at {address}: {exc}",
            hint="start one with `dask scheduler`, or tune with executor='threads'",
            address=address,
        ) from exc
    with client:
        count = n_jobs or max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
        futures = [client.submit(run_part, p, pure=False) for p in _payloads(part, count, settings)]
        return _merged(client.gather(futures))


def _merged(parts: Any) -> dict[int, str]:
    runs: dict[int, str] = {}
    for part in parts:
        runs.update(part)
    return runs
