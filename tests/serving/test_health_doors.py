"""Health policies and live metrics through every door: SDK, CLI and REST (and the
server's /metrics)."""

from __future__ import annotations

import json
import time

import pandas as pd
from fastapi.testclient import TestClient

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.platform import Platform
from lakeworks.server.app import create_app
from tests.cli.conftest import Cli
from tests.serving.conftest import _fit

ROW = {"age": 40, "income": 70.0}
MANAGE = "/api/v1/workspaces/default/endpoints"


def _register(home, frame: pd.DataFrame) -> None:  # noqa: ANN001
    platform = Platform.open(Settings.load(home=home, progress=False))
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    ctx = Context(workspace="default", user="tester")
    for flip in (False, True):
        platform.registry.register(ctx, "churn", model=_fit(frame, flip), training_data=frame)
    platform.close()


def test_sdk_health_metrics_and_watch(tmp_path, frame: pd.DataFrame) -> None:  # noqa: ANN001
    _register(tmp_path / "lw", frame)
    ws = lw.connect(home=tmp_path / "lw", progress=False)
    ws.endpoints.deploy("churn", model="churn/1", health={"error_rate": 0.05})
    ws.endpoints.predict("churn", [ROW, ROW])
    [live] = ws.endpoints.metrics("churn", window="10m").slots
    assert (live.stats.requests, live.stats.model) == (1, "churn/1")
    assert ws.endpoints.set_health("churn", {"p99_ms": 250}).health["p99_ms"] == 250
    with ws.endpoints.watch(interval=0.05) as watcher:
        assert watcher.interval == 0.05
    ws.platform.close()


def test_cli_health_and_metrics(cli: Cli, frame: pd.DataFrame) -> None:
    _register(cli.home, frame)
    health = json.dumps({"error_rate": 0.05, "window": "5m"})
    out = cli("endpoints", "deploy", "churn", "--model", "churn/1", "--health", health)
    assert out.exit_code == 0, out.output
    shown = cli("endpoints", "health", "churn")
    assert json.loads(shown.output)["window"] == 300
    out = cli("endpoints", "health", "churn", '{"p99_ms": 100}')
    assert out.exit_code == 0 and "set-health" in out.output
    bad = cli("endpoints", "health", "churn", '{"p99": 100}')
    assert bad.exit_code != 0 and "unknown health policy setting(s) ['p99']" in bad.output
    not_json = cli("endpoints", "health", "churn", "{p99")
    assert not_json.exit_code != 0 and "not JSON" in not_json.output
    canary = cli(
        "endpoints",
        "deploy",
        "churn",
        "--model",
        "churn/2",
        "--strategy",
        "canary",
        "--every",
        "1m",
    )
    assert canary.exit_code == 0, canary.output
    assert "no requests to churn" in cli("endpoints", "metrics", "churn").output
    shadow = cli("endpoints", "deploy", "churn", "--model", "churn/2", "--strategy", "shadow")
    assert shadow.exit_code == 0, shadow.output
    ws = lw.connect(home=cli.home, progress=False)
    ws.endpoints.predict("churn", [ROW, ROW])
    ws.platform.close()  # flushes its counts to the catalog
    table = cli("endpoints", "metrics", "churn").output
    assert "agreement" in table and "0.0% of 2" in table  # churn/2 answers the opposite
    assert cli("endpoints", "health", "churn", "--clear").exit_code == 0
    assert cli("endpoints", "health", "churn").output.strip() == "null"


def test_rest_health_metrics_and_prometheus(tmp_path, frame: pd.DataFrame) -> None:  # noqa: ANN001
    settings = Settings.load(home=tmp_path / "lw", progress=False, scheduler=False)
    _register(tmp_path / "lw", frame)
    with TestClient(create_app(settings)) as http:
        body = {"model": "churn/1", "health": {"error_rate": 0.05, "window": "5m"}}
        deployed = http.put(f"{MANAGE}/churn", json=body)
        assert deployed.status_code == 200 and deployed.json()["health"]["window"] == 300
        for _ in range(3):
            http.post("/serve/default/churn/predict", json={"rows": [ROW]})
        found = http.get(f"{MANAGE}/churn/metrics", params={"window": "5m"}).json()
        assert found["window"] == 300 and found["slots"][0]["requests"] == 3
        assert found["slots"][0]["error_rate"] == 0.0
        assert http.get(f"{MANAGE}/churn/metrics?window=soon").status_code == 422
        bad = http.put(f"{MANAGE}/churn/health", json={"health": {"drift": 2}})
        assert bad.status_code == 422 and "drift must be a number in 0..1" in bad.text
        named = {"metric": "auc", "metric_drop": 0.05}
        kept = http.put(f"{MANAGE}/churn/health", json={"health": named})
        assert kept.status_code == 200 and kept.json()["health"]["metric"] == "auc"
        unknown = http.put(f"{MANAGE}/churn/health", json={"health": {**named, "metric": "f1"}})
        assert unknown.status_code == 422 and "must name a live metric, not 'f1'" in unknown.text
        assert unknown.json()["details"]["expected"] == "accuracy, auc, mae, rmse"
        alone = http.put(f"{MANAGE}/churn/health", json={"health": {"metric": "auc"}})
        assert alone.status_code == 422 and "metric_drop or min_metric, both" in alone.text
        ceiling = {"metric": "auc", "max_metric": 0.3}  # auc is better when higher
        wrong = http.put(f"{MANAGE}/churn/health", json={"health": ceiling})
        assert wrong.status_code == 422 and "max_metric does not fit metric 'auc'" in wrong.text
        assert wrong.json()["details"]["expected"] == "min_metric"
        assert wrong.json()["details"]["found"] == "max_metric"
        floor = {"metric": "auc", "min_metric": 0.7}
        bounded = http.put(f"{MANAGE}/churn/health", json={"health": floor})
        assert bounded.status_code == 200 and bounded.json()["health"]["min_metric"] == 0.7
        assert http.get(f"{MANAGE}/churn").json()["health"]["metric"] == "auc"  # unchanged
        cleared = http.put(f"{MANAGE}/churn/health", json={"health": None})
        assert cleared.json()["health"] is None and cleared.json()["action"] == "set-health"
        every = http.put(f"{MANAGE}/churn", json={"model": "churn/2", "every": "10m"})
        assert every.status_code == 422  # a schedule needs a canary
        scraped = http.get("/metrics").text
        assert 'lakeworks_serving_requests_total{endpoint="churn"' in scraped
        assert "lakeworks_serving_latency_seconds_bucket" in scraped


