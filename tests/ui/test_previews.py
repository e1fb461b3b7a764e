"""Artifact previews (no browser): images inline, text cut at 64 kB, tables cut at 50 rows,
and files that are too big or binary say so instead of being read whole."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq

from lakeworks.ui.previews import LIMIT, ROWS, preview
from tests.ui.ml_seeds import png


def test_an_image_is_inline_and_a_big_one_is_not() -> None:
    shown = preview("plots/curve.png", io.BytesIO(png()))
    assert shown.kind == "image" and shown.image.startswith("data:image/png;base64,")
    big = preview("big.png", io.BytesIO(b"\x89PNG" + b"0" * LIMIT))
    assert big.kind == "none" and "over 2 MB" in big.note


def test_text_is_cut_at_64_kB() -> None:
    assert preview("notes.txt", io.BytesIO(b"hello")).text == "hello"
    long = preview("log.log", io.BytesIO(b"x" * 100_000))
    assert len(long.text) == 64_000 and long.note == "the first 64 kB"


def test_tables_show_their_first_rows() -> None:
    csv = "a,b\n" + "".join(f"{i},{i * 2}\n" for i in range(80))
    shown = preview("scores.csv", io.BytesIO(csv.encode()))
    assert shown.header == ["a", "b"] and len(shown.rows) == ROWS and shown.rows[1] == ["1", "2"]
    assert shown.note == f"the first {ROWS} rows"
    buffer = io.BytesIO()
    pq.write_table(pa.table({"x": list(range(70)), "y": ["a"] * 70}), buffer)
    parquet = preview("t.parquet", io.BytesIO(buffer.getvalue()))
    assert parquet.header == ["x", "y"] and len(parquet.rows) == ROWS
    assert parquet.note == f"the first {ROWS} of 70 rows"
    lines = preview("r.jsonl", io.BytesIO(b'{"a": 1}\n{"a": 2, "b": null}\n'))
    assert lines.header == ["a", "b"] and lines.rows == [["1", ""], ["2", ""]]


def test_a_binary_file_has_no_preview() -> None:
    shown = preview("model.bin", io.BytesIO(b"\x00\x01\xff" * 10))
    assert shown.kind == "none" and "download" in shown.note
