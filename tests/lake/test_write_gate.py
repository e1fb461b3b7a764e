"""The table store's write gate: an interface the lake owns, implemented elsewhere.

These build ``Tables`` by hand with its collaborators (no Platform, no quality service),
as a package that is not lakeworks' quality could.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from lakeworks.context import Context
from lakeworks.errors import DataQualityError
from lakeworks.hooks import Hooks
from lakeworks.lake.tables import GATED, Tables
from lakeworks.platform import Platform


class DropNegatives:
    """Holds back rows whose ``a`` is negative; refuses a write of only such rows."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def gate(self, ctx, table, reader, *, write_id, mode="append", keys=None):  # noqa: ANN001, ANN201
        self.seen.append((table, mode))
        data = reader.read_all()
        kept = data.filter(pc.greater_equal(data["a"], 0))
        if kept.num_rows == 0 and data.num_rows:
            raise DataQualityError(f"every row of the write to {table!r} has a < 0")
        return kept.to_reader(), data.num_rows - kept.num_rows


@pytest.fixture
def bare(platform: Platform, ctx: Context) -> Tables:
    return Tables(platform.catalog, platform.storage, platform.settings, Hooks())


def test_a_store_without_a_gate_writes_every_row(bare: Tables, ctx: Context) -> None:
    result = bare.write(ctx, "t", pa.table({"a": [-1, 2]}))
    assert bare.read(ctx, "t").num_rows == 2
    assert GATED not in result.metrics


def test_a_plugged_gate_holds_rows_and_refuses_writes(bare: Tables, ctx: Context) -> None:
    gate = DropNegatives()
    bare.gate = gate
    result = bare.write(ctx, "t", pa.table({"a": [-1, 2, 3]}))
    assert bare.read(ctx, "t")["a"].to_pylist() == [2, 3]
    assert result.metrics[GATED] == 1
    with pytest.raises(DataQualityError, match="every row of the write to 't' has a < 0"):
        bare.write(ctx, "t", pa.table({"a": [-5]}))
    assert bare.open(ctx, "t").version() == result.version  # the refused write left no trace
    bare.upsert(ctx, "t", pa.table({"a": [4, -4]}), keys=["a"])
    assert sorted(bare.read(ctx, "t")["a"].to_pylist()) == [2, 3, 4]
    assert gate.seen == [("t", "append"), ("t", "append"), ("t", "append")]
