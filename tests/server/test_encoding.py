from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pyarrow as pa
import pytest

from lakeworks.server.encoding import jsonable, row_lists


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (True, True),
        (3, 3),
        (1.5, 1.5),
        (float("nan"), None),
        (float("-inf"), None),
        ("text", "text"),
        (dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "2026-01-02T03:04:05+00:00"),
        (dt.date(2026, 1, 2), "2026-01-02"),
        (dt.time(3, 4, 5), "03:04:05"),
        (dt.timedelta(minutes=1, microseconds=5), 60.000005),
        (Decimal("12.340"), "12.340"),
        (Decimal("NaN"), None),
        (b"\x00\xff", "AP8="),
        ([1, float("nan")], [1, None]),
        ({"a": {"b": Decimal("1")}}, {"a": {"b": "1"}}),
        ([("k", 1)], {"k": 1}),
    ],
)
def test_jsonable(value: object, expected: object) -> None:
    assert jsonable(value) == expected
    json.dumps(jsonable(value), allow_nan=False)


def test_row_lists_keeps_column_order_across_batches() -> None:
    table = pa.table({"b": [1, 2, 3], "a": ["x", None, "z"]})
    batches = table.to_batches(max_chunksize=2)
    assert len(batches) == 2
    assert list(row_lists(iter(batches))) == [[1, "x"], [2, None], [3, "z"]]
