"""The lineage page from any node, in Chromium: the links on the run, model version,
feature view and endpoint pages open it; a prediction id shows its chain back to the
table the model was trained on; nodes of every kind expand; bad starts are error pages."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from tests.ui import seeds
from tests.ui.browser import Browser

NODES = "return lwLineage.nodes().map(n => n.id()).sort()"
EDGES = "return lwLineage.edges().map(e => e.id()).sort()"
READY = "return document.body.dataset.graphReady"


@pytest.fixture(scope="module")
def seed(home: Path) -> None:
    """raw -> train (SQL); a run ``fit`` that read train; churn/1 from that run served by
    ``churn_api`` and answering one request; feature view ``rider_stats`` over ``trips``."""
    ws = seeds.workspace(home)
    try:
        rng = np.random.default_rng(2)
        frame = pd.DataFrame({"age": rng.integers(18, 80, 100), "income": rng.normal(50, 9, 100)})
        ws.write("raw", frame)
        ws.sql("create table train as select age, income from raw")
        with ws.start_run(name="fit") as run:
            data = ws.read("train", format="pandas")
            model = LogisticRegression().fit(data, (data.income > 50).astype("int64"))
        ws.models.register("churn", model=model, training_data=frame, run_id=run.id)
        ws.endpoints.deploy("churn_api", model="churn/1")
        answer = ws.endpoints.predict("churn_api", [{"age": 40, "income": 61.0}])
        seeds.features(ws)
        made = {"run": run.id, "request": answer.request_id}
        (home.parent / "made.json").write_text(json.dumps(made))
    finally:
        ws.platform.close()


@pytest.fixture(scope="module")
def made(home: Path, seed: None) -> dict[str, str]:
    return json.loads((home.parent / "made.json").read_text())


def graph(browser: Browser) -> tuple[list[str], list[str]]:
    browser.wait_until(lambda d: d.execute_script(READY))
    return browser.driver.execute_script(NODES), browser.driver.execute_script(EDGES)


@pytest.mark.parametrize(
    ("page", "link", "start", "expected"),
    [
        ("runs/{run}", "#run-lineage", "run:{run}",
         ["model:churn/1", "run:{run}", "table:raw", "table:train"]),
        ("models/churn?version=1", "#version-lineage", "model:churn/1",
         ["endpoint:churn_api", "model:churn/1", "run:{run}", "table:train"]),
        ("features/view/rider_stats", "#view-lineage", "view:rider_stats",
         ["table:trips", "view:rider_stats"]),
        ("endpoints/churn_api", "#endpoint-lineage", "endpoint:churn_api",
         ["endpoint:churn_api", "model:churn/1", "run:{run}", "table:train"]),
    ],
)  # fmt: skip
def test_object_pages_link_to_their_lineage(
    browser: Browser, made: dict[str, str], page: str, link: str, start: str, expected: list[str]
) -> None:
    browser.open(f"/w/default/{page.format(**made)}")
    browser.find(link).click()
    start = start.format(**made)
    browser.wait_until(lambda d: f"node={start.replace(':', '%3A')}" in d.current_url
                       or f"node={start}" in d.current_url)  # fmt: skip
    nodes, _ = graph(browser)
    assert set(e.format(**made) for e in expected) <= set(nodes), nodes
    root = browser.driver.execute_script("return lwLineage.$('node.root').map(n => n.id())")
    assert root == [start]
    browser.check(f"lineage-from-{start.split(':')[0]}")


def test_a_prediction_shows_its_chain(browser: Browser, made: dict[str, str]) -> None:
    browser.open("/w/default/endpoints/churn_api")
    field = browser.find("#prediction-id")
    field.clear()
    field.send_keys(f"prediction:{made['request']}")
    browser.find("#prediction-id ~ button").click()
    browser.wait_text("h1", made["request"])
    nodes, edges = graph(browser)
    run, request = f"run:{made['run']}", f"prediction:{made['request']}"
    chain = [("endpoint:churn_api", request), ("model:churn/1", "endpoint:churn_api"),
             (run, "model:churn/1"), ("table:train", run),
             ("table:raw", "table:train")]  # fmt: skip
    assert {f"{s}|{t}" for s, t in chain} <= set(edges), edges
    browser.driver.execute_script(f"lwLineage.$id('endpoint:churn_api|{request}').select()")
    browser.wait_text("#lineage-detail", "answered with config v1")
    browser.check("lineage-prediction")


def test_a_model_node_expands_downstream(browser: Browser, made: dict[str, str]) -> None:
    browser.open(f"/w/default/lineage?node=run:{made['run']}&depth=1")
    nodes, _ = graph(browser)
    assert "endpoint:churn_api" not in nodes
    browser.driver.execute_script("lwLineage.$id('model:churn/1').select()")
    browser.wait_text("#lineage-detail", "Expand downstream")
    browser.find("#expand-down").click()
    browser.wait_until(lambda d: "endpoint:churn_api" in d.execute_script(NODES))
    browser.check("lineage-model-expanded")


def test_a_table_start_keeps_its_url_and_shows_views(browser: Browser) -> None:
    browser.open("/w/default/lineage/trips")
    nodes, _ = graph(browser)
    assert "view:rider_stats" in nodes


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/w/default/lineage?node=job:x", "422", "invalid lineage node 'job:x'"),
        ("/w/default/lineage?node=model:churn", "422", "invalid model version 'churn'"),
        ("/w/default/lineage?node=model:churn/7", "404", "churn"),
        ("/w/default/lineage?node=endpoint:nope", "404", "nope"),
        ("/w/default/lineage?node=prediction:nope", "404", "request id 'nope'"),
    ],
)
def test_bad_starts_are_error_pages(browser: Browser, path: str, status: str, text: str) -> None:
    browser.open(path)
    assert status in browser.find("h1").text
    assert text in browser.find("main").text
    browser.console_errors()  # the error status itself is logged; drain it
