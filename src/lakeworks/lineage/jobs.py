"""The job a write belongs to: a pipeline run's task, set by the pipeline runner.

The runner wraps each task attempt::

    from lakeworks.lineage.jobs import running

    with running(pipeline="daily", run_id=42, task="clean"):
        call.fn(**kwargs)

Every table written inside the block is recorded in lineage as written by that task (and
its OpenLineage run has a parent run facet naming the pipeline run). Tables the task reads
through lakeworks (``Tables.read``, SQL) are recorded as inputs of its later writes;
``record_read`` adds a read made another way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class JobRun:
    """A pipeline task running now, and the table versions it has read so far."""

    pipeline: str
    run_id: int
    task: str
    reads: list[tuple[str, int]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.pipeline}.{self.task}"


current_job: ContextVar[JobRun | None] = ContextVar("lakeworks_current_job", default=None)


@contextmanager
def running(*, pipeline: str, run_id: int, task: str) -> Iterator[JobRun]:
    """Mark the writes (and reads) in the block as done by this pipeline task."""
    job = JobRun(pipeline, run_id, task)
    token = current_job.set(job)
    try:
        yield job
    finally:
        current_job.reset(token)


def record_read(table: str, version: int) -> None:
    """Note that the current job read ``table`` at ``version`` (no-op outside a job)."""
    job = current_job.get()
    if job is not None and (table, version) not in job.reads:
        job.reads.append((table, version))
