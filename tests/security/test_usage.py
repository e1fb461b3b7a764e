"""Usage is metered by the real work: a pipeline run, a SQL query, a prediction; it is
written in batches; storage is sampled per store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from lakeworks import limits
from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.errors import QuotaExceededError, UnavailableError
from lakeworks.platform import Platform
from lakeworks.security.ledger import Ledger
from lakeworks.security.usage import Usage
from tests.security.conftest import usage_of
from tests.serving.conftest import _fit, frame  # noqa: F401 - the frame fixture


def test_a_pipeline_run_meters_each_task_cpu_and_peak_memory(
    platform: Platform, ctx: Context, register
) -> None:  # noqa: ANN001
    register(
        """
        p = Pipeline("burn")

        @p.task
        def spin():
            end = time.thread_time() + 0.05
            while time.thread_time() < end:
                pass

        @p.task
        def after(spin):
            return 1
        """
    )
    run = platform.pipelines.run(ctx, "burn")
    cpu = {r.obj: r for r in usage_of(platform, limits.TASK_CPU_SECONDS)}
    assert set(cpu) == {"spin", "after"}
    spin = cpu["spin"]
    assert (spin.workspace, spin.user, spin.pipeline) == ("default", "tester", "burn")
    assert spin.amount == pytest.approx(run.task("spin").cpu_seconds) and spin.amount >= 0.05
    peaks = usage_of(platform, limits.TASK_PEAK_MEMORY_BYTES)
    assert {p.obj for p in peaks} == {"spin", "after"} and all(p.amount > 0 for p in peaks)


def test_a_sql_query_meters_the_bytes_of_the_files_it_reads(
    platform: Platform, ctx: Context
) -> None:
    platform.tables.create(ctx, "a", pa.table({"x": list(range(1000))}))
    platform.tables.write(ctx, "a", pa.table({"x": list(range(10))}))
    size = platform.tables.describe(ctx, "a").size_bytes
    platform.sql.query(ctx, "select sum(x) from a").arrow()
    [scanned] = usage_of(platform, limits.SQL_SCANNED_BYTES)
    assert (scanned.user, scanned.obj, scanned.amount) == ("tester", "a", size)


@pytest.fixture
def served(tmp_path: Path, frame: pd.DataFrame) -> Iterator[tuple[Platform, Context]]:  # noqa: F811
    platform = Platform.open(Settings.load(home=tmp_path / "lw", progress=False))
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    ctx = Context("default", "tester")
    platform.registry.register(ctx, "churn", model=_fit(frame, False), training_data=frame)
    platform.serving.deploy(ctx, "churn", "churn/1")
    yield platform, ctx
    platform.close()


def test_predictions_meter_requests_and_cpu_and_obey_the_rate(
    served: tuple[Platform, Context],
) -> None:
    platform, ctx = served
    row = {"age": 40, "income": 70.0}
    for _ in range(3):
        platform.serving.predict(ctx, "churn", [row, row])
    [requests] = usage_of(platform, limits.SERVING_REQUESTS)
    assert (requests.amount, requests.obj, requests.user) == (3, "churn", "tester")
    [cpu] = usage_of(platform, limits.SERVING_CPU_SECONDS)
    assert cpu.amount > 0
    platform.quotas._clock = lambda: 7.0  # all in one second
    platform.quotas.set(ctx, limits.SERVING_REQUESTS_PER_SECOND, 1)
    platform.serving.predict(ctx, "churn", [row])
    with pytest.raises(QuotaExceededError, match="serving_requests_per_second"):
        platform.serving.predict(ctx, "churn", [row])


def test_usage_waits_in_memory_until_a_batch_is_due(platform: Platform, ctx: Context) -> None:
    settings = platform.settings.model_copy(
        update={"usage_flush_size": 2, "usage_flush_seconds": 3600}
    )
    usage = Usage(Ledger(platform.catalog), platform._measures, settings)
    for _ in range(5):  # one group: added up in memory
        usage.record(ctx, limits.SERVING_REQUESTS, 1, obj="a")
    assert platform._ledger.totals(*_all_time(), [limits.SERVING_REQUESTS], None) == []
    usage.record(ctx, limits.SERVING_REQUESTS, 1, obj="b")  # a second group: due
    totals = platform._ledger.totals(*_all_time(), [limits.SERVING_REQUESTS], None)
    assert [(t.total, t.largest) for t in totals] == [(6, 5)]
    usage.record(ctx, limits.SERVING_REQUESTS, 1, obj="a")
    usage.close()  # closing writes what waits
    totals = platform._ledger.totals(*_all_time(), [limits.SERVING_REQUESTS], None)
    assert [t.total for t in totals] == [7]


def test_a_batch_is_written_once_the_flush_seconds_passed(platform: Platform, ctx: Context) -> None:
    settings = platform.settings.model_copy(update={"usage_flush_seconds": 0.01})
    usage = Usage(Ledger(platform.catalog), platform._measures, settings)
    usage._flushed -= 1  # the interval has passed
    usage.record(ctx, limits.SQL_SCANNED_BYTES, 10, obj="t")
    assert [
        t.total for t in platform._ledger.totals(*_all_time(), [limits.SQL_SCANNED_BYTES], None)
    ] == [10]


def test_a_sample_records_the_bytes_of_each_store(platform: Platform, ctx: Context) -> None:
    platform.tables.create(ctx, "a", pa.table({"x": list(range(1000))}))
    samples = {s.kind: s for s in platform.usage.sample(["default"])}
    assert samples["storage_table_bytes"].amount == platform._measures.table_bytes("default") > 0
    assert samples["storage_artifact_bytes"].amount == 0
    assert samples["storage_online_bytes"].amount == 0
    assert {s.user for s in samples.values()} == {"-"}


def _all_time() -> tuple:
    from datetime import UTC, datetime

    return datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


def test_a_failed_write_of_usage_keeps_it_and_never_fails_the_caller(
    platform: Platform, ctx: Context
) -> None:
    settings = platform.settings.model_copy(update={"usage_flush_size": 1})
    ledger = Ledger(platform.catalog)
    usage = Usage(ledger, platform._measures, settings)

    def down(records: object) -> None:
        raise UnavailableError("the catalog is down")

    ledger.add_usage = down  # the catalog is down for this instance only
    usage.record(ctx, limits.SERVING_REQUESTS, 1, obj="a")  # due at once: fails, kept
    usage.record(ctx, limits.SERVING_REQUESTS, 1, obj="a")
    del ledger.add_usage  # back up
    usage.flush()
    totals = platform._ledger.totals(*_all_time(), [limits.SERVING_REQUESTS], None)
    assert [t.total for t in totals] == [2]