def test_the_server_judges_and_rolls_back_on_its_own(tmp_path, frame: pd.DataFrame) -> None:  # noqa: ANN001
    from tests.serving.faulty import Raising

    home = tmp_path / "lw"
    settings = Settings.load(
        home=home,
        progress=False,
        scheduler=False,
        serving_trusted=True,
        serving_health_interval=0.1,
    )
    platform = Platform.open(settings)
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    ctx = Context(workspace="default", user="tester")
    good = platform.registry.register(ctx, "churn", model=_fit(frame, False), training_data=frame)
    platform.registry.register(
        ctx, "churn", model=Raising(), trusted=True, signature=good.signature
    )
    platform.close()
    with TestClient(create_app(settings)) as http:
        http.put(f"{MANAGE}/churn", json={"model": "churn/1"})
        canary = {"model": "churn/2", "strategy": "canary", "steps": [50, 100]}
        canary["health"] = {"error_rate": 0.2, "min_requests": 10}
        assert http.put(f"{MANAGE}/churn", json=canary).status_code == 200
        deadline = time.monotonic() + 20
        action = "deploy"
        while action != "auto-rollback" and time.monotonic() < deadline:
            for i in range(10):
                http.post(
                    "/serve/default/churn/predict",
                    json={"rows": [ROW], "key": f"k{i}-{time.time()}"},
                )
            action = http.get(f"{MANAGE}/churn").json()["action"]
        shown = http.get(f"{MANAGE}/churn").json()
        assert shown["action"] == "auto-rollback", shown
        assert shown["reason"]["policy"] == "error_rate"
        assert [s["model"] + "/" + str(s["version"]) for s in shown["slots"]] == ["churn/1"]


def test_the_servers_watcher_leaves_serving_unloaded_without_endpoints(tmp_path) -> None:  # noqa: ANN001
    settings = Settings.load(
        home=tmp_path / "lw", progress=False, scheduler=False, serving_health_interval=0.05
    )
    app = create_app(settings)
    with TestClient(app) as http:
        time.sleep(0.3)  # a few rounds
        assert http.get("/health").status_code == 200
        assert "serving" not in app.state.platform.__dict__
        assert "lakeworks_serving_requests" not in http.get("/metrics").text


def test_cli_series_per_slot_and_json(cli: Cli, frame: pd.DataFrame) -> None:
    _register(cli.home, frame)
    missing = cli("endpoints", "series", "churn")
    assert missing.exit_code != 0 and "endpoint 'churn' does not exist" in missing.output
    assert cli("endpoints", "deploy", "churn", "--model", "churn/1").exit_code == 0
    assert (
        "no requests to churn in the last 10m"
        in cli("endpoints", "series", "churn", "--window", "10m").output
    )
    ws = lw.connect(home=cli.home, progress=False)
    for _ in range(3):
        ws.endpoints.predict("churn", [ROW])
    ws.platform.close()  # flushes its counts to the catalog
    out = cli("endpoints", "series", "churn", "--window", "10m", "--step", "1m")
    assert out.exit_code == 0, out.output
    assert "churn live churn/1, steps of 60 s" in out.output
    assert "v1 deploy by" in out.output
    found = json.loads(
        cli("endpoints", "series", "churn", "--window", "10m", "--format", "json").output
    )
    [live] = found["slots"]
    assert (live["slot"], live["model"], sum(live["requests"])) == ("live", "churn/1", 3)
    assert len(found["times"]) == len(live["requests"]) in (10, 11)
    assert [c["action"] for c in found["changes"]] == ["deploy"]
    dense = cli("endpoints", "series", "churn", "--window", "1d", "--step", "1s")
    assert dense.exit_code != 0 and "has 86400 points" in dense.output
    bad = cli("endpoints", "series", "churn", "--format", "xml")
    assert bad.exit_code != 0 and "use table or json" in bad.output
