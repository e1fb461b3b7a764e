"""A rich progress bar over a stream of batches (rows loaded), shown on stderr."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa


def wanted(option: bool | None, default: bool) -> bool:
    """Show progress when asked, or by default when the setting is on and stderr is a TTY."""
    if option is not None:
        return option
    return default and sys.stderr.isatty()


@contextmanager
def tracked(
    batches: Iterator[pa.RecordBatch], description: str, enabled: bool, total: int | None = None
) -> Iterator[Iterator[pa.RecordBatch]]:
    """Yield an iterator that advances a progress bar by each batch's rows."""
    if not enabled:
        yield batches
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = [
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield _advance(batches, bar, task)


def _advance(batches: Iterator[pa.RecordBatch], bar, task) -> Iterator[pa.RecordBatch]:  # noqa: ANN001
    for batch in batches:
        bar.advance(task, batch.num_rows)
        yield batch
