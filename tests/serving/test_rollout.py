"""Automatic roll-outs end to end: a watcher thread judges real traffic and rolls back a
version that raises (canary), one that is slow (A/B) and one whose inputs drift
(blue-green), alerting a real local webhook; a canary climbs its steps on schedule."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.errors import InvalidInputError
from lakeworks.platform import Platform
from lakeworks.serving.endpoints import EndpointConfig
from tests.serving.conftest import _fit
from tests.serving.faulty import Raising, Sleeping

ROW = {"age": 40, "income": 70.0}


class Hook:
    """A local HTTP server that keeps the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers["Content-Length"])
                hook.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def hook() -> Iterator[Hook]:
    found = Hook()
    yield found
    found.server.shutdown()


@pytest.fixture
def watched(tmp_path: Path, frame: pd.DataFrame) -> Iterator[tuple[Platform, Context]]:
    """churn/1 a good model; churn/2 raises, churn/3 sleeps 30 ms, churn/4 good too."""
    settings = Settings.load(home=tmp_path / "lw", progress=False, serving_trusted=True)
    platform = Platform.open(settings)
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    ctx = Context(workspace="default", user="tester")
    registry = platform.registry
    good = registry.register(ctx, "churn", model=_fit(frame, False), training_data=frame)
    for model in (Raising(), Sleeping(0.03)):
        registry.register(ctx, "churn", model=model, trusted=True, signature=good.signature)
    registry.register(ctx, "churn", model=_fit(frame, True), training_data=frame)
    platform.serving.deploy(ctx, "churn", "churn/1")
    platform.serving.watch(interval=0.1)
    yield platform, ctx
    platform.close()


def drive(
    platform: Platform,
    ctx: Context,
    action: str,
    rows: Callable[[int], list[dict]] = lambda i: [ROW],
    timeout: float = 20,
    done: Callable[[EndpointConfig], bool] = lambda c: True,
) -> list:
    """Send requests (keys 0, 1, ...) until the endpoint's configuration is written by
    ``action`` (and is ``done``); its history."""
    deadline = time.monotonic() + timeout
    i = 0
    while time.monotonic() < deadline:
        for _ in range(5):
            platform.serving.predict(ctx, "churn", rows(i), key=f"customer-{i}")
            i += 1
        current = platform.serving.show(ctx, "churn")
        if current.action == action and done(current):
            return platform.serving.history(ctx, "churn")
    raise AssertionError(f"no {action} within {timeout} s: {platform.serving.show(ctx, 'churn')}")


def test_a_canary_that_raises_is_rolled_back_and_alerts(watched, hook: Hook) -> None:
    platform, ctx = watched
    health = {"error_rate": 0.1, "min_requests": 10, "window": "1m", "webhook": hook.url}
    canary = platform.serving.deploy(
        ctx, "churn", "churn/2", "canary", steps=(50, 100), health=health
    )
    history = drive(platform, ctx, "auto-rollback")
    back = history[-1]
    assert (back.live.ref, back.candidate, back.created_by) == ("churn/1", None, "lakeworks")
    assert back.reason["policy"] == "error_rate" and back.reason["observed"] > 0.1
    assert back.reason["from_version"] == canary.version and back.reason["model"] == "churn/2"
    answers = {platform.serving.predict(ctx, "churn", [ROW], key=str(k)).model for k in range(20)}
    assert answers == {"churn/1"}
    deadline = time.monotonic() + 5
    while not hook.bodies and time.monotonic() < deadline:
        time.sleep(0.05)
    [alert] = hook.bodies
    assert alert["kind"] == "endpoint-rollback" and alert["endpoint"] == "churn"
    assert (alert["rolled_back"], alert["serving"], alert["policy"]) == (
        "churn/2",
        "churn/1",
        "error_rate",
    )
    assert "breached the threshold 0.1" in alert["summary"]


def test_a_raising_shadow_is_removed_and_alerts(watched, hook: Hook) -> None:
    platform, ctx = watched
    health = {"error_rate": 0.1, "min_requests": 10, "webhook": hook.url}
    shadowed = platform.serving.deploy(ctx, "churn", "churn/2", "shadow", health=health)
    history = drive(platform, ctx, "auto-rollback")  # every request answered by churn/1
    back = history[-1]
    assert (back.live.ref, back.candidate, back.strategy) == ("churn/1", None, "shadow")
    assert back.reason["policy"] == "error_rate" and back.reason["observed"] == 1.0
    assert back.reason["from_version"] == shadowed.version and back.reason["model"] == "churn/2"
    deadline = time.monotonic() + 5
    while not hook.bodies and time.monotonic() < deadline:
        time.sleep(0.05)
    [alert] = hook.bodies
    assert (alert["rolled_back"], alert["serving"], alert["policy"]) == (
        "churn/2",
        "churn/1",
        "error_rate",
    )


