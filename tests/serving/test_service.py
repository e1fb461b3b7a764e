"""Endpoints on SQLite and PostgreSQL: deploy, promote, rollback, routing, refusals."""

from __future__ import annotations

import pytest

from lakeworks.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    SchemaMismatchError,
    TooLargeError,
    UserCodeError,
)
from lakeworks.serving.strategies import bucket
from tests.serving.conftest import ages

ROW = {"age": 40, "income": 70.0}


def test_deploy_promote_rollback_versions_every_change(served) -> None:
    platform, ctx = served
    serving = platform.serving
    first = serving.deploy(ctx, "churn", "churn/1")
    assert (first.version, first.live.ref, first.candidate) == (1, "churn/1", None)
    canary = serving.deploy(ctx, "churn", "churn/2", "canary")
    assert (canary.version, canary.share, canary.candidate.ref) == (2, 5, "churn/2")
    assert serving.promote(ctx, "churn").share == 25
    assert serving.promote(ctx, "churn").share == 50
    done = serving.promote(ctx, "churn")
    assert (done.version, done.live.ref, done.candidate) == (5, "churn/2", None)
    back = serving.rollback(ctx, "churn")
    assert (back.version, back.action, back.share, back.candidate.ref) == (
        6,
        "rollback",
        50,
        "churn/2",
    )
    history = serving.history(ctx, "churn")
    assert [c.action for c in history] == [
        "deploy",
        "deploy",
        "promote",
        "promote",
        "promote",
        "rollback",
    ]
    assert {c.created_by for c in history} == {"tester"}
    assert [c.endpoint for c in serving.list(ctx)] == ["churn"]


def test_blue_green_switches_all_traffic_and_rolls_back(served) -> None:
    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    platform.serving.deploy(ctx, "churn", "churn/2")
    answers = {platform.serving.predict(ctx, "churn", [ROW], key=str(k)).model for k in range(30)}
    assert answers == {"churn/2"}
    platform.serving.rollback(ctx, "churn")
    assert platform.serving.predict(ctx, "churn", [ROW]).model == "churn/1"


def test_ab_is_sticky_per_key_and_splits(served) -> None:
    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    platform.serving.deploy(ctx, "churn", "churn/2", "ab", share=50)
    seen = {}
    for k in range(60):
        models = {
            platform.serving.predict(ctx, "churn", [ROW], key=f"c{k}").model for _ in range(3)
        }
        assert len(models) == 1  # the same customer always meets the same variant
        seen[f"c{k}"] = models.pop()
        assert seen[f"c{k}"] == ("churn/2" if bucket(f"c{k}") < 50 else "churn/1")
    assert set(seen.values()) == {"churn/1", "churn/2"}


def test_shadow_answer_is_never_returned(served) -> None:
    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    platform.serving.deploy(ctx, "churn", "churn/2", "shadow")
    for k in range(20):
        assert platform.serving.predict(ctx, "churn", [ROW], key=str(k)).model == "churn/1"
    slots = {s.slot: s.stats for s in platform.serving.metrics(ctx, "churn").slots}
    assert (slots["candidate"].model, slots["candidate"].compared) == ("churn/2", 20)


def test_a_model_that_fails_to_load_is_refused_and_the_old_keeps_serving(
    served, monkeypatch
) -> None:
    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    real = platform.registry.load

    def load(c, ref, trusted=False):  # version 2's files are unreadable
        if tuple(ref) == ("churn", 2):
            raise OSError("model file truncated")
        return real(c, ref, trusted)

    monkeypatch.setattr(platform.registry, "load", load)
    with pytest.raises(UserCodeError, match="refused: model churn/2 failed to load"):
        platform.serving.deploy(ctx, "churn", "churn/2")
    assert platform.serving.show(ctx, "churn").version == 1
    assert platform.serving.predict(ctx, "churn", [ROW]).model == "churn/1"


def test_bad_inputs_name_the_problem(served) -> None:
    platform, ctx = served
    serving = platform.serving
    serving.deploy(ctx, "churn", "churn/1")
    with pytest.raises(SchemaMismatchError, match="missing column.*income"):
        serving.predict(ctx, "churn", [{"age": 40}])
    with pytest.raises(SchemaMismatchError, match="unexpected column.*colour"):
        serving.predict(ctx, "churn", [{**ROW, "colour": "red"}])
    with pytest.raises(SchemaMismatchError, match="column age expected int64, found string"):
        serving.predict(ctx, "churn", [{"age": "forty", "income": 1.0}])
    with pytest.raises(InvalidInputError, match="has no rows"):
        serving.predict(ctx, "churn", [])
    with pytest.raises(TooLargeError, match="51 rows, over the limit of 50"):
        serving.predict(ctx, "churn", [ROW] * 51)
    with pytest.raises(NotFoundError, match="endpoint 'nope' does not exist"):
        serving.predict(ctx, "nope", [ROW])
    with pytest.raises(InvalidInputError, match="unknown serving strategy 'linear'"):
        serving.deploy(ctx, "churn", "churn/2", "linear")
    with pytest.raises(InvalidInputError, match="canary steps"):
        serving.deploy(ctx, "churn", "churn/2", "canary", steps=(50, 20))
    with pytest.raises(InvalidInputError, match="no candidate to promote"):
        serving.promote(ctx, "churn")
    with pytest.raises(InvalidInputError, match="no previous configuration"):
        serving.rollback(ctx, "churn")
    assert serving.show(ctx, "churn").version == 1  # nothing refused was written


