"""Each Optuna trial as a child run of the study's run.

A trial's run is written once, when the trial ends (an Optuna callback): its params, its
value(s) as metrics, its intermediate values (``trial.report(value, step)``) as the
steps of the same metric, its state, start and end. Writing it once keeps a run per trial
cheap (the benchmark's goal: a study at most 1.5x the time of Optuna alone); the price
is that a trial still running has no run yet (Optuna shows it as RUNNING).

The final value is logged at the step after the last reported one, so the run's latest
``metric`` is the trial's value and its history is the learning curve. A pruned trial has
no value of its own (Optuna copies the last report): its latest point is that report.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeworks.context import Context

if TYPE_CHECKING:
    import optuna
    from optuna.trial import FrozenTrial

    from lakeworks.tracking.service import Tracking

# Optuna's trial states as run statuses (MLflow's vocabulary).
STATUS = {"COMPLETE": "FINISHED", "FAIL": "FAILED", "PRUNED": "KILLED", "RUNNING": "RUNNING"}

TAG_STUDY = "lakeworks.optuna.study"
TAG_ROLE = "lakeworks.optuna.role"  # "study" on the parent run, "trial" on its children
TAG_TRIAL = "lakeworks.optuna.trial"
TAG_STATE = "lakeworks.optuna.state"
TAG_ERROR = "lakeworks.optuna.error"


@dataclass(frozen=True)
class StudyRuns:
    """Where a study's trials are recorded: the experiment, the study's (parent) run, and
    the metric name of each objective value."""

    ctx: Context
    experiment_id: int
    parent_run_id: str
    study_name: str
    metrics: tuple[str, ...]


class TrialRecorder:
    """An Optuna callback writing each finished trial as a child run.

    ``wrap(objective)`` keeps the message of a trial's exception for its run (Optuna logs
    it but does not store it), so the same recorder must wrap the objective and be the
    callback. Thread-safe: Optuna's ``n_jobs`` calls both from several threads.
    """

    def __init__(self, tracking: Tracking, study: StudyRuns) -> None:
        self.tracking = tracking
        self.study = study
        self.runs: dict[int, str] = {}  # trial number -> its run id
        self._errors: dict[int, str] = {}
        self._uncaught: list[int] = []
        self._lock = threading.Lock()

    def wrap(
        self, objective: Callable[[optuna.Trial], Any], catch: tuple[type[Exception], ...]
    ) -> Callable[[optuna.Trial], Any]:
        import optuna

        def trial_objective(trial: optuna.Trial) -> Any:
            try:
                return objective(trial)
            except optuna.TrialPruned:
                raise
            except BaseException as exc:
                with self._lock:
                    self._errors[trial.number] = f"{type(exc).__name__}: {exc}"[:2000]
                    if not isinstance(exc, catch):  # Optuna re-raises it before callbacks
                        self._uncaught.append(trial.number)
                raise

        return trial_objective

    def record_uncaught(self, study: optuna.Study) -> None:
        """Record the trials whose error stopped the study (no callback saw them)."""
        with self._lock:
            numbers, self._uncaught = self._uncaught, []
        for trial in study.get_trials(deepcopy=False):
            if trial.number in numbers:
                self(study, trial)

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        with self._lock:
            error = self._errors.pop(trial.number, None)
        run_id = self.record(trial, error)
        with self._lock:
            self.runs[trial.number] = run_id

    def record(self, trial: FrozenTrial, error: str | None = None) -> str:
        """Write ``trial`` as a finished child run (one transaction); returns its id."""
        s = self.study
        tags = {
            TAG_STUDY: s.study_name,
            TAG_ROLE: "trial",
            TAG_TRIAL: str(trial.number),
            TAG_STATE: trial.state.name,
        }
        if error:
            tags[TAG_ERROR] = error
        return self.tracking.record_run(
            s.ctx,
            s.experiment_id,
            name=f"trial-{trial.number}",
            status=STATUS.get(trial.state.name, "FAILED"),
            start_time=_ms(trial.datetime_start),
            end_time=_ms(trial.datetime_complete),
            parent_run_id=s.parent_run_id,
            tags=tags,
            params=[(k, str(v)) for k, v in trial.params.items()],
            metrics=trial_metrics(trial, s.metrics),
        )


def trial_metrics(trial: FrozenTrial, names: Sequence[str]) -> list[Any]:
    """The intermediate values as steps of the first metric, then the value(s)."""
    from lakeworks.tracking.records import Metric

    start = _ms(trial.datetime_start)
    end = _ms(trial.datetime_complete) or start
    points = [
        Metric(names[0], float(value), int(step), start)
        for step, value in sorted(trial.intermediate_values.items())
    ]
    final_step = points[-1].step + 1 if points else 0
    # a pruned trial's value is Optuna's copy of its last report: already a point
    values = trial.values if trial.state.name == "COMPLETE" else None
    for name, value in zip(names, values or (), strict=False):
        points.append(Metric(name, float(value), final_step, end))
    return points


def _ms(moment: Any) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)
