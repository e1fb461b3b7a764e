"""Batch scoring: a table version run through an endpoint's live model in Arrow batches,
written to another table in one atomic commit, with lineage (table version -> model
version -> output table version).

Each output row is the input row (every column) plus the model's output columns and
``error`` (null, or why the model failed on that row: a batch the model raises on is
retried row by row, so one bad row does not fail the others). Rows the signature refuses
(a missing column, a wrong type) fail the whole scoring before anything is written.

Example:
    >>> platform.serving.score(ctx, "churn", "customers", "churn_scores")  # doctest: +SKIP
    ScoreResult(endpoint='churn', model='churn/3', ..., rows=10000, failed=0)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeworks import hooks
from lakeworks.errors import InvalidInputError
from lakeworks.serving.prediction import outputs_of

if TYPE_CHECKING:
    from lakeworks.context import Context
    from lakeworks.lake.tables import Tables
    from lakeworks.registry.predictor import Predictor
    from lakeworks.serving.endpoints import Slot


@dataclass(frozen=True)
class ScoreResult:
    endpoint: str
    model: str
    source: str
    source_version: int
    table: str
    version: int
    rows: int
    failed: int
    seconds: float


@dataclass(frozen=True)
class ScoreJob:
    """What to score: ``source`` at ``version`` with the endpoint's ``slot``, into ``into``."""

    endpoint: str
    slot: Slot
    source: str
    into: str
    version: int | None
    mode: str
    batch_rows: int


def score(
    tables: Tables, ctx: Context, predictor: Predictor, job: ScoreJob, progress: bool
) -> ScoreResult:
    """Run ``job``; see the module docstring."""
    if job.mode not in ("overwrite", "append"):
        raise InvalidInputError(
            f"scoring writes with mode overwrite or append, not {job.mode!r}",
            expected="overwrite, append",
            found=job.mode,
        )
    began = time.perf_counter()
    source_version = job.version if job.version is not None else _latest(tables, ctx, job)
    data = tables.read(ctx, job.source, version=source_version)
    columns = _checked_columns(predictor, data, job)
    counts = {"rows": 0, "failed": 0}
    batches = _scored(predictor, data, columns, job, counts, progress)
    first = next(batches)  # the schema: outputs are known after the first batch
    reader = pa.RecordBatchReader.from_batches(first.schema, _chain(first, batches))
    lineage = {
        "kind": "score",
        "tables": ((job.source, source_version),),
        "sources": (job.slot.ref,),
        "source_kind": "model",
    }
    with hooks.reading(**lineage):
        written = tables.write(ctx, job.into, reader, mode=job.mode)  # type: ignore[arg-type]
    return ScoreResult(
        job.endpoint,
        job.slot.ref,
        job.source,
        source_version,
        job.into,
        written.version,
        counts["rows"],
        counts["failed"],
        round(time.perf_counter() - began, 3),
    )


def _latest(tables: Tables, ctx: Context, job: ScoreJob) -> int:
    return tables.open(ctx, job.source).version()


def _checked_columns(predictor: Predictor, data: pa.Table, job: ScoreJob) -> list[str]:
    """The model's input columns (all of them without a signature); empty tables refused."""
    if data.num_rows == 0:
        raise InvalidInputError(
            f"table {job.source!r} has no rows to score",
            table=job.source,
            expected="at least 1 row",
            found=0,
        )
    if predictor.signature is None:
        return data.column_names
    columns = predictor.signature.columns
    present = [c for c in columns if c in data.column_names]  # others pass through
    predictor.signature.enforce(data.slice(0, 1).select(present), model=f"model {job.slot.ref}")
    return columns


def _scored(
    predictor: Predictor,
    data: pa.Table,
    columns: list[str],
    job: ScoreJob,
    counts: dict[str, int],
    progress: bool,
) -> Iterator[pa.RecordBatch]:
    from lakeworks.ingest.progress import tracked, wanted

    description = f"scoring {job.source} with {job.slot.ref}"
    chunks = iter(data.to_batches(max_chunksize=job.batch_rows))
    with tracked(chunks, description, wanted(None, progress), data.num_rows) as batches:
        for batch in batches:
            part = pa.Table.from_batches([batch])
            outputs = _outputs(predictor, part.select(columns))
            counts["rows"] += part.num_rows
            counts["failed"] += part.num_rows - outputs.column("error").null_count
            for name in outputs.column_names:
                if name in part.column_names:
                    part = part.drop_columns([name])
                part = part.append_column(name, outputs.column(name))
            yield from part.combine_chunks().to_batches()


def _outputs(predictor: Predictor, inputs: pa.Table) -> pa.Table:
    """The model's output columns and ``error``: one model call, row by row if it raises."""
    try:
        out = predictor.predict(inputs)
        return out.append_column("error", pa.nulls(inputs.num_rows, pa.string()))
    except InvalidInputError:
        raise  # the signature refused the input: the whole table is at fault
    except Exception:
        outputs, errors = outputs_of(predictor, inputs)
        types = _output_types(predictor, outputs)
        columns = {n: pa.array([o[n] if o else None for o in outputs], t) for n, t in types.items()}
        return pa.table({**columns, "error": pa.array(errors, pa.string())})


def _output_types(predictor: Predictor, outputs: list[Any]) -> dict[str, pa.DataType | None]:
    """Output column names and types: from the signature where it says, else from a row
    that was answered (None: inferred)."""
    declared: dict[str, pa.DataType | None] = {}
    for spec in predictor.signature.outputs if predictor.signature else ():
        try:
            declared[spec.name] = pa.type_for_alias(spec.type)
        except ValueError:
            declared[spec.name] = None
    answered = next((o for o in outputs if o), None)
    if answered is None:
        return declared or {"prediction": None}
    return {n: declared.get(n) for n in answered}


def _chain(first: pa.RecordBatch, rest: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Every batch in the first one's schema (a batch answered row by row may have come
    out with other output types: an all-failed column is null-typed)."""
    yield first
    for batch in rest:
        yield batch if batch.schema == first.schema else batch.cast(first.schema)


def as_text(result: ScoreResult) -> str:
    return (
        f"scored {result.rows} rows of {result.source} v{result.source_version} with "
        f"{result.model} into {result.table} v{result.version} ({result.failed} failed rows, "
        f"{result.seconds}s)"
    )
