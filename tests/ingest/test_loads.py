"""The loader's decisions: default modes, watermark storage, progress, catalog records."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

import lakeworks as lw
from lakeworks.errors import SchemaMismatchError
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


def test_a_load_whose_quarantine_cannot_be_written_commits_nothing(
    ws: lw.Workspace, tmp_path: Path
) -> None:
    # a quarantine table with another schema, as a catalog from before reserved names holds
    location = ws.platform.storage.table_uri("default", "qx__quarantine")
    write_deltalake(location, pa.table({"reason": [1]}))
    ws.platform.catalog.add_table("default", "qx__quarantine", location, "someone")
    ws.write("qx", pa.table({"id": [0]}))
    path = tmp_path / "qx.csv"
    path.write_text("id\n1\nx\n")
    with pytest.raises(SchemaMismatchError, match="'qx__quarantine' cannot take") as error:
        ws.ingest(path, "qx", progress=False)
    assert error.value.fields["column"] == "reason" and "drop or rename" in error.value.hint
    assert ws.read("qx").column("id").to_pylist() == [0]  # the good row did not land
    assert ws.loads("qx")[-1].status == "failed"
    ws.drop_table("qx__quarantine")
    assert ws.ingest(path, "qx", progress=False).status == "succeeded"
    assert ws.ingest(path, "qx", progress=False).status == "skipped"
    assert sorted(ws.read("qx").column("id").to_pylist()) == [0, 1]
    assert ws.read("qx__quarantine").column("raw_record").to_pylist() == ["x"]


def test_a_load_that_committed_but_was_not_recorded_is_not_loaded_again(
    ws: lw.Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id\n1\n2\n")
    catalog = ws.platform.catalog
    finish = catalog.finish_load

    def killed(load_id: int, status: str, **values: object) -> object:
        if status == "succeeded":  # the process dies between the commit and the record
            raise KeyboardInterrupt
        return finish(load_id, status, **values)

    monkeypatch.setattr(catalog, "finish_load", killed)
    with pytest.raises(KeyboardInterrupt):
        ws.ingest(path, "a", progress=False)
    monkeypatch.setattr(catalog, "finish_load", finish)
    assert ws.ingest(path, "a", progress=False).status == "skipped"
    assert ws.read("a").num_rows == 2
    first = ws.loads("a")[0]
    assert (first.status, first.table_version, first.rows_written) == ("succeeded", 0, 2)


@pytest.mark.parametrize("declared", [False, True], ids=["table-type", "declared-type"])
def test_a_value_that_does_not_fit_an_integer_column_is_quarantined_not_rounded(
    ws: lw.Workspace, tmp_path: Path, declared: bool
) -> None:
    if not declared:
        ws.write("t", pa.table({"id": [0], "n": [1]}))
    path = tmp_path / "n.csv"
    path.write_text("id,n\n1,9.5\n2,2.4\n3,-0.5\n4,true\n5,99999999999999999999\n6,7\n7,1e3\n")
    schema = {"n": "BIGINT"} if declared else None
    result = ws.ingest(path, "t", schema=schema, progress=False)
    assert (result.rows_written, result.rows_quarantined) == (2, 5)
    landed = ws.read("t", where="id > 0").sort_by("id").to_pylist()
    assert landed == [{"id": 6, "n": 7}, {"id": 7, "n": 1000}]
    held = {
        json.loads(r["raw_record"])["id"] if r["raw_record"].startswith("{") else 4: r["reason"]
        for r in ws.read("t__quarantine").to_pylist()
    }
    assert held[1] == "column 'n': 9.5 does not fit BIGINT without loss"
    assert held[3] == "column 'n': -0.5 does not fit BIGINT without loss"
    assert "2.4" in held[2] and "99999999999999999999" in held[5]
    assert "BIGINT" in held[4] and "DECIMAL" not in held[4]
