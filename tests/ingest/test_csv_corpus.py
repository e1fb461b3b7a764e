"""A corpus of bad CSV inputs, generated here: every file loads what it can and
``rows read = rows written + rows quarantined``, with readable reasons and sane types."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import lakeworks as lw
from lakeworks.errors import InvalidInputError

HEADER = "id,name,amount,flag,ts,code,city,note"


def good(i: int) -> str:
    return f"{i},n{i},{i * 1.5},true,2024-01-01 00:00:{i % 60:02d},C{i},X,ok"


BAD = {
    "short": ("2000,short,1", "MISSING COLUMNS: expected 8 fields, found 3"),
    "long": ("2001,a,2.0,true,2024-01-01 00:00:00,C,X,ok,extra", "TOO MANY COLUMNS"),
    "nan": ("2002,b,notnum,true,2024-01-01 00:00:00,C,X,ok", "CAST: column 'amount'"),
}


def load(ws: lw.Workspace, path: Path, table: str = "t", **options: object) -> lw.LoadResult:
    result = ws.ingest(path, table, progress=False, **options)
    assert result.status == "succeeded"
    assert result.rows_read == result.rows_written + result.rows_quarantined
    assert ws.read(table).num_rows == result.rows_written
    return result


def quarantined(ws: lw.Workspace, table: str = "t") -> list[dict]:
    return ws.read(f"{table}__quarantine").sort_by("line").to_pylist()


def types(ws: lw.Workspace, table: str = "t") -> dict[str, pa.DataType]:
    return {f.name: f.type for f in ws.read(table).schema}


def test_crlf_file_with_lf_lines_appended_quarantines_only_the_bad_lines(
    ws: lw.Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "concat.csv"
    body = "\r\n".join([HEADER] + [good(i) for i in range(1003)]) + "\r\n"
    path.write_bytes((body + "".join(line + "\n" for line, _ in BAD.values())).encode())
    result = load(ws, path)
    assert (result.rows_read, result.rows_written, result.rows_quarantined) == (1006, 1003, 3)
    rows = quarantined(ws)
    assert [r["line"] for r in rows] == [1005, 1006, 1007]
    for row, (line, reason) in zip(rows, BAD.values(), strict=True):
        assert row["reason"].startswith(reason)
        assert row["raw_bytes"] == (line + "\n").encode()
    assert types(ws)["amount"] == pa.float64() and types(ws)["ts"] == pa.timestamp("us")


@pytest.mark.parametrize("position", ["start", "middle", "end"])
@pytest.mark.parametrize("kind", list(BAD))
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_each_malformation_anywhere_is_quarantined(
    ws: lw.Workspace, tmp_path: Path, position: str, kind: str, newline: str
) -> None:
    lines = [good(i) for i in range(30_000 if position == "middle" else 50)]
    at = {"start": 0, "middle": 25_000, "end": len(lines)}[position]
    lines.insert(at, BAD[kind][0])
    path = tmp_path / "one.csv"
    path.write_bytes(newline.join([HEADER, *lines]).encode() + newline.encode())
    result = load(ws, path)
    assert (result.rows_quarantined, result.rows_written) == (1, len(lines) - 1)
    [row] = quarantined(ws)
    assert row["line"] == at + 2
    assert row["reason"].startswith(BAD[kind][1])
    assert row["raw_bytes"] == (BAD[kind][0] + newline).encode()
    assert types(ws)["amount"] == pa.float64() and types(ws)["id"] == pa.int64()


def test_short_row_reason_is_said_once(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text(f"{HEADER}\n{good(1)}\n1,2,3,4,5\n")
    load(ws, path)
    [row] = quarantined(ws)
    assert row["reason"] == "MISSING COLUMNS: expected 8 fields, found 5"


def test_lone_bad_value_keeps_the_column_numeric(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "amounts.csv"
    path.write_text("id,amount\n" + "".join(f"{i},{i}.25\n" for i in range(1000)) + "1000,abc\n")
    result = load(ws, path)
    assert (result.rows_read, result.rows_written, result.rows_quarantined) == (1001, 1000, 1)
    assert types(ws)["amount"] == pa.float64()
    [row] = quarantined(ws)
    assert row["reason"] == "CAST: column 'amount': 'abc' is not a DOUBLE"
    assert "amount: DOUBLE (1,000 of 1,001 sampled values parse" in result.message
    [record] = ws.loads("t")
    assert record.details["csv"]["types"]["amount"] == "double"


def test_integers_with_one_decimal_are_double_not_rounded(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "ints.csv"
    path.write_text("id,n\n" + "".join(f"{i},{i}\n" for i in range(500)) + "500,2.5\n")
    result = load(ws, path)
    assert result.rows_quarantined == 0
    assert ws.read("t").column("n").to_pylist()[-1] == 2.5


def test_ambiguous_column_stays_text_and_says_so(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    codes = "".join(f"{i},{i if i % 3 else 'x' + str(i)}\n" for i in range(90))
    path.write_text("id,code\n" + codes)
    result = load(ws, path)
    assert result.rows_quarantined == 0 and types(ws)["code"] == pa.string()
    assert "code: kept as text" in result.message


def test_stated_types_win_and_misfits_are_quarantined(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "stated.csv"
    path.write_text("id,amount,ts\n1,10,2024-01-01 10:00:00\n2,x,2024-01-02\n3,7,soon\n")
    result = load(ws, path, schema={"amount": "double", "ts": "timestamp"})
    assert (result.rows_written, result.rows_quarantined) == (1, 2)
    assert types(ws)["amount"] == pa.float64() and types(ws)["ts"] == pa.timestamp("us")
    reasons = [r["reason"] for r in quarantined(ws)]
    assert reasons[0].startswith("CAST: column 'amount': 'x'")
    assert reasons[1].startswith("CAST: column 'ts': 'soon'")


def test_quoted_newlines_delimiters_and_doubled_quotes(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    text = 'id,"my name","say ""hi"""\r\n1,"two\r\nlines",1\r\n2,"a,b",2\r\n3,"x ""q"" y",3\r\n'
    path.write_bytes(text.encode() + b'4,"lf\nline"\n')
    result = load(ws, path)
    assert (result.rows_written, result.rows_quarantined) == (3, 1)
    assert ws.read("t").column("my name").to_pylist() == ["two\r\nlines", "a,b", 'x "q" y']
    assert list(types(ws)) == ["id", "my name", 'say "hi"']
    [row] = quarantined(ws)
    assert row["raw_bytes"] == b'4,"lf\nline"\n' and row["line"] == 6
    assert row["reason"] == "MISSING COLUMNS: expected 3 fields, found 2"


