"""Live metrics and health across processes on one catalog (SQLite and PostgreSQL): each
platform below stands for a replica; they share only the catalog and the storage."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.errors import NotFoundError
from lakeworks.platform import Platform
from lakeworks.serving.rollout import Evaluator
from tests.serving.conftest import _fit

ROW = {"age": 40, "income": 70.0}


@pytest.fixture
def replicas(served) -> Iterator[tuple[Platform, Platform, object]]:
    """The served platform and a second one on the same catalog and storage."""
    platform, ctx = served
    other = Platform.open(platform.settings)
    yield platform, other, ctx
    other.close()


def test_metrics_sum_every_replicas_traffic(replicas) -> None:
    platform, other, ctx = replicas
    platform.serving.deploy(ctx, "churn", "churn/1")
    for i in range(7):
        platform.serving.predict(ctx, "churn", [ROW], key=str(i))
    for i in range(5):
        other.serving.predict(ctx, "churn", [ROW, ROW], key=str(i))
    other.serving.health.flush()  # what its watcher does every serving_health_interval
    found = platform.serving.metrics(ctx, "churn", window="5m")
    [live] = found.slots
    assert (found.window, live.slot, live.stats.model) == (300, "live", "churn/1")
    assert (live.stats.requests, live.stats.errors) == (12, 0)
    assert 0 < live.stats.p50_ms <= live.stats.p99_ms
    assert live.to_dict()["rate"] == pytest.approx(12 / 300)
    again = other.serving.metrics(ctx, "churn", window=300)  # flushed: nothing counted twice
    assert again.slots[0].stats.requests == 12


def test_metrics_of_an_unknown_endpoint_is_not_found(served) -> None:
    platform, ctx = served
    with pytest.raises(NotFoundError, match="'nope'"):
        platform.serving.metrics(ctx, "nope")


def test_one_replica_judges_the_traffic_another_served(replicas) -> None:
    platform, other, ctx = replicas
    platform.serving.deploy(ctx, "churn", "churn/1")
    health = {"error_rate": 0.0, "min_requests": 5}
    platform.serving.deploy(ctx, "churn", "churn/2", "canary", steps=(50, 100), health=health)
    # churn/2 answers without errors: healthy; the judge sees the other replica's traffic
    for i in range(40):
        other.serving.predict(ctx, "churn", [ROW], key=str(i))
    other.serving.health.flush()
    judge = Evaluator(platform.serving, platform.monitoring, ["default"])
    assert judge.run_once() == []  # it holds, and no schedule: nothing to change
    stats = platform.serving.metrics(ctx, "churn", "1m")
    assert sum(s.stats.requests for s in stats.slots) == 40


def test_racing_judges_write_one_rollback(replicas) -> None:
    platform, other, ctx = replicas
    platform.serving.deploy(ctx, "churn", "churn/1")
    health = {"p99_ms": 0.01, "min_requests": 5}  # every request is slower: a breach
    platform.serving.deploy(ctx, "churn", "churn/2", "canary", steps=(50, 100), health=health)
    for i in range(40):
        platform.serving.predict(ctx, "churn", [ROW], key=str(i))
    platform.serving.health.flush()
    judges = [Evaluator(p.serving, p.monitoring, ["default"]) for p in (platform, other)]
    written: list = []
    barrier = threading.Barrier(2)

    def run(judge: Evaluator) -> None:
        barrier.wait()
        written.extend(judge.run_once())

    threads = [threading.Thread(target=run, args=(j,)) for j in judges]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    history = platform.serving.history(ctx, "churn")
    assert [c.action for c in history] == ["deploy", "deploy", "auto-rollback"]
    assert len(written) == 1 and written[0].reason["policy"] == "p99_ms"


def test_writers_racing_from_one_version_write_it_once(replicas) -> None:
    """Several processes change one endpoint from the same version at once: exactly one
    write lands per round, the others get a ConflictError (under PostgreSQL's read committed
    too, where a late writer would otherwise see the first row and write one further)."""
    from lakeworks.errors import ConflictError
    from lakeworks.serving.endpoints import changed

    platform, other, ctx = replicas
    platform.serving.deploy(ctx, "churn", "churn/1")
    stores = [platform.serving.store, other.serving.store] * 3
    for _ in range(5):
        current = platform.serving.store.config("default", "churn")
        barrier = threading.Barrier(len(stores))
        outcomes: list[object] = []

        def write(store, current=current, barrier=barrier, outcomes=outcomes) -> None:  # noqa: ANN001
            barrier.wait()
            try:
                outcomes.append(
                    store.write(
                        "default", changed(current, "promote", "t"), expected=current.version
                    )
                )
            except ConflictError as exc:
                outcomes.append(exc)

        threads = [threading.Thread(target=write, args=(s,)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [o for o in outcomes if isinstance(o, int)] == [current.version + 1]
    assert [c.version for c in platform.serving.history(ctx, "churn")] == [1, 2, 3, 4, 5, 6]


def test_delete_forgets_the_endpoints_metrics(served) -> None:
    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    platform.serving.predict(ctx, "churn", [ROW])
    assert platform.serving.metrics(ctx, "churn").slots
    platform.serving.delete(ctx, "churn")
    platform.serving.deploy(ctx, "churn", "churn/1")
    assert platform.serving.metrics(ctx, "churn").slots == ()


def test_refused_requests_are_not_model_errors(served) -> None:
    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    with pytest.raises(Exception, match="age"):
        platform.serving.predict(ctx, "churn", [{"age": "x", "income": 1.0}])
    [live] = platform.serving.metrics(ctx, "churn").slots
    assert (live.stats.requests, live.stats.errors) == (1, 0)


def test_rows_older_than_the_retention_are_purged(served) -> None:
    from lakeworks.serving.store import now_ms

    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    platform.serving.predict(ctx, "churn", [ROW])
    health = platform.serving.health
    health.flush()
    assert health.windows.read("default", "churn", 0)
    health.windows.purge(now_ms() - 60_000)  # a minute's retention keeps the new row
    assert health.windows.read("default", "churn", 0)
    health.windows.purge(now_ms() + 1)
    assert health.windows.read("default", "churn", 0) == {}


REPLICA = """
import sys
from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.platform import Platform

