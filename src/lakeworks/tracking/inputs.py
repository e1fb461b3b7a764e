"""Recording what a run read: the hook that turns table reads and training sets made while
a run is open in this context (``client.current_run``) into the run's inputs.

Features and the lake never import tracking: they emit hooks (``table_read``,
``training_set_built``) and this observer records them. Each input is recorded once per run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakeworks.hooks import Hook
from lakeworks.tracking.client import current_run
from lakeworks.tracking.records import RunInput

if TYPE_CHECKING:
    from lakeworks.context import Context
    from lakeworks.tracking.service import Tracking


class RunInputsHook(Hook):
    """Registered on the platform's hooks when ``platform.tracking`` is built."""

    def __init__(self, tracking: Tracking) -> None:
        self.tracking = tracking

    def table_read(self, *, ctx: Context, table: str, version: int, **_: Any) -> None:
        run = current_run.get()
        if run is not None and run.tracking is self.tracking:
            run.log_input(RunInput("table", table, ctx.workspace, version))

    def training_set_built(
        self,
        *,
        ctx: Context,
        views: dict[str, int],
        tables: list[tuple[str, int]],
        features: tuple[str, ...],
        **_: Any,
    ) -> None:
        run = current_run.get()
        if run is None or run.tracking is not self.tracking:
            return
        detail = {"views": views, "features": list(features), "tables": [list(t) for t in tables]}
        name = "+".join(f"{v}@v{n}" for v, n in sorted(views.items()))
        run.log_input(RunInput("training_set", name[:256], ctx.workspace, None, detail))
        for table, version in tables:
            run.log_input(RunInput("table", table, ctx.workspace, version))
