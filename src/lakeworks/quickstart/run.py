"""The quickstart: ingest, quarantine, SQL, history and time travel, quality, features,
pipelines, then training, tuning and the model registry (``ml.py``), streams
(``streams.py``), an endpoint with a canary and an automatic rollback (``endpoints.py``),
one prediction traced back to its training data (``trace.py``), then serve."""

from __future__ import annotations

import warnings
from pathlib import Path

from rich.table import Table

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.features.coverage import AsKnownAtWarning
from lakeworks.quickstart import endpoints, ml, streams, trace
from lakeworks.quickstart.show import console
from lakeworks.quickstart.show import show as _show

DATA = Path(__file__).parent / "data"


def main(
    serve: bool = True, home: str | None = None, host: str | None = None, port: int | None = None
) -> None:
    """Run the quickstart in workspace ``quickstart`` under ``home`` (default ./.lakeworks)."""
    settings = Settings.load(home=home, host=host, port=port)
    ws = lw.connect("quickstart", settings=settings)
    console.rule("[bold]lakeworks quickstart")
    console.print(f"workspace [bold]{ws.name}[/] in {settings.home.resolve()}")
    _ingest(ws)
    _query(ws)
    _travel(ws)
    _quality(ws)
    _features(ws)
    _pipeline(ws)
    ml.main(ws)
    streams.main(ws)
    endpoints.main(ws)
    trace.main(ws)
    if serve:
        _serve(settings)
    ws.platform.close()


def _ingest(ws: lw.Workspace) -> None:
    console.rule("1. ingest")
    for name in ("penguins.csv", "penguins_2010.csv"):
        result = ws.ingest(str(DATA / name), table="penguins", progress=False)
        console.print(
            f"{name}: {result.status}: read {result.rows_read}, written "
            f"{result.rows_written}, quarantined {result.rows_quarantined}"
            + (f" (version {result.version})" if result.version is not None else "")
        )
    if "penguins__quarantine" in {t.name for t in ws.tables()}:
        _show(
            "quarantined rows (kept, never dropped)",
            ws.sql(
                "select line, raw_record, reason from penguins__quarantine order by line"
            ).arrow(),
        )


def _query(ws: lw.Workspace) -> None:
    console.rule("2. SQL")
    _show(
        "average body mass by species",
        ws.sql(
            "select species, count(*) as penguins, round(avg(body_mass_g)) as avg_mass_g "
            "from penguins group by species order by species"
        ).arrow(),
    )
    result = ws.sql(
        "create or replace table island_counts as "
        "select island, year, count(*) as n from penguins group by all"
    )
    console.print(
        f"CREATE TABLE island_counts AS SELECT ...: version {result.version}, {result.rows} rows"
    )


def _travel(ws: lw.Workspace) -> None:
    console.rule("3. history and time travel")
    history = Table("version", "when", "operation", "user", "rows added")
    for h in ws.history("penguins"):
        history.add_row(
            str(h.version),
            h.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
            h.operation,
            h.user or "",
            str(h.rows_added if h.rows_added is not None else ""),
        )
    console.print(history)
    then = ws.sql("select count(*) from penguins@v0").fetchall()[0][0]
    now = ws.sql("select count(*) from penguins").fetchall()[0][0]
    console.print(f"penguins@v0 has {then} rows; the latest version has {now}")


def _quality(ws: lw.Workspace) -> None:
    from lakeworks.cli.lineage import render
    from lakeworks.quality import checks as qc

    console.rule("4. quality gates and lineage")
    if not ws.quality.list("penguins"):
        ws.quality.add(
            "penguins",
            [
                qc.not_null("species"),
                qc.accepted_values("island", ["Biscoe", "Dream", "Torgersen"]),
                qc.between("body_mass_g", 2500, 6500),
                qc.row_count(min=300),
                qc.mean("flipper_length_mm", 180, 220, severity="warn"),
            ],
        )
    console.print(ws.quality.run("penguins").summary(), markup=False)
    arrivals = [
        {"species": "Adelie", "island": "Atlantis", "body_mass_g": 3800, "year": 2011},
        {"species": "Gentoo", "island": "Biscoe", "body_mass_g": 9999, "year": 2011},
    ]
    written = ws.write("penguins", arrivals)
    held = written.metrics.get("rows_quarantined_by_checks", 0)
    console.print(f"wrote 2 new penguins: {written.rows} landed, {held} held by failing checks")
    _show(
        "rows held by checks (fix them, then `lakeworks quality reload penguins`)",
        ws.sql(
            "select raw_record, reason from penguins__quarantine "
            "where reason like 'check:%' order by quarantined_at desc limit 2"
        ).arrow(),
    )
    console.print("lineage of island_counts:")
    console.print(render(ws.lineage("island_counts", depth=3)))


