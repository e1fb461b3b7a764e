"""The quickstart's streams step: a short simulated click stream lands in a table
exactly once (a bad event quarantined) and feeds a windowed feature, read online before
and after more clicks arrive."""

from __future__ import annotations

import time

import lakeworks as lw
from lakeworks.features import Agg, Entity, StreamFeatureView, Window
from lakeworks.quickstart.show import console

VIEW = StreamFeatureView(
    "page_views_10m",
    entity="visitor",
    stream="clicks",
    timestamp="ts",
    window=Window.sliding("10m"),
    allowed_lateness="1m",
    features=[Agg("views", "count"), Agg("pages", "distinct_count", "page")],
    description="page views per visitor over the last 10 minutes (quickstart)",
)


def clicks(visitor: int, pages: list[str]) -> list[dict]:
    now = time.time()
    return [{"visitor_id": visitor, "page": p, "ts": now} for p in pages]


def main(ws: lw.Workspace) -> None:
    """Step 12 of the quickstart."""
    console.rule("12. streams: events -> table and windowed features")
    ws.features.apply([Entity("visitor", join_keys=["visitor_id"]), VIEW])
    first = clicks(7, ["/", "/pricing", "/docs", "/pricing"]) + clicks(9, ["/"])
    ws.streams.publish("clicks", [*first, "not json {"])
    landed = ws.streams.ingest("clicks", table="clicks", once=True, required=["visitor_id"])
    console.print(
        f"stream clicks -> table clicks: {landed.events} events, written {landed.written}, "
        f"quarantined {landed.quarantined} (exactly once: a second ingest adds nothing)"
    )
    _online(ws, "before")
    ws.streams.publish("clicks", clicks(7, ["/signup", "/docs", "/welcome"]))
    _online(ws, "after 3 more clicks")


def _online(ws: lw.Workspace, when: str) -> None:
    ws.streams.run_features(VIEW.name, once=True)
    got = ws.features.online(_refs(), [{"visitor_id": 7}])
    value = got.values[0]
    console.print(
        f"online {VIEW.name}, visitor 7, {when}: {value['views']} views of {value['pages']} pages"
    )


def _refs() -> list[str]:
    return [f"{VIEW.name}:{a.name}" for a in VIEW.features]