def test_a_shadow_that_disagrees_is_removed(watched) -> None:
    platform, ctx = watched
    health = {"min_agreement": 0.9, "error_rate": 0.1, "min_requests": 10}
    platform.serving.deploy(ctx, "churn", "churn/4", "shadow", health=health)
    back = drive(platform, ctx, "auto-rollback")[-1]
    assert back.reason["policy"] == "min_agreement" and back.reason["observed"] < 0.9
    assert back.reason["model"] == "churn/4" and back.live.ref == "churn/1"
    assert back.candidate is None


def test_an_agreeing_shadow_stays(watched) -> None:
    platform, ctx = watched
    health = {"min_agreement": 0.9, "min_requests": 10}
    platform.serving.deploy(ctx, "churn", "churn/1", "shadow", health=health)  # itself
    for i in range(30):
        platform.serving.predict(ctx, "churn", [ROW], key=str(i))
    platform.serving.evaluator.run_once()
    assert platform.serving.show(ctx, "churn").action == "deploy"
    [shadow] = [s for s in platform.serving.metrics(ctx, "churn").slots if s.slot == "candidate"]
    assert shadow.stats.agreement == 1.0 and shadow.stats.compared >= 30


def test_a_slow_ab_variant_is_rolled_back(watched) -> None:
    platform, ctx = watched
    health = {"p99_ms": 20, "min_requests": 5}
    platform.serving.deploy(ctx, "churn", "churn/3", "ab", share=50, health=health)
    back = drive(platform, ctx, "auto-rollback")[-1]
    assert back.reason["policy"] == "p99_ms" and back.reason["observed"] >= 30
    assert back.live.ref == "churn/1" and back.candidate is None


def test_a_blue_green_switch_whose_inputs_drift_is_switched_back(watched) -> None:
    platform, ctx = watched
    rng = np.random.default_rng(3)
    for i in range(40):  # what the live version is used to
        row = {"age": int(rng.integers(18, 80)), "income": float(rng.normal(50, 15))}
        platform.serving.predict(ctx, "churn", [row], key=str(i))
    platform.serving.deploy(ctx, "churn", "churn/4", health={"drift": 0.5, "min_requests": 20})

    def drifted(i: int) -> list[dict]:
        return [{"age": int(rng.integers(70, 95)), "income": float(rng.normal(150, 15))}]

    history = drive(platform, ctx, "auto-rollback", drifted)
    assert [c.action for c in history[-2:]] == ["deploy", "auto-rollback"]
    back = history[-1]
    assert back.reason["policy"] == "drift" and back.reason["observed"] == 1.0
    assert back.live.ref == "churn/1"


def test_a_healthy_canary_climbs_its_steps_on_schedule(watched) -> None:
    platform, ctx = watched
    health = {"error_rate": 0.5, "min_requests": 3}
    platform.serving.deploy(
        ctx, "churn", "churn/4", "canary", steps=(20, 60, 100), every=0.3, health=health
    )
    history = drive(platform, ctx, "auto-promote", done=lambda c: c.candidate is None)
    steps = [(c.action, c.share, c.live.ref, c.created_by) for c in history[1:]]
    assert steps == [
        ("deploy", 20, "churn/1", "tester"),
        ("auto-promote", 60, "churn/1", "lakeworks"),
        ("auto-promote", 0, "churn/4", "lakeworks"),
    ]
    gap = (history[3].created_ms - history[2].created_ms) / 1000
    assert gap >= 0.3  # a step every 0.3 s at the soonest


def test_a_canary_step_waits_for_enough_requests(watched) -> None:
    platform, ctx = watched
    platform.serving.deploy(
        ctx, "churn", "churn/4", "canary", every=0.1, health={"min_requests": 1000}
    )
    time.sleep(0.5)  # several rounds, with no traffic at all
    assert platform.serving.show(ctx, "churn").action == "deploy"


def test_schedules_and_policies_are_checked(watched) -> None:
    platform, ctx = watched
    with pytest.raises(InvalidInputError, match="every= raises canary steps"):
        platform.serving.deploy(ctx, "churn", "churn/4", "ab", every="10m")
    with pytest.raises(InvalidInputError, match="unknown health policy setting"):
        platform.serving.deploy(ctx, "churn", "churn/4", health={"errors": 0.1})
    assert platform.serving.show(ctx, "churn").version == 1  # nothing written
    policy = platform.serving.set_health(ctx, "churn", {"p99_ms": 100, "window": "5m"})
    assert (policy.version, policy.action, policy.health["window"]) == (2, "set-health", 300)
    kept = platform.serving.deploy(ctx, "churn", "churn/4", "canary", every="10m")
    assert kept.health["p99_ms"] == 100 and kept.every == 600  # the policy carries over
    assert platform.serving.set_health(ctx, "churn", None).health is None


