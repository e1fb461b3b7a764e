"""An endpoint's metrics over time: per slot and per minute, every process's flushed
counts, with the configuration changes of the window (an auto-rollback and its reason);
through the service on each catalog and through REST, and the refused requests."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.platform import Platform
from lakeworks.server.app import create_app
from tests.serving.conftest import _fit

ROW = {"age": 40, "income": 70.0}
SERIES = "/api/v1/workspaces/default/endpoints/churn/series"


def _canary_rolled_back(platform: Platform, ctx: Context) -> dict[str, int]:
    """churn/1 live, churn/2 as a canary that breaches its p99 and is rolled back; the
    requests each (slot, model) answered."""
    serving = platform.serving
    serving.deploy(ctx, "churn", "churn/1")
    answered: dict[str, int] = {}
    for i in range(40):
        if i == 10:
            health = {"p99_ms": 0.001, "min_requests": 3}  # any request breaches it
            serving.deploy(ctx, "churn", "churn/2", "canary", steps=(50, 100), health=health)
        found = serving.predict(ctx, "churn", [ROW], key=f"c{i}")
        slot = f"{found.slot} {found.model}"
        answered[slot] = answered.get(slot, 0) + 1
    [rolled] = serving.evaluator.run_once()
    assert rolled.action == "auto-rollback"
    return answered


def test_series_per_slot_with_the_rollback_marked(served) -> None:  # noqa: ANN001
    platform, ctx = served
    answered = _canary_rolled_back(platform, ctx)
    found = platform.serving.series(ctx, "churn", window="10m", step="1m")
    assert len(found.times) in (10, 11) and found.step_ms == 60_000
    assert all(b - a == 60_000 for a, b in zip(found.times, found.times[1:], strict=False))
    by_slot = {f"{s.slot} {s.model}": s for s in found.slots}
    assert set(by_slot) == {"live churn/1", "candidate churn/2"} == set(answered)
    for name, slot in by_slot.items():
        assert sum(slot.requests) == answered[name], name
        assert len(slot.requests) == len(found.times)
        for requests, rate, p99 in zip(slot.requests, slot.error_rate, slot.p99_ms, strict=True):
            assert (rate is None) == (requests == 0) and (p99 is None) == (requests == 0)
        assert sum(e for e in slot.errors) == 0
    assert [c.action for c in found.changes] == ["deploy", "deploy", "auto-rollback"]
    rollback = found.changes[-1]
    assert (rollback.live, rollback.candidate, rollback.created_by) == (
        "churn/1",
        None,
        "lakeworks",
    )
    assert (
        "churn/2: p99_ms" in rollback.reason and "breached the threshold 0.001" in rollback.reason
    )


def test_a_series_of_no_traffic_is_all_zero(served) -> None:  # noqa: ANN001
    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    found = platform.serving.series(ctx, "churn", window="5m", step="30s")
    assert found.slots == () and len(found.times) in (10, 11)
    assert [c.action for c in found.changes] == ["deploy"]


def test_refused_series(served) -> None:  # noqa: ANN001
    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    with pytest.raises(NotFoundError, match="endpoint 'nope'"):
        platform.serving.series(ctx, "nope")
    with pytest.raises(InvalidInputError, match="86400 points; it takes 1 to 1440") as caught:
        platform.serving.series(ctx, "churn", window="1d", step="1s")
    assert caught.value.fields["found"] == "86400"
    with pytest.raises(InvalidInputError, match="it takes 1 to 1440"):
        platform.serving.series(ctx, "churn", window="1m", step="1h")
    with pytest.raises(InvalidInputError, match="step must be a duration, not 'soon'"):
        platform.serving.series(ctx, "churn", step="soon")


def test_series_through_the_sdk(tmp_path, frame: pd.DataFrame) -> None:  # noqa: ANN001
    settings = Settings.load(home=tmp_path / "lw", progress=False)
    ws = lw.connect(settings=settings)
    for flip in (False, True):
        ws.models.register("churn", model=_fit(frame, flip), training_data=frame)
    ws.endpoints.deploy("churn", model="churn/1")
    ws.endpoints.predict("churn", [ROW])
    found = ws.endpoints.series("churn", window="30m", step="5m")
    assert [(s.slot, sum(s.requests)) for s in found.slots] == [("live", 1)]
    assert len(found.to_dict()["times"]) in (6, 7)
    ws.platform.close()


def test_series_over_rest(tmp_path, frame: pd.DataFrame) -> None:  # noqa: ANN001
    settings = Settings.load(home=tmp_path / "lw", progress=False)
    platform = Platform.open(settings)
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    ctx = Context(workspace="default", user="tester")
    for flip in (False, True):
        platform.registry.register(ctx, "churn", model=_fit(frame, flip), training_data=frame)
    answered = _canary_rolled_back(platform, ctx)
    platform.close()
    with TestClient(create_app(settings)) as http:
        body = http.get(SERIES, params={"window": "15m", "step": "5m"}).json()
        assert len(body["times"]) in (3, 4) and body["step_ms"] == 300_000
        totals = {f"{s['slot']} {s['model']}": sum(s["requests"]) for s in body["slots"]}
        assert totals == answered
        assert body["changes"][-1]["action"] == "auto-rollback"
        bad = http.get(SERIES, params={"window": "1d", "step": "1s"})
        assert bad.status_code == 422 and "1440" in bad.json()["message"]
        missing = http.get(SERIES.replace("churn", "nope"))
        assert missing.status_code == 404 and "nope" in missing.json()["message"]
