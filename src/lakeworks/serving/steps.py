"""Serving's pipeline step: batch scoring as a task, on whichever executor runs it.

Example:
    >>> p = Pipeline("nightly")                                              # doctest: +SKIP
    >>> p.add("score", score("churn", table="customers", into="churn_scores"))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from lakeworks.pipelines.calls import TaskContext


def score(endpoint: str, *, table: str, into: str, mode: str = "overwrite") -> Any:
    """A task scoring ``table`` with ``endpoint``'s live model into ``into``; returns
    ``{"table", "version", "rows", "failed", "model"}`` and records the versions it read
    and wrote (the write's lineage also names the model version)."""

    def run_score(context: TaskContext) -> dict[str, Any]:
        context.check_cancelled()
        serving = context.platform.serving  # type: ignore[attr-defined] - a full Platform
        result = serving.score(context.ctx, endpoint, table, into, mode=mode)
        context.record_read(result.source, result.source_version)
        context.record_write(result.table, result.version)
        print(f"scored {result.rows} rows with {result.model} into {into} v{result.version}")
        return {
            "table": result.table,
            "version": result.version,
            "rows": result.rows,
            "failed": result.failed,
            "model": result.model,
        }

    run_score.__lakeworks_step__ = {"kind": "score", "endpoint": endpoint, "table": table}
    return run_score