def test_a_canary_whose_accuracy_drops_once_labels_arrive_is_rolled_back(watched) -> None:
    platform, ctx = watched
    health = {"metric_drop": 0.2, "min_requests": 5}
    platform.serving.deploy(ctx, "churn", "churn/4", "canary", steps=(50, 100), health=health)
    rng = np.random.default_rng(5)
    deadline = time.monotonic() + 30
    i = 0
    while platform.serving.show(ctx, "churn").action != "auto-rollback":
        assert time.monotonic() < deadline, platform.serving.metrics(ctx, "churn").to_dict()
        row = {"age": int(rng.integers(18, 80)), "income": float(rng.normal(50, 15))}
        answer = platform.serving.predict(ctx, "churn", [row], key=f"customer-{i}")
        truth = int(row["income"] > 50)  # churn/1 learnt it; churn/4 learnt the opposite
        platform.serving.feedback(ctx, "churn", request_id=answer.request_id, label=truth)
        i += 1
    back = platform.serving.show(ctx, "churn")
    assert back.reason["policy"] == "metric_drop" and back.reason["observed"] > 0.5
    assert back.live.ref == "churn/1" and "vs churn/1" in back.reason["reason"]


def test_a_canary_drifting_from_its_training_table_is_rolled_back(watched, frame) -> None:  # noqa: ANN001
    platform, ctx = watched
    training = frame.assign(target=(frame.income > 50).astype("int64"))  # more than inputs
    platform.tables.write(ctx, "churn_training", training)
    health = {"drift": 0.5, "drift_reference": "churn_training", "min_requests": 20}
    platform.serving.deploy(ctx, "churn", "churn/4", "canary", steps=(50, 100), health=health)
    rng = np.random.default_rng(11)

    def drifted(i: int) -> list[dict]:  # live and candidate alike: the traffic drifted
        return [{"age": int(rng.integers(70, 95)), "income": float(rng.normal(150, 15))}]

    back = drive(platform, ctx, "auto-rollback", drifted)[-1]
    assert back.reason["policy"] == "drift" and back.reason["model"] == "churn/4"
    assert back.live.ref == "churn/1"


def test_a_canary_whose_auc_is_worse_is_rolled_back_once_labels_arrive(
    tmp_path: Path,
    frame: pd.DataFrame,
) -> None:
    from lakeworks.serving.rollout import Evaluator

    platform = Platform.open(Settings.load(home=tmp_path / "lw", progress=False))
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    ctx = Context(workspace="default", user="tester")
    for flip in (False, True):  # churn/2 learnt the opposite: its AUC is near 0
        platform.registry.register(ctx, "churn", model=_fit(frame, flip), training_data=frame)
    serving = platform.serving
    serving.deploy(ctx, "churn", "churn/1")
    health = {"metric": "auc", "metric_drop": 0.1, "min_requests": 10, "window": "10m"}
    serving.deploy(ctx, "churn", "churn/2", "canary", steps=(50, 100), health=health)
    evaluator = Evaluator(serving, platform.monitoring, ["default"])
    rng = np.random.default_rng(17)
    sent = []
    for i in range(80):
        row = {"age": int(rng.integers(18, 80)), "income": float(rng.normal(50, 15))}
        answer = serving.predict(ctx, "churn", [row], key=f"customer-{i}")
        sent.append((answer.request_id, int(row["income"] + rng.normal(0, 10) > 50)))
    try:
        assert evaluator.run_once() == []  # traffic but no labels: nothing to judge
        assert serving.show(ctx, "churn").strategy == "canary"
        for request_id, label in sent:
            serving.feedback(ctx, "churn", request_id=request_id, label=label)
        metrics = serving.live_metrics(ctx, "churn", "1h")
        live, candidate = metrics["live"].metrics["auc"], metrics["candidate"].metrics["auc"]
        [back] = evaluator.run_once()
        assert back.action == "auto-rollback" and back.live.ref == "churn/1"
        assert back.candidate is None
        assert back.reason["policy"] == "metric_drop" and back.reason["threshold"] == 0.1
        assert back.reason["observed"] == pytest.approx(live - candidate)
        assert "churn/2: metric_drop" in back.reason["reason"]
        assert "(auc vs churn/1)" in back.reason["reason"]
        assert evaluator.run_once() == []  # judged once: the live slot alone now
    finally:
        platform.close()