def test_rows_the_model_raises_on_get_per_row_errors(served, monkeypatch) -> None:
    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    predictor = platform.serving.deployment(ctx, "churn").predictors["live"]
    inner = predictor.model.predict

    def predict(frame):
        if (ages(frame) < 0).any():
            raise ArithmeticError("negative age")
        return inner(frame)

    monkeypatch.setattr(predictor.model, "predict", predict)
    rows = [ROW, {"age": -1, "income": 1.0}, ROW]
    result = platform.serving.predict(ctx, "churn", rows)
    assert result.errors[0] is None and result.errors[2] is None
    assert "negative age" in result.errors[1] and result.outputs[1] is None
    assert result.outputs[0] is not None and result.outputs[2] is not None


def test_loaded_models_are_cached_per_configuration_version(served, monkeypatch) -> None:
    platform, ctx = served
    serving = platform.serving
    serving.deploy(ctx, "churn", "churn/1")
    serving.loaded.clear()
    loads = []
    real = platform.registry.load
    monkeypatch.setattr(
        platform.registry, "load", lambda c, r, t=False: loads.append(r) or real(c, r, t)
    )
    for _ in range(3):
        serving.predict(ctx, "churn", [ROW])
    assert loads == [("churn", 1)]  # loaded once for version 1
    serving.deploy(ctx, "churn", "churn/2")  # a new version: a new key, warmed at deploy
    assert serving.predict(ctx, "churn", [ROW]).config_version == 2
    serving.delete(ctx, "churn")
    assert serving.loaded.get(("default", "churn", 2)) is None
    with pytest.raises(NotFoundError):
        serving.show(ctx, "churn")


def test_a_stale_change_conflicts(served) -> None:
    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    stale = platform.serving.show(ctx, "churn")
    platform.serving.deploy(ctx, "churn", "churn/2")
    with pytest.raises(ConflictError):
        platform.serving.store.write("default", stale, expected=stale.version)


def test_micro_batched_predictions_equal_unbatched_ones(tmp_path, frame) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from lakeworks.config import Settings
    from lakeworks.context import Context
    from lakeworks.platform import Platform
    from tests.serving.conftest import _fit

    settings = Settings.load(home=tmp_path / "b", progress=False, serving_batch_wait_ms=20)
    platform = Platform.open(settings)
    try:
        platform.catalog.create_workspace("default", "tester", exist_ok=True)
        ctx = Context(workspace="default", user="tester")
        platform.registry.register(ctx, "churn", model=_fit(frame, False), training_data=frame)
        platform.serving.deploy(ctx, "churn", "churn/1")
        rows = frame.to_dict("records")[:24]
        expected = platform.registry.load(ctx, "churn/1").predict(frame.head(24))
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda r: platform.serving.predict(ctx, "churn", [r]), rows))
        assert [r.outputs[0]["prediction"] for r in results] == expected["prediction"].tolist()
        with pytest.raises(SchemaMismatchError):  # bad input refused before joining a batch
            platform.serving.predict(ctx, "churn", [{"age": 1}])
    finally:
        platform.close()


def test_a_second_replica_sees_each_change_within_the_version_ttl(served) -> None:
    import time

    from lakeworks.platform import Platform

    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    settings = platform.settings.model_copy(update={"serving_version_ttl_ms": 200})
    replica = Platform.open(settings)
    try:
        assert replica.serving.predict(ctx, "churn", [ROW]).model == "churn/1"
        platform.serving.deploy(ctx, "churn", "churn/2")
        assert platform.serving.predict(ctx, "churn", [ROW]).model == "churn/2"  # its own: now
        time.sleep(0.25)
        assert replica.serving.predict(ctx, "churn", [ROW]).model == "churn/2"
        platform.serving.rollback(ctx, "churn")
        time.sleep(0.25)
        assert replica.serving.predict(ctx, "churn", [ROW]).model == "churn/1"
    finally:
        replica.close()
