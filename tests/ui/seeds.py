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


PIPELINES = """
import time

from lakeworks.pipelines import Param, Pipeline

totals = Pipeline("totals", schedule="@daily", params={"n": Param(int, 2)})


@totals.task
def make(n):
    print("making", n)
    return list(range(n))


@totals.task
def total(make):
    if len(make) > 5:
        raise ValueError("too many")
    return sum(make)


slow = Pipeline("slow")


@slow.task
def wait(context):
    for _ in range(600):
        context.check_cancelled()
        time.sleep(0.05)


gated = Pipeline("gated")


@gated.task
def first():
    return 1


@gated.task
def needs_ready(context, first):
    return context.read("ready").num_rows
"""


def pipelines(ws: lw.Workspace) -> None:
    """``totals`` (a run that succeeded, one that failed), ``slow`` and ``gated`` (failed:
    its table ``ready`` is missing), registered from the workspace's code folder."""
    ctx = ws.ctx
    ws.platform.pipelines.register_code(ctx, "flows.py", PIPELINES)
    ws.platform.pipelines.run(ctx, "totals", {"n": 3})
    ws.platform.pipelines.run(ctx, "totals", {"n": 9})
    ws.platform.pipelines.run(ctx, "gated")


def chain(ws: lw.Workspace, folder: Path) -> None:
    """A file loaded into ``raw``; ``clean`` from ``raw`` and ``report`` from ``clean`` by SQL."""
    path = folder / "raw.csv"
    path.write_text("id,amount\n1,10\n2,20\n3,30\n")
    ws.ingest(str(path), "raw", progress=False)
    ws.sql("create table clean as select id, amount * 2 as doubled from raw")
    ws.sql("create table report as select sum(doubled) as total from clean")


def wide_lineage(ws: lw.Workspace, root: str, fanout: tuple[int, ...] = (10, 10, 9)) -> int:
    """Lineage records (not tables) of a tree under table ``root``: ``fanout[i]`` children
    per node at depth ``i``; (10, 10, 9) gives 1 + 10 + 100 + 900 = 1,011 tables."""
    from lakeworks.lineage.store import LineageStore, Node, RunRecord

    ws.write(root, [{"id": 1}])
    store = LineageStore(ws.platform.catalog)
    level, count = [root], 1
    for width in fanout:
        following = []
        for parent in level:
            for i in range(width):
                child = f"{parent}_{i}"
                source = (Node("table", parent, None), {"id": ["id"]})
                store.save(RunRecord("default", f"u-{child}", "sql", "sql", child, 0, "CREATE",
                                     "tester", [source]))  # fmt: skip
                following.append(child)
        level, count = following, count + len(following)
    return count


def features(ws: lw.Workspace) -> None:
    """Entity ``rider``; view ``rider_stats`` in two versions (``km`` added), materialized."""
    from datetime import UTC, datetime, timedelta

    from lakeworks.features import Entity, FeatureView

    now = datetime.now(UTC)
    rows = [{"rider_id": i % 5, "ts": now - timedelta(hours=i), "trips": i, "km": i * 1.5}
            for i in range(20)]  # fmt: skip
    ws.write("trips", rows)
    rider = Entity("rider", join_keys=["rider_id"])
    ttl = timedelta(days=2)
    first = FeatureView("rider_stats", entity="rider", timestamp="ts", features=["trips"],
                        source="trips", ttl=ttl)  # fmt: skip
    ws.features.apply([rider, first])
    second = FeatureView("rider_stats", entity="rider", timestamp="ts", features=["trips", "km"],
                         source="trips", ttl=ttl)  # fmt: skip
    ws.features.apply([rider, second])
    ws.features.materialize("rider_stats")
