from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

import lakeworks as lw

NOW = datetime.now(UTC)


def orders_rows() -> list[dict]:
    return [
        {
            "id": i,
            "customer": i % 3,
            "status": ["paid", "open", "void"][i % 3],
            "amount": float(i * 10),
            "email": f"user{i}@example.com",
            "code": "AB" + str(i),
            "day": date(2026, 1, 1) + timedelta(days=i),
            "at": NOW - timedelta(hours=i),
            "empty": None,
        }
        for i in range(10)
    ]


@pytest.fixture
def orders(ws: lw.Workspace) -> lw.Workspace:
    """``orders`` (10 clean rows; ``empty`` is all null) and ``customers`` (ids 0-2)."""
    import pyarrow as pa

    data = pa.Table.from_pylist(orders_rows())
    data = data.set_column(8, "empty", pa.array([None] * 10, pa.float64()))
    ws.write("orders", data)
    ws.write("customers", [{"id": i, "name": f"c{i}"} for i in range(3)])
    return ws