def _features(ws: lw.Workspace) -> None:
    from lakeworks.features import Entity, FeatureView

    console.rule("5. feature store")
    island = Entity("island", join_keys=["island"], description="an island of the archipelago")
    stats = FeatureView("island_stats", entity=island, **_ISLAND_STATS)
    # the same history, declared: yearly stats are published a month after the year ends
    yearly = FeatureView("island_yearly", entity=island, available_after="30d", **_ISLAND_STATS)
    console.print(str(ws.features.apply([island, stats, yearly])), markup=False)
    entities = ws.sql(
        "select distinct island, make_timestamptz(year, 6, 30, 0, 0, 0) as at from penguins "
        "where year > 2007 and island is not null order by all limit 4"
    ).arrow()
    features = ["island_stats:avg_mass_g", "island_stats:penguins"]
    by_event = ws.features.training_set(entities, features, point_in_time="event")
    _show("training set, event time: each island's stats of the year before", by_event.arrow())
    with warnings.catch_warnings():  # shown below, with the counts
        warnings.simplefilter("ignore", AsKnownAtWarning)
        known = ws.features.training_set(entities, features)
    [report] = known.coverage
    console.print(
        f"as known at each row's time (the default): {report.with_value} of {report.rows} "
        f"rows have a value, {report.not_yet_known} not yet known: lakeworks learned this "
        "history today (a backfill), not in 2008",
        markup=False,
    )
    for text in known.warnings:
        console.print(f"warning: {text}", markup=False, style="yellow")
    declared = ws.features.training_set(entities, ["island_yearly:avg_mass_g"])
    console.print(
        f"island_yearly declares available_after='30d' (published a month after the year): "
        f"{declared.coverage[0].with_value} of {declared.coverage[0].rows} rows have a value",
        markup=False,
    )
    done = ws.features.materialize("island_stats")
    console.print(f"materialized island_stats: {done.rows} islands into the online store")
    online = ws.features.online(features, [{"island": "Biscoe"}, {"island": "Atlantis"}])
    for row, values, status in zip(
        ("Biscoe", "Atlantis"), online.values, online.status, strict=True
    ):
        console.print(f"online {row}: {values} {set(status.values())}", markup=False)


_ISLAND_STATS = {
    "timestamp": "ts",
    "features": ["avg_mass_g", "avg_flipper_mm", "penguins"],
    "source": "select island, make_timestamptz(year, 12, 31, 0, 0, 0) as ts, "
    "round(avg(body_mass_g)) as avg_mass_g, round(avg(flipper_length_mm), 1) as "
    "avg_flipper_mm, count(*) as penguins, max(_lw_known_at) as _lw_known_at "
    "from penguins group by island, year",
    "description": "per island and year: average body mass and flipper length",
    "owner": "quickstart",
}


def _pipeline(ws: lw.Workspace) -> None:
    from lakeworks.cli.pipelines import print_tasks
    from lakeworks.quickstart import pipeline

    console.rule("6. pipelines")
    [info] = ws.pipelines.register(pipeline)
    console.print(
        f"registered pipeline {info.name} ({info.schedule}): ingest -> species_stats; "
        "`lakeworks server` or `lakeworks scheduler` runs it every day"
    )
    run = ws.pipelines.run(info.name)
    print_tasks(run)
    console.print(f"pipeline run {run.id} {run.state}")
    _show("species_stats, written by the pipeline", ws.sql("select * from species_stats").arrow())


def _serve(settings: Settings) -> None:
    import uvicorn

    from lakeworks.server.app import create_app

    console.rule("15. serve")
    console.print(
        f"API on http://{settings.host}:{settings.port}  (docs at /docs, "
        "metrics at /metrics; Ctrl-C to stop)"
    )
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
