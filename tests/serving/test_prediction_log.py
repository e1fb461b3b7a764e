"""The prediction log: every answered request lands in ``_predictions`` once, through a
table that is unavailable for a while, a full buffer, a commit whose answer is lost, and
a platform closed with entries still buffered."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.errors import UnavailableError
from lakeworks.platform import Platform
from lakeworks.serving.records import PREDICTIONS
from tests.serving.conftest import _fit

ROW = {"age": 40, "income": 70.0}


class Outage:
    """The table store's write gate, refusing writes to ``_predictions`` while ``down``."""

    def __init__(self, gate) -> None:  # noqa: ANN001 - the quality gate
        self.inner = gate
        self.down = True
        self.refused = 0

    def gate(self, ctx, table, reader, **options):  # noqa: ANN001, ANN201
        if self.down and table == PREDICTIONS:
            self.refused += 1
            raise UnavailableError("the lake is unavailable (test outage)", table=table)
        return self.inner.gate(ctx, table, reader, **options)


def _platform(home: Path, frame: pd.DataFrame, **overrides) -> Platform:  # noqa: ANN003
    settings = Settings.load(
        home=home, progress=False, **{"serving_log_flush_interval": 0.02, **overrides}
    )
    platform = Platform.open(settings)
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    ctx = Context(workspace="default", user="tester")
    if not platform.registry.list_models(ctx):
        platform.registry.register(ctx, "churn", model=_fit(frame, False), training_data=frame)
        platform.registry.register(ctx, "churn", model=_fit(frame, True), training_data=frame)
    return platform


@pytest.fixture
def logged(tmp_path: Path, frame: pd.DataFrame) -> Iterator[tuple[Platform, Context]]:
    platform = _platform(tmp_path / "lw", frame)
    ctx = Context(workspace="default", user="tester")
    platform.serving.deploy(ctx, "churn", "churn/1")
    yield platform, ctx
    platform.close()


def _ids(platform: Platform, ctx: Context) -> Counter:
    return Counter(platform.tables.read(ctx, PREDICTIONS).column("request_id").to_pylist())


def test_every_row_is_logged_with_its_model_and_answer(served) -> None:
    platform, ctx = served
    platform.serving.deploy(ctx, "churn", "churn/1")
    platform.serving.deploy(ctx, "churn", "churn/2", "shadow")
    answer = platform.serving.predict(ctx, "churn", [ROW, {"age": 30, "income": 20.0}], key="c7")
    assert platform.serving.predictions.flush()
    rows = platform.tables.read(ctx, PREDICTIONS).sort_by(
        [("returned", "descending"), ("row", "ascending")]
    )
    got = rows.select(["request_id", "row", "slot", "model", "model_version", "returned", "key"])
    assert got.to_pylist()[:2] == [
        dict(request_id=answer.request_id, row=i, slot="live", model="churn", model_version=1,
             returned=True, key="c7")
        for i in range(2)
    ]  # fmt: skip
    shadow = rows.to_pylist()[2:]
    assert [(r["slot"], r["model_version"], r["returned"]) for r in shadow] == [
        ("candidate", 2, False)
    ] * 2
    first = rows.to_pylist()[0]
    assert first["inputs"] == '{"age":40,"income":70.0}'
    assert first["output"] == f'{{"prediction":{answer.outputs[0]["prediction"]}}}'
    assert first["config_version"] == 2 and first["latency_ms"] > 0 and first["error"] is None


def test_an_unavailable_table_fails_no_request_and_loses_nothing(logged) -> None:
    platform, ctx = logged
    outage = Outage(platform.tables.gate)
    platform.tables.gate = outage
    answers = [platform.serving.predict(ctx, "churn", [ROW]) for _ in range(25)]
    assert all(a.errors == [None] for a in answers)  # every request answered
    log = platform.serving.predictions
    assert not log.flush(timeout=0.3)  # still down: nothing written yet
    assert outage.refused >= 1 and not platform.tables.exists(ctx, PREDICTIONS)
    assert len(log.pending()) == 25
    outage.down = False
    assert log.flush(timeout=30)
    assert _ids(platform, ctx) == Counter({a.request_id: 1 for a in answers})
    text = log.metrics.render().decode()
    assert "lakeworks_prediction_log_unwritten_total 0.0" in text
    assert "lakeworks_prediction_log_write_failures_total 0.0" not in text
    assert "lakeworks_prediction_log_rows_total 25.0" in text


