"""HUGEINT results (``sum`` of integers, ``count_if``) come back as 64-bit integers."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pytest

import lakeworks as lw

TOTALS = "select sum(id) as total, count_if(id > 1) as big, 7::DECIMAL(38, 0) as d from t"
HUGE = "select (2::HUGEINT ** 100)::HUGEINT as h, sum(id) as total from t"


@pytest.fixture
def t(ws: lw.Workspace) -> lw.Workspace:
    ws.write("t", pa.table({"id": pa.array([1, 2, 3], pa.int64())}))
    return ws


def test_sums_and_counts_are_int64_in_arrow_pandas_and_polars(t: lw.Workspace) -> None:
    q = t.sql(TOTALS)
    table = q.arrow()
    assert table.schema.field("total").type == pa.int64()
    assert table.schema.field("big").type == pa.int64()
    assert table.schema.field("d").type == pa.decimal128(38, 0)  # declared: stays a decimal
    assert table.to_pylist() == [{"total": 6, "big": 2, "d": Decimal(7)}]
    frame = t.sql(TOTALS).to_pandas()
    assert str(frame["total"].dtype) == "int64" and str(frame["big"].dtype) == "int64"
    assert type(frame["total"][0]).__name__ == "int64"  # not Decimal, not float
    polars = t.sql(TOTALS).to_polars()
    assert str(polars.schema["total"]) == "Int64"


def test_a_value_beyond_int64_stays_an_exact_decimal(t: lw.Workspace) -> None:
    table = t.sql(HUGE).arrow()
    assert table.schema.field("h").type == pa.decimal128(38, 0)
    assert table.column("h").to_pylist() == [Decimal(2**100)]
    assert table.schema.field("total").type == pa.int64()  # the other column still narrowed
    assert t.sql(HUGE).to_pandas()["h"][0] == Decimal(2**100)  # exact, not a rounded float


def test_a_stream_keeps_hugeint_as_decimal(t: lw.Workspace) -> None:
    reader = t.sql(TOTALS).batches()
    assert reader.schema.field("total").type == pa.decimal128(38, 0)
    assert reader.read_all().column("total").to_pylist() == [Decimal(6)]


def test_an_empty_result_is_narrowed(t: lw.Workspace) -> None:
    table = t.sql("select id, sum(id) as total from t where id > 9 group by id").arrow()
    assert table.num_rows == 0 and table.schema.field("total").type == pa.int64()
