"""Missing values in CSV: the usual spellings are nulls unless the user says otherwise."""

from __future__ import annotations

from pathlib import Path

import lakeworks as lw


def write_csv(tmp_path: Path) -> Path:
    path = tmp_path / "m.csv"
    path.write_text("id,mass,region\n1,10,NA\n2,NA,EU\n3,,N/A\n")
    return path


def test_na_spellings_are_null_by_default(ws: lw.Workspace, tmp_path: Path) -> None:
    result = ws.ingest(str(write_csv(tmp_path)), table="m", progress=False)
    assert result.rows_quarantined == 0
    data = ws.read("m").sort_by("id")
    assert data.schema.field("mass").type.id != data.schema.field("region").type.id
    assert data.column("mass").to_pylist() == [10, None, None]
    assert data.column("region").to_pylist() == [None, "EU", None]


def test_null_values_can_be_narrowed(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("id,region\n1,NA\n2,\n")
    ws.ingest(str(path), table="r", progress=False, null_values=[""])
    assert ws.read("r").sort_by("id").column("region").to_pylist() == ["NA", None]
