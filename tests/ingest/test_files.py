"""File sources: CSV, JSON lines and Parquet from local paths, globs and S3."""

from __future__ import annotations

import os
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import lakeworks as lw
from lakeworks.errors import InvalidInputError, NotFoundError, SchemaMismatchError


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def quarantined(ws: lw.Workspace, table: str) -> list[dict]:
    return ws.read(f"{table}__quarantine").sort_by("line").to_pylist()


# CSV ------------------------------------------------------------------------------------
def test_csv_loads_rows_and_records_the_load(ws: lw.Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "orders.csv", "id,amount\n1,2.5\n2,3.5\n")
    result = ws.ingest(path, "orders")
    assert (result.status, result.rows_read, result.rows_written) == ("succeeded", 2, 2)
    assert result.quarantine_table is None
    assert ws.read("orders").to_pylist() == [{"id": 1, "amount": 2.5}, {"id": 2, "amount": 3.5}]
    [record] = ws.loads("orders")
    assert (record.status, record.rows_read, record.rows_written, record.rows_quarantined) == (
        "succeeded",
        2,
        2,
        0,
    )
    assert record.source == str(path) and record.fingerprint


def test_csv_ragged_and_uncastable_rows_go_to_quarantine(ws: lw.Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.csv", "id,amount,name\n1,2.5,a\n2,abc,b\n3,4\n4,5.5,d,extra\n5,6,e\n"
    )
    result = ws.ingest(path, "orders", schema={"amount": "DOUBLE"})
    assert (result.rows_read, result.rows_written, result.rows_quarantined) == (5, 2, 3)
    assert result.quarantine_table == "orders__quarantine"
    assert [r["id"] for r in ws.read("orders").to_pylist()] == [1, 5]
    rows = quarantined(ws, "orders")
    assert [(r["line"], r["raw_record"]) for r in rows] == [
        (3, "2,abc,b"),
        (4, "3,4"),
        (5, "4,5.5,d,extra"),
    ]
    assert rows[0]["reason"].startswith("CAST") and "abc" in rows[0]["reason"]
    assert rows[0]["columns"] == "amount"
    assert "MISSING COLUMNS" in rows[1]["reason"]
    assert "TOO MANY COLUMNS" in rows[2]["reason"]
    assert {r["load_id"] for r in rows} == {result.load_id}
    assert all(r["source"] == str(path) and r["quarantined_at"] for r in rows)
    schema = ws.read("orders__quarantine").schema
    assert schema.field("line").type == pa.int64()
    stamp = schema.field("quarantined_at").type
    assert pa.types.is_timestamp(stamp) and stamp.tz in {"UTC", "Etc/UTC"}


def test_csv_line_with_several_errors_is_one_quarantine_row(
    ws: lw.Workspace, tmp_path: Path
) -> None:
    path = write(tmp_path / "two.csv", "a,b,c\n1,2,x\nzz,yy,z\n")
    result = ws.ingest(path, "t", schema={"a": "BIGINT", "b": "BIGINT"})
    assert (result.rows_written, result.rows_quarantined) == (1, 1)
    [row] = quarantined(ws, "t")
    assert row["line"] == 3 and row["columns"] == "a,b"
    assert row["reason"].count("CAST") == 2


def test_csv_rerun_is_skipped_without_duplicates(ws: lw.Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "orders.csv", "id\n1\n2\n")
    ws.ingest(path, "orders")
    again = ws.ingest(path, "orders")
    assert (again.status, again.rows_written) == ("skipped", 0)
    assert ws.read("orders").num_rows == 2
    assert [r.status for r in ws.loads("orders")] == ["succeeded", "skipped"]
    os.utime(path, ns=(1, 1))  # a changed file is a new load
    assert ws.ingest(path, "orders").status == "succeeded"
    assert ws.read("orders").num_rows == 4