def test_a_full_buffer_waits_then_counts_what_it_could_not_write(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    platform = _platform(tmp_path / "lw", frame, serving_log_buffer=2, serving_log_wait=0.05)
    ctx = Context(workspace="default", user="tester")
    try:
        platform.serving.deploy(ctx, "churn", "churn/1")
        outage = Outage(platform.tables.gate)
        platform.tables.gate = outage
        answers = [platform.serving.predict(ctx, "churn", [ROW]) for _ in range(10)]
        assert all(a.errors == [None] for a in answers)
        log = platform.serving.predictions
        unwritten = log.metrics.unwritten._value.get()
        assert 1 <= unwritten <= 8  # at most 2 queued and 2 in the failing batch are kept
        outage.down = False
        assert log.flush(timeout=30)
        written = sum(_ids(platform, ctx).values())
        assert written + unwritten == 10  # every request either written or counted
    finally:
        platform.close()


def test_a_commit_whose_answer_is_lost_is_not_written_twice(logged, monkeypatch) -> None:
    platform, ctx = logged
    write = platform.tables.write
    lost = []

    def commit_then_fail(ctx, name, data, **options):  # noqa: ANN001, ANN202, ANN003
        result = write(ctx, name, data, **options)
        if name == PREDICTIONS and not lost:
            lost.append(result.version)
            raise UnavailableError("the answer of the commit was lost (test)")
        return result

    monkeypatch.setattr(platform.tables, "write", commit_then_fail)
    answers = [platform.serving.predict(ctx, "churn", [ROW]) for _ in range(5)]
    assert platform.serving.predictions.flush(timeout=30)
    more = [platform.serving.predict(ctx, "churn", [ROW]) for _ in range(3)]
    assert platform.serving.predictions.flush(timeout=30)
    assert lost == [0]
    assert _ids(platform, ctx) == Counter({a.request_id: 1 for a in answers + more})


def test_close_writes_what_is_buffered(tmp_path: Path, frame: pd.DataFrame) -> None:
    platform = _platform(tmp_path / "lw", frame, serving_log_flush_interval=60)
    ctx = Context(workspace="default", user="tester")
    platform.serving.deploy(ctx, "churn", "churn/1")
    answers = [platform.serving.predict(ctx, "churn", [ROW]) for _ in range(3)]
    platform.close()
    again = _platform(tmp_path / "lw", frame)
    try:
        assert _ids(again, ctx) == Counter({a.request_id: 1 for a in answers})
    finally:
        again.close()


def test_the_setting_turns_the_log_off(tmp_path: Path, frame: pd.DataFrame) -> None:
    platform = _platform(tmp_path / "lw", frame, serving_log=False)
    ctx = Context(workspace="default", user="tester")
    try:
        platform.serving.deploy(ctx, "churn", "churn/1")
        platform.serving.predict(ctx, "churn", [ROW])
        assert platform.serving.predictions is None
        assert not platform.tables.exists(ctx, PREDICTIONS)
    finally:
        platform.close()


def test_online_features_and_their_view_versions_are_logged_per_row() -> None:
    import pyarrow as pa

    from lakeworks.serving.prediction import Prediction
    from lakeworks.serving.records import LogEntry, table_of_entries

    answer = Prediction("r1", "churn", 3, "live", "churn/2", [{"prediction": 1}, None], [None, "E"])
    entry = LogEntry(
        "default",
        answer,
        pa.table({"customer_id": [7, 8]}),
        "7",
        1.5,
        0,
        features=pa.table({"orders_30d": [4, 0]}),
        feature_views={"customer_stats": 2},
    )
    rows = table_of_entries([entry]).to_pylist()
    assert [(r["row"], r["inputs"], r["features"], r["output"], r["error"]) for r in rows] == [
        (0, '{"customer_id":7}', '{"orders_30d":4}', '{"prediction":1}', None),
        (1, '{"customer_id":8}', '{"orders_30d":0}', None, "E"),
    ]
    assert {r["feature_views"] for r in rows} == {'{"customer_stats":2}'}
    assert {(r["model"], r["model_version"], r["config_version"]) for r in rows} == {
        ("churn", 2, 3)
    }
