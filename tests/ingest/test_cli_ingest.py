"""``lakeworks ingest`` options for CSV: --schema, --encoding, --max-line-size."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import lakeworks as lw
from lakeworks.cli.app import app
from lakeworks.config import Settings


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LAKEWORKS_PROGRESS", "false")
    return tmp_path / "lw"


def run(home: Path, *args: str):  # noqa: ANN201 - click's Result
    return CliRunner().invoke(app, ["--home", str(home), "ingest", *args])


def read(home: Path, table: str) -> list[dict]:
    ws = lw.connect(settings=Settings.load(home=home), create=False)
    try:
        return ws.read(table).to_pylist()
    finally:
        ws.platform.close()


def test_schema_encoding_and_max_line_size(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    long = "3," + "x" * 5000 + ",1"
    path.write_bytes(f"id,name,amount\n1,Zoë,10\n2,b,oops\n{long}\n".encode("latin-1"))
    result = run(
        home, str(path), "--table", "t", "--schema", "amount=double, id=bigint",
        "--encoding", "latin-1", "--max-line-size", "2048",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "read 3, written 1, quarantined 2" in result.stdout
    assert read(home, "t") == [{"id": 1, "name": "Zoë", "amount": 10.0}]
    reasons = [r["reason"] for r in read(home, "t__quarantine")]
    assert any(r.startswith("CAST: column 'amount': 'oops'") for r in reasons)
    assert any(r.startswith("LINE SIZE OVER MAXIMUM") for r in reasons)


@pytest.mark.parametrize("schema", ["amount", "amount=", "=double", "amount=double,,"])
def test_malformed_schema_option_is_a_usage_error(home: Path, schema: str) -> None:
    result = run(home, "x.csv", "--table", "t", "--schema", schema)
    assert result.exit_code == 2
    assert "COLUMN=TYPE" in result.output


def test_unknown_type_names_the_column(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a\n1\n")
    result = run(home, str(path), "--table", "t", "--schema", "a=money")
    assert result.exit_code == 1
    assert "unknown type 'money' declared for column 'a'" in result.stderr