def test_csv_incremental_loads_only_newer_rows(ws: lw.Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "events.csv", "id,ts\n1,2024-01-01 00:00:00\n2,2024-01-02 00:00:00\n")
    first = ws.ingest(path, "events", incremental_by="ts")
    assert first.rows_written == 2 and first.watermark == "2024-01-02T00:00:00"
    with path.open("a") as f:
        f.write("3,2024-01-03 00:00:00\n0,2023-12-31 00:00:00\n")
    second = ws.ingest(path, "events", incremental_by="ts")
    assert (second.rows_read, second.rows_written) == (1, 1)
    assert second.watermark == "2024-01-03T00:00:00"
    assert sorted(r["id"] for r in ws.read("events").to_pylist()) == [1, 2, 3]
    third = ws.ingest(path, "events", incremental_by="ts")
    assert third.rows_written == 0 and third.watermark == second.watermark


def test_keys_upsert_updates_instead_of_duplicating(ws: lw.Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "id,name\n1,ann\n2,bob\n")
    ws.ingest(path, "customers", keys=["id"])
    write(path, "id,name\n2,bobby\n3,cy\n")
    result = ws.ingest(path, "customers", keys=["id"])
    assert result.rows_written == 2
    assert sorted(map(tuple, (r.values() for r in ws.read("customers").to_pylist()))) == [
        (1, "ann"),
        (2, "bobby"),
        (3, "cy"),
    ]
    assert ws.ingest(path, "customers", keys="id").status == "succeeded"
    assert ws.read("customers").num_rows == 3
    assert ws.loads("customers")[-1].mode == "merge"


def test_glob_loads_every_matching_file(ws: lw.Workspace, tmp_path: Path) -> None:
    for i in range(3):
        write(tmp_path / f"part-{i}.csv", f"id,part\n{i * 10},{i}\n{i * 10 + 1},{i}\n")
    write(tmp_path / "other.txt", "not me")
    result = ws.ingest(str(tmp_path / "part-*.csv"), "parts")
    assert result.rows_written == 6
    assert sorted(r["part"] for r in ws.read("parts").to_pylist()) == [0, 0, 1, 1, 2, 2]
    assert ws.ingest(str(tmp_path / "part-*.csv"), "parts").status == "skipped"


def test_empty_file_is_refused_by_name(ws: lw.Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "empty.csv", "")
    with pytest.raises(InvalidInputError, match="empty.csv is empty"):
        ws.ingest(path, "t")
    [record] = ws.loads("t")
    assert record.status == "failed" and "empty.csv" in record.error
    assert not ws.platform.tables.exists(ws.ctx, "t")


@pytest.mark.parametrize("source", ["missing.csv", "nothing-*.csv"])
def test_missing_file_is_not_found(ws: lw.Workspace, tmp_path: Path, source: str) -> None:
    with pytest.raises(NotFoundError, match=source.replace("*", r"\*")):
        ws.ingest(str(tmp_path / source), "t")
    assert ws.loads("t")[0].status == "failed"


def test_failed_load_leaves_the_table_as_it_was(ws: lw.Workspace, tmp_path: Path) -> None:
    ws.ingest(write(tmp_path / "a.csv", "id\n1\n"), "t")
    with pytest.raises(SchemaMismatchError, match="'id'"):
        ws.ingest(write(tmp_path / "b.csv", "id\nx\n"), "t", schema={"id": "VARCHAR"})
    assert ws.read("t").to_pylist() == [{"id": 1}]
    assert ws.loads("t")[-1].status == "failed"


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"mode": "upsert"}, "unknown mode"),
        ({"mode": "merge"}, "needs keys"),
        ({"format": "xml"}, "unknown format"),
        ({"schema": {"a": "WIDGET"}}, "unknown type"),
        ({"query": "select 1"}, "database sources"),
        ({"keys": ["id"], "mode": "append"}, "merge"),
    ],
)
def test_bad_options_are_invalid_input(
    ws: lw.Workspace, tmp_path: Path, options: dict, match: str
) -> None:
    with pytest.raises(InvalidInputError, match=match):
        ws.ingest(write(tmp_path / "a.csv", "id\n1\n"), "t", **options)


def test_unknown_extension_needs_a_format(ws: lw.Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "data.txt", "id\n1\n")
    with pytest.raises(InvalidInputError, match="format"):
        ws.ingest(path, "t")
    assert ws.ingest(path, "t", format="csv").rows_written == 1


