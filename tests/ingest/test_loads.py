"""The loader's decisions: default modes, watermark storage, progress, catalog records."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

import lakeworks as lw
from lakeworks.ingest import LoadResult
from lakeworks.ingest.loads import decide_mode
from lakeworks.ingest.watermarks import decode, encode


@pytest.mark.parametrize(
    ("mode", "keys", "kind", "incremental", "expected"),
    [
        (None, None, "file", None, "append"),
        (None, None, "sql", None, "overwrite"),
        (None, None, "http", None, "overwrite"),
        (None, None, "sql", "ts", "append"),
        (None, ["id"], "file", None, "merge"),
        ("append", None, "sql", None, "append"),
        ("overwrite", None, "file", None, "overwrite"),
    ],
)
def test_default_modes(mode, keys, kind, incremental, expected) -> None:  # noqa: ANN001
    assert decide_mode(mode, keys, kind, incremental) == expected


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        (42, "int64"),
        (1.5, "double"),
        ("b", "string"),
        (Decimal("1.25"), "decimal128(38, 9)"),
        (date(2024, 1, 2), "date32[day]"),
        (datetime(2024, 1, 2, 3, tzinfo=UTC), "timestamp[us, tz=UTC]"),
    ],
)
def test_watermarks_round_trip(value, type_name: str) -> None:  # noqa: ANN001
    assert decode(encode(value), type_name) == value


def test_progress_bar_path_loads_the_same(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id\n" + "\n".join(str(i) for i in range(100)) + "\n")
    result = ws.ingest(path, "a", progress=True, chunk_size=10)
    assert isinstance(result, LoadResult) and result.rows_written == 100


def test_overwrite_replaces_and_records_version(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id\n1\n2\n")
    ws.ingest(path, "a")
    path.write_text("id\n3\n")
    result = ws.ingest(path, "a", mode="overwrite")
    assert ws.read("a").to_pylist() == [{"id": 3}]
    assert result.version == 1 and ws.loads("a")[-1].table_version == 1
