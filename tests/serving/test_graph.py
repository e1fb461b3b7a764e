"""Lineage from any node (``serving.lineage``): runs, model versions, feature views,
endpoints and predictions, walked up and downstream, with the bad starts refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import lakeworks as lw
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.features import Entity, FeatureService, FeatureView

WRITTEN = "data:rows written by root"  # what the table graph names rows handed to a write


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lw.Workspace]:
    """raw -> train (SQL); churn/1 trained in a run that read train@v0, served by
    ``churn_api``; churn/2 with no run; a feature view over ``trips``."""
    home = tmp_path_factory.mktemp("graph") / "lw"
    ws = lw.connect(home=home, progress=False, serving_log_flush_interval=0.02)
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"age": rng.integers(18, 80, 200), "income": rng.normal(50, 15, 200)})
    ws.write("raw", frame)
    ws.sql("create table train as select age, income from raw")
    with ws.start_run(name="fit") as run:
        data = ws.read("train", format="pandas")
        model = LogisticRegression(max_iter=300).fit(data, (data.income > 50).astype("int64"))
    ws.models.register("churn", model=model, training_data=frame, run_id=run.id)
    ws.models.register("churn", model=model, training_data=frame)
    ws.endpoints.deploy("churn_api", model="churn/1")
    now = datetime.now(UTC)
    ws.write("trips", [{"rider_id": i, "ts": now - timedelta(minutes=i), "n": i} for i in range(5)])
    ws.features.apply([
        Entity("rider", join_keys=["rider_id"]),
        FeatureView("rider_stats", entity="rider", timestamp="ts", features=["n"], source="trips"),
        FeatureService("rider_features", ["rider_stats:n"]),
    ])  # fmt: skip
    ws.endpoints.deploy("rider_api", model="churn/2", features="rider_features")
    entities = [{"rider_id": 1, "at": now}]
    with ws.start_run(name="features") as built:
        ws.features.training_set(entities, ["rider_stats:n"], point_in_time="event")
    ws.run_id, ws.built_id = run.id, built.id  # type: ignore[attr-defined]
    yield ws
    ws.platform.close()


def graph(ws: lw.Workspace, node: str, depth: int = 3) -> set[tuple[str, str]]:
    found = ws.platform.serving.lineage(ws.ctx, node, depth)
    return {(link.source, link.target) for link in found.links}


def test_a_prediction_traces_its_chain_to_the_tables(ws: lw.Workspace) -> None:
    answer = ws.endpoints.predict("churn_api", [{"age": 33, "income": 72.5}])
    run = f"run:{ws.run_id}"
    start = f"prediction:{answer.request_id}"
    found = ws.platform.serving.lineage(ws.ctx, start, 5)
    edges = {(link.source, link.target) for link in found.links}
    assert edges == {
        ("endpoint:churn_api", start),
        ("model:churn/1", "endpoint:churn_api"),
        (run, "model:churn/1"),
        ("table:train", run),
        ("table:raw", "table:train"),
        (WRITTEN, "table:raw"),
    }
    by_pair = {(link.source, link.target): link for link in found.links}
    assert by_pair[("endpoint:churn_api", start)].runs[0]["operation"] == "answered with config v1"
    assert by_pair[("table:train", run)].runs[0]["operation"] == "read train@v0"
    assert found.nodes()[0] == start


def test_a_run_model_and_endpoint_walk_both_ways(ws: lw.Workspace) -> None:
    run = f"run:{ws.run_id}"
    chain = {(WRITTEN, "table:raw"), ("table:raw", "table:train"), ("table:train", run),
             (run, "model:churn/1"), ("model:churn/1", "endpoint:churn_api")}  # fmt: skip
    assert graph(ws, run) == chain
    assert graph(ws, "model:churn/1", depth=4) == chain
    assert graph(ws, "endpoint:churn_api", depth=5) == chain
    assert graph(ws, "endpoint:churn_api", depth=4) == chain - {(WRITTEN, "table:raw")}
    near = {(run, "model:churn/1"), ("model:churn/1", "endpoint:churn_api")}
    assert graph(ws, "model:churn/1", depth=1) == near
    served = {("model:churn/2", "endpoint:rider_api"), ("view:rider_stats", "endpoint:rider_api")}
    assert graph(ws, "model:churn/2") == {("model:churn/2", "endpoint:rider_api")}  # no run
    assert graph(ws, "endpoint:rider_api", depth=1) == served
    assert ws.lineage.around(run).to_dict()["root"] == run  # the SDK's door


def test_a_table_walks_on_through_its_readers_runs_within_depth(ws: lw.Workspace) -> None:
    run = f"run:{ws.run_id}"
    up = {(WRITTEN, "table:raw"), ("table:raw", "table:train")}
    served = {("table:train", run), (run, "model:churn/1"), ("model:churn/1", "endpoint:churn_api")}
    assert graph(ws, "table:train") == up | served  # run -> model -> endpoint, as from a run
    assert graph(ws, "table:train", depth=2) == up | served - {
        ("model:churn/1", "endpoint:churn_api")
    }
    assert graph(ws, "table:train", depth=1) == {("table:raw", "table:train"), ("table:train", run)}
    # from raw the run is two hops away: one step left for its model, none for the endpoint
    assert graph(ws, "table:raw", depth=3) == up | served - {
        ("model:churn/1", "endpoint:churn_api")
    }
    assert graph(ws, "table:raw", depth=2) == up | {("table:train", run)}
    found = ws.lineage.around("table:train")
    assert found.nodes()[0] == "table:train" and "endpoint:churn_api" in found.nodes()


def test_a_feature_view_and_its_table(ws: lw.Workspace) -> None:
    built = f"run:{ws.built_id}"
    made = {(WRITTEN, "table:trips"), ("table:trips", "view:rider_stats")}
    readers = {("view:rider_stats", built), ("view:rider_stats", "endpoint:rider_api")}
    assert graph(ws, "view:rider_stats") == made | readers
    assert graph(ws, "table:trips") == made | {("table:trips", built)}  # the run read trips
    assert graph(ws, built, depth=1) == {("view:rider_stats", built), ("table:trips", built)}
    found = ws.platform.serving.lineage(ws.ctx, "view:rider_stats", 1)
    assert found.to_dict()["edges"][-1]["runs"][0]["operation"] == "training set rider_stats@v1"


@pytest.mark.parametrize(
    ("node", "error", "message"),
    [
        ("nope", InvalidInputError, "expected <kind>:<name> with kind one of table, run"),
        ("job:x", InvalidInputError, "invalid lineage node 'job:x'"),
        ("model:churn", InvalidInputError, "invalid model version 'churn'.*<model>/<version>"),
        ("model:churn/9", NotFoundError, "churn"),
        ("run:0123456789abcdef0123456789abcdef", NotFoundError, "0123456789abcdef"),
        ("endpoint:nope", NotFoundError, "nope"),
        ("view:nope", NotFoundError, "nope"),
        ("table:nope", NotFoundError, "nope"),
        ("prediction:nope", NotFoundError, "request id 'nope'"),
    ],
)
def test_bad_starts_name_the_node(ws: lw.Workspace, node: str, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        ws.platform.serving.lineage(ws.ctx, node)


def test_depth_out_of_range(ws: lw.Workspace) -> None:
    with pytest.raises(InvalidInputError, match="invalid lineage depth 0: expected 1 to 50"):
        ws.platform.serving.lineage(ws.ctx, "model:churn/1", 0)