# JSON lines -------------------------------------------------------------------------------
def test_jsonl_bad_lines_and_values_go_to_quarantine(ws: lw.Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "e.jsonl",
        '{"id": 1, "v": 1.5}\n{oops\n\n[1, 2]\n'
        '{"id": 3, "v": "abc"}\n{"id": 4, "v": 2, "new": true}\n{"id": 5, "v": "7"}\n',
    )
    result = ws.ingest(path, "e", schema={"v": "DOUBLE"}, chunk_size=3)
    assert (result.rows_read, result.rows_written, result.rows_quarantined) == (6, 2, 4)
    assert ws.read("e").sort_by("id").to_pylist() == [{"id": 1, "v": 1.5}, {"id": 5, "v": 7.0}]
    rows = quarantined(ws, "e")
    assert [(r["line"], r["reason"].split(":")[0]) for r in rows] == [
        (2, "not valid JSON"),
        (4, "the record is not a JSON object"),
        (5, "column 'v'"),
        (6, "unexpected field(s) ['new']"),
    ]
    assert rows[0]["raw_record"] == "{oops"
    assert rows[2]["columns"] == "v" and "abc" in rows[2]["reason"]


def test_jsonl_streams_in_chunks_with_one_schema(ws: lw.Workspace, tmp_path: Path) -> None:
    lines = [f'{{"id": {i}, "note": null}}' for i in range(25)] + [
        '{"id": 25, "note": "x"}',
        '{"id": 2.5}',
    ]
    path = write(tmp_path / "big.jsonl", "\n".join(lines) + "\n")
    result = ws.ingest(path, "b", chunk_size=10, incremental_by="id")
    assert (result.rows_written, result.rows_quarantined, result.watermark) == (26, 1, "25")
    assert ws.read("b", where="id = 25").to_pylist() == [{"id": 25, "note": "x"}]
    assert "cannot convert 2.5" in quarantined(ws, "b")[0]["reason"]


# Parquet ----------------------------------------------------------------------------------
def test_parquet_streams_batches_incrementally(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"id": list(range(100)), "x": [str(i) for i in range(100)]}), path)
    first = ws.ingest(path, "p", chunk_size=7, incremental_by="id")
    assert (first.rows_written, first.watermark) == (100, "99")
    pq.write_table(pa.table({"id": list(range(95, 110)), "x": ["y"] * 15}), path)
    assert ws.ingest(path, "p", incremental_by="id").rows_written == 10
    assert ws.read("p").num_rows == 110


def test_parquet_declared_type_quarantines_unconvertible(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"id": [1, 2], "x": ["1.5", "nope"]}), path)
    result = ws.ingest(path, "p", schema={"x": "DOUBLE"})
    assert (result.rows_written, result.rows_quarantined) == (1, 1)
    assert ws.read("p").to_pylist() == [{"id": 1, "x": 1.5}]
    assert quarantined(ws, "p")[0]["line"] == 2


# S3 ---------------------------------------------------------------------------------------
@pytest.mark.s3
def test_s3_objects_and_globs(s3_settings, s3_endpoint: str, s3_bucket: str) -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    s3.put_object(Bucket=s3_bucket, Key="in/a.csv", Body=b"id,v\n1,x\n2,y\n")
    s3.put_object(Bucket=s3_bucket, Key="in/b.csv", Body=b"id,v\n3,z\n4,w,extra\n")
    ws = lw.connect(settings=s3_settings, user="tester")
    try:
        one = ws.ingest(f"s3://{s3_bucket}/in/a.csv", "one")
        assert one.rows_written == 2
        both = ws.ingest(f"s3://{s3_bucket}/in/*.csv", "both")
        assert (both.rows_written, both.rows_quarantined) == (3, 1)
        assert quarantined(ws, "both")[0]["source"] == f"s3://{s3_bucket}/in/b.csv"
        assert ws.ingest(f"s3://{s3_bucket}/in/*.csv", "both").status == "skipped"
        with pytest.raises(NotFoundError, match="missing.csv"):
            ws.ingest(f"s3://{s3_bucket}/in/missing.csv", "none")
        assert not list(ws.platform.settings.scratch_dir.glob("ingest-*"))
    finally:
        ws.platform.close()
