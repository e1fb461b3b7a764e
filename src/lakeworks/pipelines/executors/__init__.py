"""Where tasks run: threads (default), local processes, or a Dask cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeworks.errors import InvalidInputError
from lakeworks.pipelines.executors.base import Capabilities, Executor

if TYPE_CHECKING:
    from lakeworks.pipelines.calls import TaskServices

__all__ = ["Capabilities", "Executor", "make_executor"]


def make_executor(spec: str, services: TaskServices | None = None) -> Executor:
    """``local`` (threads), ``processes``, or ``tcp://host:port`` of a Dask scheduler."""
    if spec in ("local", "threads"):
        from lakeworks.pipelines.executors.local import ThreadExecutor

        return ThreadExecutor(services)
    if spec == "processes":
        from lakeworks.pipelines.executors.local import ProcessExecutor

        return ProcessExecutor()
    if spec.startswith(("tcp://", "tls://")):
        from lakeworks.pipelines.executors.dask import DaskExecutor

        return DaskExecutor(spec)
    raise InvalidInputError(
        f"unknown executor {spec!r}",
        hint="set LAKEWORKS_EXECUTOR to 'local', 'processes' or 'tcp://host:8786'",
    )
