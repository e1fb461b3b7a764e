"""The executor interface: run one task attempt somewhere and report its Outcome.

An executor never raises for a failure of the task or of the machine it ran on: it
calls ``done`` exactly once with an Outcome (a lost worker becomes a failed Outcome, so
the runner's retries apply). What an executor can do is declared in ``Capabilities``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lakeworks.pipelines.calls import Outcome, TaskCall

Done = Callable[[Outcome], None]


@dataclass(frozen=True)
class Capabilities:
    """name: how settings spell it; remote: tasks run in other processes (they open their
    own Platform from settings); stops_running: cancel() stops a running attempt;
    chains: submit() accepts upstream handles and starts the task when they succeed."""

    name: str
    remote: bool
    stops_running: bool
    chains: bool = False


class Executor(ABC):
    capabilities: Capabilities

    @abstractmethod
    def submit(self, call: TaskCall, done: Done, upstream: dict[str, Any] | None = None) -> Any:
        """Start one attempt; return a handle for ``cancel``.

        ``upstream`` (only when ``capabilities.chains``): task name -> handle of an
        attempt in flight; the call runs after they all succeed, with their results for
        the arguments in ``call.from_upstream``, else answers an Outcome "not_run".
        """

    def flush(self) -> None:  # noqa: B027 - executors that start attempts at once
        """Send the attempts submitted since the last flush.

        An executor may hold submitted attempts and send them together (one message to
        a cluster instead of one per attempt); the runner calls this after submitting
        the tasks that became ready together. Handles are valid before the flush.
        """

    def cancel(self, handle: Any) -> None:  # noqa: B027 - optional, best effort
        """Try to stop an attempt whose result is no longer wanted."""

    def close(self) -> None:  # noqa: B027 - nothing to release by default
        """Release workers and connections."""


def lost(error: str, worker: str | None = None) -> Outcome:
    """The Outcome of an attempt whose worker or transport failed."""
    moment = datetime.now(UTC)
    return Outcome(
        state="failed", error=error, started_at=moment, finished_at=moment, worker=worker
    )