def test_latin1_row_keeps_its_raw_bytes(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("id,name\n1,José\n2,Ann\n".encode("latin-1"))
    result = load(ws, path)
    assert (result.rows_written, result.rows_quarantined) == (1, 1)
    [row] = quarantined(ws)
    assert row["raw_bytes"] == "1,José\n".encode("latin-1")
    assert row["reason"].startswith("INVALID ENCODING") and "--encoding" in row["reason"]
    again = load(ws, path, "t2", encoding="latin-1")
    assert again.rows_quarantined == 0
    assert ws.read("t2").column("name").to_pylist() == ["José", "Ann"]


def test_encoding_duckdb_lacks_goes_the_careful_way(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "cp.csv"
    path.write_bytes("id,price\n1,5 €\n2,3\n".encode("cp1252"))
    result = load(ws, path, encoding="cp1252")
    assert result.rows_written == 2
    assert ws.read("t").column("price").to_pylist() == ["5 €", "3"]


@pytest.mark.parametrize("position", ["start", "middle", "end"])
def test_overlong_record_is_quarantined_and_the_rest_load(
    ws: lw.Workspace, tmp_path: Path, position: str
) -> None:
    lines = [f"{i},v{i}" for i in range(3000)]
    at = {"start": 0, "middle": 1500, "end": 3000}[position]
    big = "9999," + "x" * 200_000
    lines.insert(at, big)
    path = tmp_path / "long.csv"
    path.write_text("id,txt\n" + "\n".join(lines) + "\n")
    result = load(ws, path, max_line_size=65_536)
    assert (result.rows_written, result.rows_quarantined) == (3000, 1)
    [row] = quarantined(ws)
    assert row["line"] == at + 2
    assert row["reason"].startswith("LINE SIZE OVER MAXIMUM") and "--max-line-size" in row["reason"]
    assert row["raw_bytes"] == (big + "\n").encode()
    assert len(row["raw_record"]) < 2000
    assert len(result.message) < 1000


def test_raising_max_line_size_loads_the_long_record(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("id,txt\n1,a\n2," + "x" * 3_000_000 + "\n3,c\n")
    result = load(ws, path, max_line_size=8_000_000)
    assert (result.rows_written, result.rows_quarantined) == (3, 0)


def test_bom_header_only_duplicates_and_odd_names(ws: lw.Workspace, tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfid,amount\r\n1,2\r\n2,3\r\n")
    load(ws, bom, "bom")
    assert list(types(ws, "bom")) == ["id", "amount"]
    header_only = tmp_path / "header.csv"
    header_only.write_text("id,amount\n")
    result = ws.ingest(header_only, "header", progress=False)
    assert (result.status, result.rows_read, result.rows_quarantined) == ("succeeded", 0, 0)
    dup = tmp_path / "dup.csv"
    dup.write_text("a,a,b\n1,2,3\n")
    load(ws, dup, "dup")
    assert ws.read("dup").num_rows == 1 and len(set(types(ws, "dup"))) == 3
    odd = tmp_path / "odd.csv"
    odd.write_text('"first name","it\'s ""x""",plain\nann,1,2\n')
    load(ws, odd, "odd")
    assert list(types(ws, "odd")) == ["first name", 'it\'s "x"', "plain"]


def test_three_thousand_columns(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    header = ",".join(f"c{i}" for i in range(3000))
    rows = [",".join(str(r * i) for i in range(3000)) for r in range(3)]
    rows.append(",".join(["1"] * 10))
    path.write_text("\n".join([header, *rows]) + "\n")
    result = load(ws, path)
    assert (result.rows_written, result.rows_quarantined) == (3, 1)
    assert set(types(ws).values()) == {pa.int64()}
    [row] = quarantined(ws)
    assert row["reason"] == "MISSING COLUMNS: expected 3000 fields, found 10"


def test_empty_file_is_refused_by_name(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(InvalidInputError, match="empty"):
        ws.ingest(path, "t", progress=False)


def test_bad_text_options_are_refused(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a\n1\n")
    with pytest.raises(InvalidInputError, match="unknown encoding"):
        ws.ingest(path, "t", encoding="klingon")
    with pytest.raises(InvalidInputError, match="max_line_size"):
        ws.ingest(path, "t", max_line_size=10)
