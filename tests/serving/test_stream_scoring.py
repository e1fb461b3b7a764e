"""A stream scored by a serving endpoint, one answer per event on another stream."""

from __future__ import annotations

import json

import pytest

from lakeworks.errors import NotFoundError


@pytest.fixture
def platform_ctx(served):  # noqa: ANN001, ANN201
    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    return platform, ctx


def answers(platform, ctx) -> list[dict]:  # noqa: ANN001
    return [json.loads(e.data) for e in platform.streams.tail(ctx, "scores", 1000)]


def test_every_event_gets_one_answer_bad_ones_an_error(platform_ctx) -> None:  # noqa: ANN001
    platform, ctx = platform_ctx
    rows = [{"age": 30 + i, "income": 40.0 + i * 5} for i in range(8)]
    ids = platform.streams.publish(ctx, "people", [*rows, "not json", {"age": "x"}])
    result = platform.stream_scoring.score(ctx, "people", endpoint="churn", to="scores", once=True)
    assert (result.events, result.predicted) == (10, 8)
    got = answers(platform, ctx)
    assert [a["event_id"] for a in got] == ids
    direct = platform.serving.predict(ctx, "churn", rows).outputs
    assert [a["prediction"] for a in got[:8]] == direct
    assert got[8]["error"] == "not JSON" and "error" in got[9]
    assert platform.streams.lag(ctx, "people", "score_churn").pending == 0
    again = platform.stream_scoring.score(ctx, "people", endpoint="churn", to="scores", once=True)
    assert again.events == 0


def test_an_unknown_endpoint_answers_each_event_with_the_reason(platform_ctx) -> None:  # noqa: ANN001
    platform, ctx = platform_ctx
    platform.streams.publish(ctx, "people", [{"age": 1, "income": 2.0}])
    platform.stream_scoring.score(ctx, "people", endpoint="nope", to="scores", once=True)
    (answer,) = answers(platform, ctx)
    assert "nope" in answer["error"]
    with pytest.raises(NotFoundError):
        platform.streams.lag(ctx, "people", "score_churn")


def test_the_cli_scores_a_stream(platform_ctx, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from ..cli.conftest import Cli

    platform, ctx = platform_ctx
    if platform.settings.metadata_url:  # the CLI reads the same catalog from the settings
        monkeypatch.setenv("LAKEWORKS_METADATA_URL", platform.settings.metadata_url)
    platform.streams.publish(ctx, "people", [{"age": 40, "income": 60.0}, "oops"])
    monkeypatch.setenv("LAKEWORKS_WORKSPACE", "default")
    cli = Cli(platform.settings.home)
    done = cli("streams", "score", "people", "--endpoint", "churn", "--to", "scores", "--once")
    assert done.exit_code == 0, done.output
    assert "scored 2 events of people with churn: 1 failed" in done.output
