"""Parquet files, streamed in batches through a pyarrow dataset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from lakeworks.errors import InvalidInputError
from lakeworks.ingest.base import Extract, Plan, Reject
from lakeworks.ingest.records import Record, RecordConverter, raw_text
from lakeworks.ingest.watermarks import check_column, newer


def read_parquet(paths: list[Path], names: dict[str, str], plan: Plan) -> Extract:
    try:
        dataset = ds.dataset([str(p) for p in paths], format="parquet")
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInputError(
            f"cannot read Parquet {paths[0]}: {exc}", path=str(paths[0])
        ) from exc
    if plan.watermark is not None:
        check_column(plan.watermark.column, dataset.schema.names, str(paths[0]))
    extract = Extract(iter(()))
    extract.batches = _batches(dataset, names, plan, extract.rejects)
    return extract


def _target(schema: pa.Schema, declared: dict[str, pa.DataType]) -> pa.Schema:
    return pa.schema([f.with_type(declared.get(f.name, f.type)) for f in schema])


def _batches(
    dataset: ds.Dataset, names: dict[str, str], plan: Plan, rejects: list[Reject]
) -> Iterator[pa.RecordBatch]:
    target = _target(dataset.schema, plan.declared)
    offset = 0
    for fragment in dataset.get_fragments():
        source = names.get(fragment.path, fragment.path)
        converter = RecordConverter(source, plan.hints, target)
        offset = 0
        for batch in fragment.to_batches(batch_size=plan.chunk_size):
            good = _conform(batch, target, converter, offset, rejects)
            offset += batch.num_rows
            if good is not None:
                yield newer(good, plan.watermark)


def _conform(
    batch: pa.RecordBatch,
    target: pa.Schema,
    converter: RecordConverter,
    offset: int,
    rejects: list[Reject],
) -> pa.RecordBatch | None:
    if batch.schema == target:
        return batch
    try:
        return batch.cast(target)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        records = [
            Record(offset + i + 1, raw_text(row), row) for i, row in enumerate(batch.to_pylist())
        ]
        good, bad = converter.convert(records)
        rejects.extend(bad)
        return good
