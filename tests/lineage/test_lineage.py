"""Lineage of SQL writes (table and column level), loads, time travel, pipeline tasks, and
OpenLineage events checked against the OpenLineage schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.lineage import running

SCHEMA = json.loads((Path(__file__).parent / "openlineage_schema.json").read_text())


def events(settings: Settings) -> list[dict]:
    path = settings.home / "lineage" / "openlineage.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture
def penguins(ws: lw.Workspace) -> lw.Workspace:
    ws.write("penguins", [{"island": "Dream", "mass": 3000.0, "year": 2007}])
    ws.write("penguins", [{"island": "Biscoe", "mass": 5000.0, "year": 2008}])
    return ws


def test_a_sql_write_records_table_versions_and_columns(penguins: lw.Workspace) -> None:
    penguins.sql(
        "create table counts as select island, count(*) as n, avg(mass) as mass "
        "from penguins group by island"
    )
    (edge,) = penguins.lineage("counts").upstream[:1]
    assert (edge.source.name, edge.source.version, edge.target.version) == ("penguins", 1, 0)
    assert edge.kind == "sql" and edge.job == "default.sql.counts" and "group by" in edge.sql
    assert edge.columns == {"island": ["island"], "mass": ["mass"]}  # n = count(*): no column
    downstream = penguins.lineage("penguins").downstream
    assert [(str(e.source), str(e.target)) for e in downstream] == [
        ("penguins@v0", "penguins@v1"),  # an append holds the version before it
        ("penguins@v1", "counts@v0"),
    ]


def test_time_travel_reads_are_recorded_at_their_version(penguins: lw.Workspace) -> None:
    penguins.sql(
        "create table old_and_new as select a.island "
        "from penguins@v0 a join penguins b using (year)"
    )
    sources = {
        (e.source.name, e.source.version) for e in penguins.lineage("old_and_new", depth=1).upstream
    }
    assert sources == {("penguins", 0), ("penguins", 1)}


def test_upstream_follows_versions_and_loads_back_to_files(
    ws: lw.Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "birds.csv"
    path.write_text("island,mass\nDream,3000\n")
    ws.ingest(str(path), "birds", progress=False)
    ws.sql("create table heavy as select * from birds where mass > 1000")
    ws.sql("create table heavier as select island from heavy")
    up = ws.lineage("heavier").upstream
    assert [str(e.source) for e in up] == ["heavy@v0", "birds@v0", str(path)]
    assert up[-1].source.kind == "file" and up[-1].kind == "load"
    assert {e.target.name for e in ws.lineage("birds").downstream} == {"heavy", "heavier"}
    assert ws.lineage("heavier", version=0).to_dict()["upstream"][0]["source"]["name"] == "heavy"


def test_appends_chain_to_the_previous_version(penguins: lw.Workspace) -> None:
    up = penguins.lineage("penguins", version=1).upstream
    assert {str(e.source) for e in up} == {"penguins@v0", "rows written by tester"}


def test_pipeline_tasks_mark_their_writes_and_reads(penguins: lw.Workspace) -> None:
    with running(pipeline="daily", run_id=7, task="summarise"):
        data = penguins.read("penguins", version=0)
        penguins.write("summary", data)
    (edge,) = [e for e in penguins.lineage("summary").upstream if e.source.kind == "table"]
    assert (edge.pipeline, edge.pipeline_run_id, edge.task) == ("daily", 7, "summarise")
    assert str(edge.source) == "penguins@v0" and edge.job == "default.daily.summarise"


def test_openlineage_events_follow_the_schema(penguins: lw.Workspace, settings: Settings) -> None:
    penguins.sql("create table counts as select island, count(*) as n from penguins group by 1")
    emitted = events(settings)
    for event in emitted:
        jsonschema.validate(event, SCHEMA)
    last = [e for e in emitted if e["job"]["name"] == "default.sql.counts"]
    assert [e["eventType"] for e in last] == ["START", "COMPLETE"]
    assert last[0]["run"]["runId"] == last[1]["run"]["runId"]
    (source,) = last[1]["inputs"]
    assert source["name"] == "default.penguins" and source["namespace"] == "lakeworks"
    fields = {f["name"]: f["type"] for f in source["facets"]["schema"]["fields"]}
    assert fields == {"island": "string", "mass": "double", "year": "int64"}
    output = last[1]["outputs"][0]
    assert [f["name"] for f in output["facets"]["schema"]["fields"]] == ["island", "n"]
    assert last[1]["job"]["facets"]["sql"]["query"].startswith("select island")


def test_a_failed_write_emits_fail(penguins: lw.Workspace, settings: Settings) -> None:
    with pytest.raises(lw.LakeworksError):
        penguins.write("penguins", [{"island": 1}])
    fail = events(settings)[-1]
    assert fail["eventType"] == "FAIL" and "errorMessage" in fail["run"]["facets"]
    jsonschema.validate(fail, SCHEMA)


def test_pipeline_runs_are_the_parent_run(penguins: lw.Workspace, settings: Settings) -> None:
    with running(pipeline="daily", run_id=7, task="t"):
        penguins.write("out", [{"x": 1}])
    parent = events(settings)[-1]["run"]["facets"]["parent"]
    assert (parent["job"]["namespace"], parent["job"]["name"]) == ("lakeworks", "default.daily")


def test_no_transport_records_lineage_but_emits_nothing(tmp_path: Path) -> None:
    settings = Settings.load(home=tmp_path / "lw", progress=False, lineage_transport="none")
    ws = lw.connect(settings=settings)
    ws.write("a", [{"x": 1}])
    ws.sql("create table b as select * from a")
    assert [str(e.source) for e in ws.lineage("b").upstream][0] == "a@v0"
    assert not (settings.home / "lineage").exists()
    ws.platform.close()
