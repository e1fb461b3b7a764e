"""One autolog session: where fits are logged and how.

A fit inside an active run (``with ws.start_run():``) logs into it; a fit outside one
gets a run of its own in the session's experiment, named after the estimator, FINISHED
when the fit returns and FAILED (with the error as a tag) when it raises. Logging never
breaks training: a failure to log is a warning (an error under ``-W error``), the fitted
model is returned all the same.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeworks.context import Context
from lakeworks.tracking.autolog import models
from lakeworks.tracking.autolog.models import ModelWriter
from lakeworks.tracking.autolog.patches import FitDepth, Patches

if TYPE_CHECKING:
    from lakeworks.tracking.service import Tracking

Prepare = Callable[[tuple, dict], tuple[tuple, dict, Any]]

TAG_ERROR = "lakeworks.autolog.error"
TAG_FLAVOR = "lakeworks.autolog.flavor"
MODEL_PATH = "model"


@dataclass(frozen=True)
class FitRecord:
    """What one fit logs: params, metric points (``lakeworks.tracking.records.Metric``),
    the fitted model and the data it was fitted on (for its signature)."""

    params: dict[str, Any]
    metrics: list[Any]
    model: Any
    X: Any = None
    tags: dict[str, str] = field(default_factory=dict)
    signature: dict[str, Any] | None = None  # when X cannot give it (a DMatrix, a Dataset)


@dataclass(frozen=True)
class Target:
    ctx: Context
    run_id: str


class Session:
    """Patched libraries logging through ``tracking`` until ``disable()``."""

    def __init__(
        self,
        tracking: Tracking,
        ctx: Context,
        *,
        experiment: str,
        eval_data: tuple[Any, Any] | None = None,
        save_model: ModelWriter | None = None,
    ) -> None:
        self.tracking = tracking
        self.ctx = ctx
        self.experiment = experiment
        self.eval_data = eval_data
        self.save_model = save_model
        self.patches = Patches()
        self.depth = FitDepth()
        self.libraries: list[str] = []

    def wrap_fit(self, describe: Callable[..., FitRecord], prepare: Prepare | None = None) -> Any:
        """A wrapper factory for ``Patches.replace``: the outermost call runs the original
        in a run, then logs ``describe(result, args, kwargs, state)``. ``prepare(args,
        kwargs) -> (args, kwargs, state)`` may first add what logging needs (a callback
        recording the evaluation results); without it ``state`` is None."""

        def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
            def fit(*args: Any, **kwargs: Any) -> Any:
                with self.depth.enter() as outermost:
                    if not outermost:
                        return original(*args, **kwargs)
                    state = None
                    if prepare is not None:
                        args, kwargs, state = prepare(args, kwargs)
                    with self.run(_name(original, args)) as target:
                        result = original(*args, **kwargs)
                        self._log(target, lambda: describe(result, args, kwargs, state))
                    return result

            return fit

        return wrap

    @contextmanager
    def run(self, name: str) -> Iterator[Target]:
        """The active run, or a new one finished (or failed) when the block ends."""
        from lakeworks.tracking.client import current_run

        active = current_run.get()
        if active is not None:
            yield Target(active.ctx, active.id)
            return
        run = self.tracking.create_run(self.ctx, self._experiment_id(), name=name)
        target = Target(self.ctx, run.id)
        try:
            yield target
        except BaseException as exc:
            tags = [(TAG_ERROR, f"{type(exc).__name__}: {exc}"[:2000])]
            self.tracking.log_batch(self.ctx, run.id, tags=tags)
            self.tracking.update_run(self.ctx, run.id, status="FAILED", end_time=_now())
            raise
        self.tracking.update_run(self.ctx, run.id, status="FINISHED", end_time=_now())

    def disable(self) -> None:
        """Put every patched method back."""
        self.patches.restore()
        self.libraries.clear()

    # logging -------------------------------------------------------------------------
    def _log(self, target: Target, describe: Callable[[], FitRecord]) -> None:
        try:
            self.write(target, describe())
        except Exception as exc:  # a fitted model is never lost to a logging failure
            warnings.warn(f"autolog could not log the fit: {exc!r}", RuntimeWarning, stacklevel=3)

    def write(self, target: Target, record: FitRecord) -> None:
        """Params, metrics and tags in one batch, then the model's files as artifacts."""
        params = [(k, _param(v)) for k, v in record.params.items()]
        tags = [(TAG_FLAVOR, models.flavor(record.model)), *record.tags.items()]
        self.tracking.log_batch(
            target.ctx, target.run_id, metrics=record.metrics, params=params, tags=tags
        )
        if self.save_model is not None:
            self._log_model(target, record)

    def _log_model(self, target: Target, record: FitRecord) -> None:
        assert self.save_model is not None
        with tempfile.TemporaryDirectory(prefix="lakeworks-autolog-") as tmp:
            folder = Path(tmp) / MODEL_PATH
            folder.mkdir()
            self.save_model(record.model, folder, models.frame(record.X), record.signature)
            self.tracking.log_artifacts(target.ctx, target.run_id, folder, MODEL_PATH)

    def _experiment_id(self) -> int:
        from lakeworks.tracking.client import experiment_named

        return experiment_named(self.tracking, self.ctx, self.experiment).id


def _name(original: Callable[..., Any], args: tuple[Any, ...]) -> str:
    owner = args[0] if args and not isinstance(args[0], dict) else None
    if owner is not None and hasattr(owner, "get_params"):
        return type(owner).__name__
    return f"{original.__module__.split('.')[0]}.{original.__name__}"


def _param(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text[:6000]  # MLflow's limit on a param value


def _now() -> int:
    return time.time_ns() // 1_000_000
