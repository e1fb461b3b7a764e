"""Hyper-parameter search with Optuna, recorded as runs.

``ws.tune(objective, experiment="churn", n_trials=50, metric="auc")`` runs an Optuna
study whose objective is an ordinary Optuna objective (it takes an ``optuna.Trial`` and
returns the value), so existing Optuna code moves over unchanged. The study is the
experiment's parent run; each trial is a child run (see ``hpo_runs``). The study lives in
the catalog database through Optuna's own ``RDBStorage``, in a namespace of its own
(``hpo_storage``). Calling ``tune`` again with the same study name continues the study
(Optuna's ``load_if_exists``) under the same parent run; ``TuneResult.study`` is the
``optuna.Study`` for anything Optuna offers beyond it (``trials_dataframe``, plots,
``enqueue_trial``, ask and tell).

A trial that raises is recorded FAILED (with the error as a tag) and the study goes on;
``optuna.TrialPruned`` records it KILLED with the tag ``lakeworks.optuna.state=PRUNED``.
Trials run in this process (``n_jobs`` threads, Optuna's own), in local processes
(``executor="processes"``) or on the Dask cluster (``executor="dask"``): each process or
Dask task runs ``study.optimize`` on its share of the trials against the shared storage,
Optuna's documented pattern for distributed optimisation (``hpo_workers``).

Example:
    >>> import lakeworks as lw
    >>> ws = lw.connect(home="/tmp/lw-hpo-doctest")  # doctest: +SKIP
    >>> result = ws.tune(  # doctest: +SKIP
    ...     lambda t: -((t.suggest_float("x", -5, 5) - 2) ** 2),
    ...     experiment="quad", n_trials=20, metric="score",
    ... )
    >>> round(result.best_params["x"])  # doctest: +SKIP
    2
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError
from lakeworks.tracking.client import experiment_named
from lakeworks.tracking.hpo_runs import TAG_ROLE, TAG_STUDY, StudyRuns, TrialRecorder
from lakeworks.tracking.hpo_workers import StudyPart, spread

if TYPE_CHECKING:
    import optuna
    from optuna.storages import RDBStorage
    from sqlalchemy import Engine

    from lakeworks.config import Settings
    from lakeworks.tracking.service import Tracking

DIRECTIONS = ("maximize", "minimize")
EXECUTORS = ("threads", "processes", "dask")
ATTR_PARENT = "lakeworks.parent_run_id"
ATTR_EXPERIMENT = "lakeworks.experiment_id"


@dataclass(frozen=True)
class TuneResult:
    """The outcome of ``tune``: the best trial and what every trial ended as.

    ``best_run_id`` is the child run of the best trial when this call ran it (None when an
    earlier call did: search the parent's children for it). ``states`` counts the study's
    trials by Optuna state (all calls, not only this one).
    """

    study_name: str
    experiment_id: int
    parent_run_id: str
    best_value: float | None
    best_values: tuple[float, ...] | None
    best_params: dict[str, Any]
    best_trial: int | None
    best_run_id: str | None
    states: dict[str, int]
    trial_runs: dict[int, str] = field(repr=False)
    study: optuna.Study = field(repr=False, compare=False)


class Tuner:
    """The hyper-parameter search service: Optuna studies stored beside the catalog, with
    each trial recorded by ``tracking`` as a run."""

    def __init__(self, engine: Engine, settings: Settings, tracking: Tracking) -> None:
        self.engine = engine
        self.settings = settings
        self.tracking = tracking

    @cached_property
    def storage(self) -> RDBStorage:
        """Optuna's storage in the catalog's Optuna namespace (opened once, on first use)."""
        from lakeworks.tracking.hpo_storage import open_storage

        return open_storage(self.engine)

    def tune(
        self,
        ctx: Context,
        objective: Callable[[optuna.Trial], Any],
        *,
        experiment: str,
        study_name: str | None = None,
        n_trials: int | None = None,
        timeout: float | None = None,
        direction: str = "maximize",
        directions: Sequence[str] | None = None,
        metric: str | Sequence[str] = "value",
        sampler: optuna.samplers.BaseSampler | None = None,
        pruner: optuna.pruners.BasePruner | None = None,
        executor: str | None = None,
        n_jobs: int | None = None,
        catch: tuple[type[Exception], ...] = (Exception,),
    ) -> TuneResult:
        """Run (or continue) the study ``study_name`` (default: the experiment's name).

        ``metric`` names the objective's value (one name per objective with
        ``directions``); ``n_trials`` or ``timeout`` bounds this call; ``executor``:
        None or "threads" (``n_jobs`` threads here), "processes" (``n_jobs`` local
        processes, default: CPU count) or "dask" (the cluster of the ``executor`` setting,
        or a ``tcp://`` address; ``n_jobs`` tasks, default: one per worker).
        """
        goals = _directions(direction, directions)
        metrics = _metrics(metric, len(goals))
        _check_bounds(objective, n_trials, timeout, n_jobs)
        where = _executor(executor, self.settings)
        name = study_name or experiment
        study = self._study(name, goals, sampler, pruner)
        runs = self._study_runs(ctx, study, experiment, metrics, goals)
        part = StudyPart(
            runs=runs,
            objective=objective,
            sampler=study.sampler,
            pruner=study.pruner,
            n_trials=n_trials,
            timeout=timeout,
            catch=tuple(catch),
        )
        try:
            trial_runs = spread(part, where, n_jobs, self)
        except BaseException:
            self.tracking.update_run(ctx, runs.parent_run_id, status="FAILED", end_time=_now())
            raise
        return self._finish(study, runs, trial_runs)

    def optimize(self, part: StudyPart, n_jobs: int = 1) -> dict[int, str]:
        """Run ``part``'s trials in this process (``n_jobs`` threads); trial -> run id."""
        import optuna

        study = optuna.load_study(
            study_name=part.runs.study_name,
            storage=self.storage,
            sampler=part.sampler,
            pruner=part.pruner,
        )
        recorder = TrialRecorder(self.tracking, part.runs)
        study.optimize(
            recorder.wrap(part.objective),
            n_trials=part.n_trials,
            timeout=part.timeout,
            n_jobs=n_jobs,
            catch=part.catch,
        )
        recorder.raise_failure()
        return recorder.runs

    def close(self) -> None:
        if "storage" in self.__dict__:
            self.storage.engine.dispose()

    # the study and its parent run --------------------------------------------------
    def _study(
        self,
        name: str,
        goals: list[str],
        sampler: optuna.samplers.BaseSampler | None,
        pruner: optuna.pruners.BasePruner | None,
    ) -> optuna.Study:
        import optuna

        study = optuna.create_study(
            storage=self.storage,
            study_name=name,
            directions=goals,
            sampler=sampler,
            pruner=pruner,
            load_if_exists=True,
        )
        found = [d.name.lower() for d in study.directions]
        if found != goals:
            raise InvalidInputError(
                f"study {name!r} exists with directions {found}, not {goals}",
                hint="pass the study's directions, or another study_name for a new study",
                study=name,
                expected=", ".join(found),
                found=", ".join(goals),
            )
        return study

    def _study_runs(
        self,
        ctx: Context,
        study: optuna.Study,
        experiment: str,
        metrics: tuple[str, ...],
        goals: list[str],
    ) -> StudyRuns:
        experiment_id = experiment_named(self.tracking, ctx, experiment).id
        attrs = study.user_attrs
        parent = attrs.get(ATTR_PARENT)
        if parent is None:
            parent = self._parent_run(ctx, study, experiment_id, metrics, goals)
        elif attrs.get(ATTR_EXPERIMENT) != experiment_id:
            raise InvalidInputError(
                f"study {study.study_name!r} belongs to another experiment than {experiment!r}",
                hint="continue it in its own experiment, or give a new study_name",
                study=study.study_name,
                expected=attrs.get(ATTR_EXPERIMENT),
                found=experiment_id,
            )
        else:
            self.tracking.update_run(ctx, parent, status="RUNNING")
        return StudyRuns(ctx, experiment_id, parent, study.study_name, metrics)

    def _parent_run(
        self,
        ctx: Context,
        study: optuna.Study,
        experiment_id: int,
        metrics: tuple[str, ...],
        goals: list[str],
    ) -> str:
        run = self.tracking.create_run(
            ctx,
            experiment_id,
            name=study.study_name,
            tags={TAG_STUDY: study.study_name, TAG_ROLE: "study"},
        )
        params = {
            "optuna.sampler": type(study.sampler).__name__,
            "optuna.pruner": type(study.pruner).__name__,
            "optuna.directions": ",".join(goals),
            "optuna.metrics": ",".join(metrics),
        }
        self.tracking.log_batch(ctx, run.id, params=list(params.items()))
        study.set_user_attr(ATTR_PARENT, run.id)
        study.set_user_attr(ATTR_EXPERIMENT, experiment_id)
        return run.id

    def _finish(
        self, study: optuna.Study, runs: StudyRuns, trial_runs: dict[int, str]
    ) -> TuneResult:
        from lakeworks.tracking.records import Metric

        best = _best(study)
        if best is not None:
            pairs = zip(runs.metrics, best.values, strict=True)
            points = [Metric(f"best_{m}", v) for m, v in pairs]
            tags = [("lakeworks.optuna.best_trial", str(best.number))]
            self.tracking.log_batch(runs.ctx, runs.parent_run_id, metrics=points, tags=tags)
        self.tracking.update_run(runs.ctx, runs.parent_run_id, status="FINISHED", end_time=_now())
        states = Counter(t.state.name for t in study.get_trials(deepcopy=False))
        return TuneResult(
            study_name=study.study_name,
            experiment_id=runs.experiment_id,
            parent_run_id=runs.parent_run_id,
            best_value=best.values[0] if best is not None and len(best.values) == 1 else None,
            best_values=tuple(best.values) if best is not None else None,
            best_params=dict(best.params) if best is not None else {},
            best_trial=best.number if best is not None else None,
            best_run_id=trial_runs.get(best.number) if best is not None else None,
            states=dict(states),
            trial_runs=trial_runs,
            study=study,
        )


def _best(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    """The best complete trial (the first of the Pareto front for several objectives)."""
    if not any(t.state.name == "COMPLETE" for t in study.get_trials(deepcopy=False)):
        return None
    return study.best_trial if len(study.directions) == 1 else study.best_trials[0]


def _directions(direction: str, directions: Sequence[str] | None) -> list[str]:
    goals = [direction] if directions is None else list(directions)
    bad = [d for d in goals if d not in DIRECTIONS]
    if bad or not goals:
        raise InvalidInputError(
            f"unknown study direction {bad[0] if bad else '(none)'!r}",
            expected=" or ".join(DIRECTIONS),
            found=", ".join(map(str, goals)),
        )
    return goals


def _metrics(metric: str | Sequence[str], count: int) -> tuple[str, ...]:
    names = (metric,) if isinstance(metric, str) else tuple(metric)
    if len(names) != count:
        raise InvalidInputError(
            f"{count} objective(s) need {count} metric name(s), got {len(names)}: {names}",
            expected=count,
            found=len(names),
        )
    return names


def _check_bounds(
    objective: Any, n_trials: int | None, timeout: float | None, n_jobs: int | None
) -> None:
    if not callable(objective):
        raise InvalidInputError(
            f"the objective must be a function of an optuna.Trial, got {type(objective).__name__}",
            expected="callable",
            found=type(objective).__name__,
        )
    if n_trials is None and timeout is None:
        raise InvalidInputError(
            "tune needs n_trials or timeout (else the study would never end)",
            expected="n_trials or timeout",
            found="neither",
        )
    for name, value in (("n_trials", n_trials), ("timeout", timeout), ("n_jobs", n_jobs)):
        if value is not None and not (isinstance(value, int | float) and 0 < value < math.inf):
            raise InvalidInputError(
                f"{name} must be a positive number, got {value!r}",
                expected="> 0",
                found=value,
            )


def _executor(executor: str | None, settings: Settings) -> str:
    """ "threads", "processes" or the address of a Dask scheduler."""
    if executor in (None, "threads", "local"):
        return "threads"
    if executor == "processes":
        return executor
    address = settings.executor if executor == "dask" else executor
    if address and address.startswith(("tcp://", "tls://")):
        return address
    raise InvalidInputError(
        f"unknown executor {executor!r} for hyper-parameter search"
        + (f" (the executor setting is {settings.executor!r})" if executor == "dask" else ""),
        hint="use 'threads', 'processes', 'dask' with LAKEWORKS_EXECUTOR=tcp://host:8786, "
        "or a tcp:// scheduler address",
        expected=", ".join(EXECUTORS),
        found=executor,
    )


def _now() -> int:
    import time

    return time.time_ns() // 1_000_000