settings = Settings.load(home=sys.argv[1], metadata_url=sys.argv[2] or None, progress=False)
platform = Platform.open(settings)
ctx = Context(workspace="default", user="replica")
for i in range(30):
    platform.serving.predict(ctx, "churn", [{"age": 40, "income": 70.0}], key=str(i))
platform.close()  # flushes its counts, as a replica does at shutdown
"""


def test_a_replica_process_traffic_is_judged_here(served) -> None:
    import os
    import subprocess
    import sys

    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    health = {"p99_ms": 0.01, "min_requests": 5}  # any request breaches: a rollback
    platform.serving.deploy(ctx, "churn", "churn/2", "ab", share=50, health=health)
    settings = platform.settings
    url = settings.metadata_url or ""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", REPLICA, str(settings.home), url],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert platform.serving.metrics(ctx, "churn", "1m").slots  # its rows, none of ours
    [written] = Evaluator(platform.serving, platform.monitoring, ["default"]).run_once()
    assert written.action == "auto-rollback" and written.reason["model"] == "churn/2"


def test_a_shadow_counts_in_its_own_slot_with_its_agreement(replicas) -> None:
    platform, other, ctx = replicas
    platform.serving.deploy(ctx, "churn", "churn/1")
    platform.serving.deploy(ctx, "churn", "churn/2", "shadow")  # churn/2 answers the opposite
    rows = [ROW, {"age": 30, "income": 20.0}]
    for i in range(3):
        assert platform.serving.predict(ctx, "churn", rows, key=str(i)).model == "churn/1"
    for i in range(2):
        other.serving.predict(ctx, "churn", rows, key=str(i))
    other.serving.health.flush()
    found = {s.slot: s.stats for s in platform.serving.metrics(ctx, "churn", "5m").slots}
    live, shadow = found["live"], found["candidate"]
    assert (live.model, live.requests, live.compared, live.agreement) == ("churn/1", 5, 0, None)
    assert (shadow.model, shadow.requests, shadow.errors) == ("churn/2", 5, 0)
    assert (shadow.compared, shadow.equal, shadow.to_dict()["agreement"]) == (10, 0, 0.0)


def test_drift_is_judged_on_the_inputs_another_replica_served(replicas) -> None:
    platform, other, ctx = replicas
    rng = np.random.default_rng(11)

    def rows(shift: float) -> list[dict]:
        age, income = int(rng.integers(18, 80)) + shift, float(rng.normal(50, 15)) + shift
        return [{"age": age, "income": income}]

    platform.serving.deploy(ctx, "churn", "churn/1")
    for i in range(30):  # the reference: what churn/1 was asked before the switch
        other.serving.predict(ctx, "churn", rows(0), key=str(i))
    health = {"drift": 0.5, "min_requests": 20}
    switched = platform.serving.deploy(ctx, "churn", "churn/2", health=health)
    other.serving.versions.forget(ctx.workspace, "churn")  # as its version poll would, soon
    for i in range(30):  # churn/2 is asked about another population: every input drifted
        assert other.serving.predict(ctx, "churn", rows(500), key=str(i)).model == "churn/2"
    other.serving.health.flush()
    assert other.serving.predictions.flush()  # its log in the table, read by the judge
    assert platform.serving.health.live.inputs("default", "churn", "churn/2", 0) is None
    judge = Evaluator(platform.serving, platform.monitoring, ["default"])
    [back] = judge.run_once()
    assert (back.action, back.live.ref) == ("auto-rollback", "churn/1")
    assert back.reason["policy"] == "drift" and back.reason["observed"] == 1.0
    assert back.reason["from_version"] == switched.version


def test_drift_without_the_log_is_judged_on_this_process_sample(tmp_path, frame) -> None:  # noqa: ANN001
    settings = Settings.load(home=tmp_path / "lw", progress=False, serving_log=False)
    platform = Platform.open(settings)
    try:
        platform.catalog.create_workspace("default", "tester", exist_ok=True)
        ctx = Context(workspace="default", user="tester")
        for flip in (False, True):
            platform.registry.register(ctx, "churn", model=_fit(frame, flip), training_data=frame)
        platform.serving.deploy(ctx, "churn", "churn/1")
        for i in range(25):
            platform.serving.predict(ctx, "churn", [{"age": 20 + i, "income": 40.0 + i}])
        health = {"drift": 0.5, "min_requests": 20}
        platform.serving.deploy(ctx, "churn", "churn/2", health=health)
        for i in range(25):
            platform.serving.predict(ctx, "churn", [{"age": 500 + i, "income": 900.0 + i}])
        [back] = Evaluator(platform.serving, platform.monitoring, ["default"]).run_once()
        assert back.reason["policy"] == "drift" and back.live.ref == "churn/1"
    finally:
        platform.close()
