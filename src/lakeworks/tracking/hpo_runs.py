"""Each Optuna trial as a child run of the study's run.

A trial's run is written once, when the trial ends: its params, its
value(s) as metrics, its intermediate values (``trial.report(value, step)``) as the
steps of the same metric, its state, start and end. Writing it once keeps a run per trial
cheap (the benchmark's goal: a study at most 1.5x the time of Optuna alone); the price
is that a trial still running has no run yet (Optuna shows it as RUNNING).

The final value is logged at the step after the last reported one, so the run's latest
``metric`` is the trial's value and its history is the learning curve. A pruned trial has
no value of its own (Optuna copies the last report): its latest point is that report.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeworks.context import Context
from lakeworks.tracking.records import now_ms

if TYPE_CHECKING:
    import optuna

    from lakeworks.tracking.service import Tracking

# Optuna's trial states as run statuses (MLflow's vocabulary).
STATUS = {"COMPLETE": "FINISHED", "FAIL": "FAILED", "PRUNED": "KILLED"}

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
    """Wraps an objective so that each trial it runs is written as a child run when it ends.

    The run is written by the wrapper itself, as the objective returns or raises: an
    Optuna callback would cost a read of the whole trial back from the storage per trial
    (more than the run's own write). The trial's reports are seen by wrapping its
    ``report``; its state is the one Optuna gives it (a value that is not a finite number,
    or the wrong count of values, fails it). A run that cannot be written stops the study
    (``study.stop()``) and ``raise_failure`` raises its error after ``optimize``: a trial
    is never left without its run while the study goes on. Thread-safe (Optuna's
    ``n_jobs`` runs the wrapper in several threads).
    """

    def __init__(self, tracking: Tracking, study: StudyRuns) -> None:
        self.tracking = tracking
        self.study = study
        self.runs: dict[int, str] = {}  # trial number -> its run id
        self.failure: BaseException | None = None
        self._lock = threading.Lock()

    def wrap(self, objective: Callable[[optuna.Trial], Any]) -> Callable[[optuna.Trial], Any]:
        import optuna

        def trial_objective(trial: optuna.Trial) -> Any:
            reports: dict[int, float] = {}
            report = trial.report

            def recorded_report(value: float, step: int) -> None:
                report(value, step)
                reports.setdefault(step, float(value))

            trial.report = recorded_report  # type: ignore[method-assign]
            try:
                value = objective(trial)
            except optuna.TrialPruned:
                self._record(trial, "PRUNED", reports)
                raise
            except BaseException as exc:
                self._record(trial, "FAIL", reports, error=f"{type(exc).__name__}: {exc}")
                raise
            values, problem = _values(value, len(self.study.metrics))
            state = "FAIL" if problem else "COMPLETE"
            self._record(trial, state, reports, values=values, error=problem)
            return value

        return trial_objective

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    def _record(
        self,
        trial: optuna.Trial,
        state: str,
        reports: dict[int, float],
        *,
        values: Sequence[float] | None = None,
        error: str | None = None,
    ) -> None:
        try:
            run_id = self.record(trial, state, reports, values, error)
        except Exception as exc:  # the catalog is unreachable: stop, raise after optimize
            with self._lock:
                self.failure = self.failure or exc
            trial.study.stop()
            return
        with self._lock:
            self.runs[trial.number] = run_id

    def record(
        self,
        trial: optuna.Trial,
        state: str,
        reports: dict[int, float],
        values: Sequence[float] | None,
        error: str | None,
    ) -> str:
        """Write the trial as a finished child run (one transaction); returns its id."""
        s = self.study
        tags = {
            TAG_STUDY: s.study_name,
            TAG_ROLE: "trial",
            TAG_TRIAL: str(trial.number),
            TAG_STATE: state,
        }
        if error:
            tags[TAG_ERROR] = error[:2000]
        start, end = _ms(trial.datetime_start), now_ms()
        return self.tracking.record_run(
            s.ctx,
            s.experiment_id,
            name=f"trial-{trial.number}",
            status=STATUS[state],
            start_time=start,
            end_time=end,
            parent_run_id=s.parent_run_id,
            tags=tags,
            params=[(k, str(v)) for k, v in trial.params.items()],
            metrics=trial_metrics(s.metrics, reports, values, start, end),
        )


def trial_metrics(
    names: Sequence[str],
    reports: dict[int, float],
    values: Sequence[float] | None,
    start: int | None,
    end: int,
) -> list[Any]:
    """The reports as steps of the first metric, then the value(s) at the step after."""
    from lakeworks.tracking.records import Metric

    points = [Metric(names[0], v, int(step), start) for step, v in sorted(reports.items())]
    final_step = points[-1].step + 1 if points else 0
    for name, value in zip(names, values or (), strict=False):
        points.append(Metric(name, value, final_step, end))
    return points


def _values(value: Any, count: int) -> tuple[list[float] | None, str | None]:
    """The objective's value(s) as floats, or why Optuna will fail the trial."""
    many = isinstance(value, list | tuple)
    items = list(value) if many else [value]
    try:
        numbers = [float(v) for v in items]
    except (TypeError, ValueError):
        return None, f"the objective returned {value!r}, not a number"
    if len(numbers) != count:
        return None, f"the objective returned {len(numbers)} value(s) for {count} objective(s)"
    if any(math.isnan(v) for v in numbers):
        return None, f"the objective returned {value!r}"
    return numbers, None


def _ms(moment: Any) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)
