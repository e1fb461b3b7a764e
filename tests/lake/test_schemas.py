"""Type mapping into Delta, and which schema changes an append accepts."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lakeworks.errors import InvalidInputError, SchemaMismatchError
from lakeworks.lake.schemas import check_compatible, delta_type, to_reader

PRIMITIVES = [
    pa.int8(),
    pa.int16(),
    pa.int32(),
    pa.int64(),
    pa.uint8(),
    pa.uint16(),
    pa.uint32(),
    pa.float32(),
    pa.float64(),
    pa.bool_(),
    pa.string(),
    pa.large_string(),
    pa.string_view(),
    pa.binary(),
    pa.date32(),
    pa.timestamp("ns"),
    pa.timestamp("ms", tz="Europe/Paris"),
    pa.decimal128(10, 2),
]


@given(st.sampled_from(PRIMITIVES))
def test_delta_type_is_a_fixed_point(t: pa.DataType) -> None:
    assert delta_type(delta_type(t)) == delta_type(t)


@pytest.mark.parametrize(
    ("unsigned", "maximum"), [(pa.uint8(), 255), (pa.uint16(), 65535), (pa.uint32(), 2**32 - 1)]
)
def test_unsigned_values_survive(unsigned: pa.DataType, maximum: int) -> None:
    column = pa.array([maximum], unsigned)
    assert column.cast(delta_type(unsigned)).to_pylist() == [maximum]


def test_timestamps_become_microseconds_utc() -> None:
    assert delta_type(pa.timestamp("ns", tz="Europe/Paris")) == pa.timestamp("us", tz="UTC")
    assert delta_type(pa.timestamp("ns")) == pa.timestamp("us")


@given(st.sampled_from(PRIMITIVES), st.sampled_from(PRIMITIVES))
def test_compatibility_is_refused_only_for_real_changes(a: pa.DataType, b: pa.DataType) -> None:
    existing = pa.schema([pa.field("x", delta_type(a))])
    incoming = pa.schema([pa.field("x", b)])
    try:
        result = check_compatible("t", existing, incoming)
    except SchemaMismatchError as exc:
        assert exc.fields["column"] == "x"
        assert exc.fields["expected"] == str(delta_type(a))
        assert delta_type(b) != delta_type(a)
    else:
        assert result.field("x").type == delta_type(a)


def test_missing_and_new_columns() -> None:
    existing = pa.schema([pa.field("a", pa.int64()), pa.field("b", pa.string())])
    result = check_compatible(
        "t", existing, pa.schema([pa.field("a", pa.int64()), pa.field("c", pa.float64())])
    )
    assert result.names == ["a", "b", "c"]


def test_to_reader_accepts_common_frames() -> None:
    import pandas as pd
    import polars as pl

    for data in (
        pa.table({"a": [1]}),
        pd.DataFrame({"a": [1]}),
        pl.DataFrame({"a": [1]}),
        [{"a": 1}],
        pa.record_batch({"a": [1]}),
    ):
        assert to_reader(data).read_all().column("a").to_pylist() == [1]
    with pytest.raises(InvalidInputError, match="cannot write data of type"):
        to_reader(object())
    with pytest.raises(InvalidInputError, match="empty list"):
        to_reader([])
