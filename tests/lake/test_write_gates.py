"""Every write path goes through the quality gate, also the one that (re-)creates a table;
user tables cannot take the names lakeworks keeps for itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

import lakeworks as lw
from lakeworks.errors import InvalidInputError
from lakeworks.features import Entity, FeatureView
from lakeworks.quality import checks as qc

TS = datetime(2026, 1, 1, tzinfo=UTC)
ROWS = [{"id": 5, "k": 1, "ts": TS}, {"id": 6, "k": 1, "ts": TS}, {"id": 7, "k": 2, "ts": TS}]
VALUES = "SELECT * FROM (VALUES (5, 1), (6, 1), (7, 2)) v(id, k)"


def _data() -> pa.Table:
    return pa.Table.from_pylist(ROWS)


def _create(ws: lw.Workspace, tmp_path: Path) -> None:
    ws.create_table("t", _data())


def _append(ws: lw.Workspace, tmp_path: Path) -> None:
    ws.write("t", _data())


def _overwrite(ws: lw.Workspace, tmp_path: Path) -> None:
    ws.write("t", _data(), mode="overwrite")


def _upsert(ws: lw.Workspace, tmp_path: Path) -> None:
    ws.upsert("t", _data(), ["id"])


def _ctas(ws: lw.Workspace, tmp_path: Path) -> None:
    ws.sql(f"CREATE TABLE t AS {VALUES}")


def _insert(ws: lw.Workspace, tmp_path: Path) -> None:
    ws.sql(f"INSERT INTO t {VALUES}")


def _load(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("id,k\n5,1\n6,1\n7,2\n")
    ws.ingest(path, "t", progress=False)


PIPELINE = """
import pyarrow as pa
from lakeworks.pipelines import Pipeline

p = Pipeline("gated")


@p.task
def write(context):
    context.write("t", pa.table({"id": [5, 6, 7], "k": [1, 1, 2]}))
"""


def _pipeline_step(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "gated_pipeline.py"
    path.write_text(PIPELINE)
    ws.pipelines.register(path)
    run = ws.pipelines.run("gated")
    assert run.state == "succeeded", run.error


def _push(ws: lw.Workspace, tmp_path: Path) -> None:
    ws.features.apply(
        [
            Entity("thing", "id"),
            FeatureView("v", entity="thing", timestamp="ts", features=["k"], source="t"),
        ]
    )
    ws.features.push("v", ROWS)


RECREATING = [_create, _append, _overwrite, _upsert, _ctas, _load, _pipeline_step, _push]
EXISTING = [_append, _overwrite, _upsert, _insert, _load, _pipeline_step, _push]


def _assert_gated(ws: lw.Workspace) -> None:
    ks = ws.sql("SELECT k FROM t WHERE id >= 5 ORDER BY k").arrow().column("k").to_pylist()
    assert ks == [2], "rows breaking unique(k) landed"
    held = ws.read("t__quarantine").column("reason").to_pylist()
    assert len(held) == 2 and all("unique" in r for r in held)


@pytest.mark.parametrize("write", RECREATING, ids=lambda f: f.__name__.strip("_"))
def test_the_write_that_recreates_a_dropped_table_is_gated(
    ws: lw.Workspace, tmp_path: Path, write: Callable[[lw.Workspace, Path], None]
) -> None:
    ws.write("t", pa.Table.from_pylist([{"id": 1, "k": 9, "ts": TS}]))
    ws.quality.add("t", [qc.unique("k")])
    ws.drop_table("t")  # the checks stay
    write(ws, tmp_path)
    _assert_gated(ws)


@pytest.mark.parametrize("write", EXISTING, ids=lambda f: f.__name__.strip("_"))
def test_every_write_to_an_existing_table_is_gated(
    ws: lw.Workspace, tmp_path: Path, write: Callable[[lw.Workspace, Path], None]
) -> None:
    ws.write("t", pa.Table.from_pylist([{"id": 1, "k": 9, "ts": TS}]))
    ws.quality.add("t", [qc.unique("k")])
    write(ws, tmp_path)
    _assert_gated(ws)


@pytest.mark.parametrize("name", ["qx__quarantine", "__lw_target", "__x"])
@pytest.mark.parametrize(
    "write",
    [
        lambda ws, name: ws.create_table(name, pa.table({"a": [1]})),
        lambda ws, name: ws.write(name, pa.table({"a": [1]})),
        lambda ws, name: ws.upsert(name, pa.table({"a": [1]}), ["a"]),
        lambda ws, name: ws.sql(f"CREATE TABLE {name} AS SELECT 1 AS a"),
    ],
    ids=["create", "write", "upsert", "ctas"],
)
def test_reserved_table_names_are_refused(
    ws: lw.Workspace, name: str, write: Callable[[lw.Workspace, str], object]
) -> None:
    with pytest.raises(InvalidInputError, match=f"table name '{name}' is reserved") as error:
        write(ws, name)
    assert "choose another name" in error.value.hint
    assert not ws.platform.catalog.find_table("default", name)


def test_loads_still_write_their_quarantine(ws: lw.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "qx.csv"
    path.write_text("id\n1\nx\n")
    result = ws.ingest(path, "qx", schema={"id": "BIGINT"}, progress=False)
    assert (result.rows_written, result.rows_quarantined) == (1, 1)
    assert ws.read("qx__quarantine").num_rows == 1
