"""Data the UI tests make through the SDK, before their server starts."""

from __future__ import annotations

from pathlib import Path

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.quality import checks as qc

ORDERS_CSV = "id,status,amount\n1,paid,10\n2,bogus,20\n3,paid,-5\n4,open,\n5,paid,30\n"


def workspace(home: Path) -> lw.Workspace:
    """The SDK on ``home``, in the default workspace; close with ``ws.platform.close()``."""
    return lw.connect(settings=Settings.load(home=home, progress=False), user="tester")


def orders(ws: lw.Workspace, folder: Path) -> None:
    """``orders`` with checks, two versions, a load that quarantined two rows, a failing
    check run; ``big_orders`` made from it by SQL (so lineage has an edge)."""
    ws.write("orders", [{"id": 0, "status": "paid", "amount": 1.0}])
    ws.quality.add(
        "orders",
        [
            qc.accepted_values("status", ["paid", "open"]),
            qc.between("amount", 0, 100),
            qc.not_null("amount", severity="warn"),
        ],
    )
    path = folder / "orders.csv"
    path.write_text(ORDERS_CSV)
    ws.ingest(str(path), "orders", progress=False)
    ws.sql("create table big_orders as select id, amount from orders where amount > 5")