def test_a_canary_whose_auc_holds_stays(tmp_path: Path, frame: pd.DataFrame) -> None:
    from lakeworks.serving.rollout import Evaluator

    platform = Platform.open(Settings.load(home=tmp_path / "lw", progress=False))
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    ctx = Context(workspace="default", user="tester")
    for _ in range(2):  # the same model twice: the same AUC up to the traffic's noise
        platform.registry.register(ctx, "churn", model=_fit(frame, False), training_data=frame)
    serving = platform.serving
    serving.deploy(ctx, "churn", "churn/1")
    health = {"metric": "auc", "metric_drop": 0.3, "min_requests": 10, "window": "10m"}
    serving.deploy(ctx, "churn", "churn/2", "canary", steps=(50, 100), health=health)
    rng = np.random.default_rng(19)
    try:
        for i in range(80):
            row = {"age": int(rng.integers(18, 80)), "income": float(rng.normal(50, 15))}
            answer = serving.predict(ctx, "churn", [row], key=f"customer-{i}")
            label = int(row["income"] + rng.normal(0, 10) > 50)
            serving.feedback(ctx, "churn", request_id=answer.request_id, label=label)
        assert Evaluator(serving, platform.monitoring, ["default"]).run_once() == []
        assert serving.show(ctx, "churn").candidate.ref == "churn/2"
    finally:
        platform.close()


def _blue_green(tmp_path: Path, frame: pd.DataFrame, flip: bool, health: dict) -> Platform:
    """A platform whose endpoint switched from churn/1 to churn/2 (``flip``: learnt the
    opposite, its AUC near 0) under ``health``, after 60 answered requests and no labels."""
    platform = Platform.open(Settings.load(home=tmp_path / "lw", progress=False))
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    ctx = Context(workspace="default", user="tester")
    for flipped in (False, flip):
        platform.registry.register(ctx, "churn", model=_fit(frame, flipped), training_data=frame)
    platform.serving.deploy(ctx, "churn", "churn/1")
    platform.serving.deploy(ctx, "churn", "churn/2", health=health)  # blue-green
    return platform


def _traffic(platform: Platform, ctx: Context, seed: int) -> list[tuple[str, int]]:
    """60 answered requests and the label each will get."""
    rng = np.random.default_rng(seed)
    sent = []
    for i in range(60):
        row = {"age": int(rng.integers(18, 80)), "income": float(rng.normal(50, 15))}
        answer = platform.serving.predict(ctx, "churn", [row], key=f"customer-{i}")
        sent.append((answer.request_id, int(row["income"] + rng.normal(0, 10) > 50)))
    return sent


def test_a_blue_green_switch_whose_auc_falls_below_the_floor_is_switched_back(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    from lakeworks.serving.rollout import Evaluator

    health = {"metric": "auc", "min_metric": 0.7, "min_requests": 10, "window": "10m"}
    platform = _blue_green(tmp_path, frame, True, health)
    ctx = Context(workspace="default", user="tester")
    serving = platform.serving
    evaluator = Evaluator(serving, platform.monitoring, ["default"])
    try:
        sent = _traffic(platform, ctx, 23)
        assert evaluator.run_once() == []  # no labels yet: nothing to judge
        assert serving.show(ctx, "churn").live.ref == "churn/2"
        for request_id, label in sent[:5]:  # fewer labelled rows than min_requests
            serving.feedback(ctx, "churn", request_id=request_id, label=label)
        assert evaluator.run_once() == []
        for request_id, label in sent[5:]:
            serving.feedback(ctx, "churn", request_id=request_id, label=label)
        auc = serving.live_metrics(ctx, "churn", "1h")["live"].metrics["auc"]
        assert auc < 0.7  # no baseline traffic: only the floor can see it
        [back] = evaluator.run_once()
        assert back.action == "auto-rollback" and back.live.ref == "churn/1"
        assert back.reason["policy"] == "min_metric" and back.reason["threshold"] == 0.7
        assert back.reason["observed"] == pytest.approx(auc)
        assert back.reason["model"] == "churn/2"
        assert f"churn/2: min_metric {auc:.4g}" in back.reason["reason"]
        assert "threshold 0.7 (auc over 60 labelled rows)" in back.reason["reason"]
        assert evaluator.run_once() == []  # switched back once: churn/1 is not watched
    finally:
        platform.close()


def test_a_blue_green_switch_whose_auc_holds_its_floor_stays(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    from lakeworks.serving.rollout import Evaluator

    health = {"metric": "auc", "min_metric": 0.7, "min_requests": 10, "window": "10m"}
    platform = _blue_green(tmp_path, frame, False, health)
    ctx = Context(workspace="default", user="tester")
    serving = platform.serving
    try:
        for request_id, label in _traffic(platform, ctx, 29):
            serving.feedback(ctx, "churn", request_id=request_id, label=label)
        assert serving.live_metrics(ctx, "churn", "1h")["live"].metrics["auc"] >= 0.7
        assert Evaluator(serving, platform.monitoring, ["default"]).run_once() == []
        current = serving.show(ctx, "churn")
        assert current.live.ref == "churn/2" and current.action == "deploy"
    finally:
        platform.close()
