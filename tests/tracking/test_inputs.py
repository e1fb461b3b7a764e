"""A run records the tables and training sets it read; lineage shows table@version -> run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import lakeworks as lw
from lakeworks.tracking.records import RunInput


def test_table_reads_inside_a_run_are_its_inputs(ws: lw.Workspace) -> None:
    ws.write("customers", [{"id": 1, "churned": False}, {"id": 2, "churned": True}])
    ws.write("customers", [{"id": 3, "churned": False}])  # version 1
    ws.read("customers", version=0)  # outside any run: not recorded
    with ws.start_run("churn") as run:
        ws.read("customers")
        ws.read("customers")  # recorded once
        ws.sql("select count(*) from customers@v0").arrow()
    inputs = ws.platform.tracking.list_inputs(ws.ctx, run.id)
    assert inputs == [
        RunInput("table", "customers", "default", 1),
        RunInput("table", "customers", "default", 0),
    ]
    graph = ws.lineage("customers", version=1)
    runs = [e for e in graph.downstream if e.target.kind == "run"]
    assert [(str(e.source), e.target.name, e.job) for e in runs] == [
        ("customers@v1", run.id, "experiment:churn")
    ]
    assert runs[0].to_dict()["target"] == {"kind": "run", "name": run.id, "version": None}
    assert len([e for e in ws.lineage("customers").downstream if e.target.kind == "run"]) == 2


def test_training_set_inside_a_run_is_recorded(ws: lw.Workspace) -> None:
    from lakeworks.features import Entity, FeatureView

    past = datetime(2020, 1, 1, tzinfo=UTC)
    ws.write("rider_events", [{"rider_id": 1, "ts": past, "trips": 5}])
    view = FeatureView(
        "rider_trips", entity="rider", timestamp="ts", features=["trips"], source="rider_events"
    )
    ws.features.apply([Entity("rider", join_keys=["rider_id"]), view])
    entities = [{"rider_id": 1, "at": past + timedelta(days=30)}]
    with ws.start_run("fs") as run:
        ws.features.training_set(entities, ["rider_trips:trips"], point_in_time="event")
    inputs = ws.platform.tracking.list_inputs(ws.ctx, run.id)
    assert {(i.kind, i.name, i.version) for i in inputs} == {
        ("training_set", "rider_trips@v1", None),
        ("table", "rider_events", 0),
    }
    detail = next(i.detail for i in inputs if i.kind == "training_set")
    assert detail == {
        "views": {"rider_trips": 1},
        "features": ["trips"],
        "tables": [["rider_events", 0]],
    }


def test_explicit_input(ws: lw.Workspace) -> None:
    with ws.start_run("x") as run:
        run.log_input(RunInput("dataset", "s3://bucket/file.csv", detail={"rows": 3}))
        run.log_input(RunInput("dataset", "s3://bucket/file.csv", detail={"rows": 3}))
    [only] = ws.platform.tracking.list_inputs(ws.ctx, run.id)
    assert only == RunInput("dataset", "s3://bucket/file.csv", "default", None, {"rows": 3})


def test_a_finished_run_that_read_tables_is_an_openlineage_event(ws: lw.Workspace) -> None:
    import json

    ws.write("customers", [{"id": 1}])
    with ws.start_run("churn") as run:
        ws.read("customers")
    with ws.start_run("churn"):
        pass  # read nothing: no event
    path = ws.platform.settings.home / "lineage" / "openlineage.jsonl"
    events = [json.loads(line) for line in path.read_text().splitlines()]
    runs = [e for e in events if e["job"]["name"] == "default.experiment.churn"]
    assert len(runs) == 1
    [event] = runs
    assert event["eventType"] == "COMPLETE"
    assert event["run"]["runId"].replace("-", "") == run.id
    assert [i["name"] for i in event["inputs"]] == ["default.customers"]
    assert {f["name"] for f in event["inputs"][0]["facets"]["schema"]["fields"]} == {"id"}
