"""Each quota is enforced where its resource is taken, with an error naming the quota,
its limit and the current use; a quota reached mid-load leaves nothing written."""

from __future__ import annotations

import pyarrow as pa
import pytest

from lakeworks import limits
from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, NotFoundError, QuotaExceededError
from lakeworks.platform import Platform

ROWS = pa.table({"id": list(range(100)), "name": [f"n{i}" for i in range(100)]})


def batches(rows: int, per_batch: int = 10_000) -> pa.RecordBatchReader:
    data = pa.table({"id": list(range(rows))})
    return pa.RecordBatchReader.from_batches(data.schema, data.to_batches(per_batch))


def refused(excinfo: pytest.ExceptionInfo, quota: str, limit: float) -> dict:
    fields = excinfo.value.fields
    assert fields["quota"] == quota and fields["limit"] == limit
    assert fields["workspace"] == "default"
    assert quota in str(excinfo.value) and "limit" in str(excinfo.value)
    return fields


def test_the_tables_quota_refuses_a_new_table_and_names_the_use(
    platform: Platform, ctx: Context
) -> None:
    platform.quotas.set(ctx, limits.TABLES, 2)
    platform.tables.create(ctx, "a", ROWS)
    platform.tables.create(ctx, "b", ROWS)
    with pytest.raises(QuotaExceededError) as excinfo:
        platform.tables.create(ctx, "c", ROWS)
    assert refused(excinfo, limits.TABLES, 2)["used"] == 2
    assert [t.name for t in platform.tables.list(ctx)] == ["a", "b"]
    platform.tables.write(ctx, "a", ROWS)  # writing an existing table takes no new one
    platform.tables.drop(ctx, "b")  # a drop in this process counts at once
    platform.tables.create(ctx, "c", ROWS)


def test_a_storage_quota_reached_mid_append_leaves_the_table_as_it_was(
    platform: Platform, ctx: Context
) -> None:
    platform.tables.create(ctx, "events", ROWS)
    used = platform._measures.table_bytes("default")
    platform.quotas.set(ctx, limits.STORAGE_BYTES, used + 500_000)
    with pytest.raises(QuotaExceededError) as excinfo:  # 25 batches of 80 kB each
        platform.tables.write(ctx, "events", batches(250_000))
    fields = refused(excinfo, limits.STORAGE_BYTES, used + 500_000)
    assert fields["used"] == used and fields["requested"] == 7 * 80_000  # the 7th batch
    assert platform.tables.open(ctx, "events").version() == 0
    assert platform.tables.read(ctx, "events").num_rows == 100
    platform.tables.write(ctx, "events", batches(1000))  # a small write still fits
    assert platform.tables.read(ctx, "events").num_rows == 1100


def test_a_storage_quota_reached_creating_a_table_leaves_no_table(
    platform: Platform, ctx: Context
) -> None:
    platform.quotas.set(ctx, limits.STORAGE_BYTES, 100_000)
    with pytest.raises(QuotaExceededError, match="storage_bytes quota"):
        platform.tables.write(ctx, "big", batches(200_000))
    assert not platform.tables.exists(ctx, "big")
    with pytest.raises(NotFoundError):
        platform.tables.entry(ctx, "big")
    assert platform._measures.table_bytes("default") == 0


def test_a_storage_quota_refuses_an_upsert_atomically(platform: Platform, ctx: Context) -> None:
    platform.tables.create(ctx, "keyed", pa.table({"id": [1, 2], "v": [1.0, 2.0]}))
    platform.quotas.set(ctx, limits.STORAGE_BYTES, platform._measures.table_bytes("default") + 10)
    with pytest.raises(QuotaExceededError):
        platform.tables.upsert(ctx, "keyed", pa.table({"id": [2, 3], "v": [5.0, 6.0]}), ["id"])
    assert platform.tables.read(ctx, "keyed").to_pylist() == [
        {"id": 1, "v": 1.0},
        {"id": 2, "v": 2.0},
    ]


def test_the_concurrent_runs_quota_fails_the_run_with_the_reason(
    platform: Platform, ctx: Context, register
) -> None:  # noqa: ANN001
    register(
        """
        p = Pipeline("calc")

        @p.task
        def one():
            return 1
        """
    )
    platform.quotas.set(ctx, limits.CONCURRENT_RUNS, 0)
    with pytest.raises(QuotaExceededError) as excinfo:
        platform.pipelines.run(ctx, "calc")
    refused(excinfo, limits.CONCURRENT_RUNS, 0)
    run = platform.pipelines.runs(ctx, "calc")[0]
    assert run.state == "failed" and "concurrent_runs quota" in run.error
    platform.quotas.set(ctx, limits.CONCURRENT_RUNS, 1)
    assert platform.pipelines.run(ctx, "calc").state == "succeeded"


def test_the_task_cpu_quota_refuses_a_run_once_the_day_is_spent(
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
        """
    )
    assert platform.pipelines.run(ctx, "burn").state == "succeeded"
    spent = platform._measures.cpu_seconds_today("default")
    assert spent >= 0.05
    platform.quotas.set(ctx, limits.TASK_CPU_SECONDS_PER_DAY, spent / 2)
    with pytest.raises(QuotaExceededError) as excinfo:
        platform.pipelines.run(ctx, "burn")
    assert refused(excinfo, limits.TASK_CPU_SECONDS_PER_DAY, spent / 2)["used"] == spent


def test_the_requests_per_second_quota_counts_this_second(platform: Platform) -> None:
    quotas, now = platform.quotas, [100.0]
    quotas.rates.clock = lambda: now[0]
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    quotas.set(Context("default", "tester"), limits.SERVING_REQUESTS_PER_SECOND, 3)
    for _ in range(3):
        quotas.check("default", limits.SERVING_REQUESTS_PER_SECOND, adding=1)
    with pytest.raises(QuotaExceededError) as excinfo:
        quotas.check("default", limits.SERVING_REQUESTS_PER_SECOND, adding=1)
    assert excinfo.value.fields["used"] == 3
    now[0] = 101.0  # the next second starts a new count
    quotas.check("default", limits.SERVING_REQUESTS_PER_SECOND, adding=1)


def test_set_refuses_an_unknown_quota_or_a_negative_limit(platform: Platform, ctx: Context) -> None:
    with pytest.raises(InvalidInputError, match="unknown quota 'disk'") as excinfo:
        platform.quotas.set(ctx, "disk", 1)
    assert "storage_bytes" in excinfo.value.hint
    with pytest.raises(InvalidInputError, match=">= 0"):
        platform.quotas.set(ctx, limits.TABLES, -1)
    with pytest.raises(NotFoundError):
        platform.quotas.show(Context("nowhere", "tester"))


def test_show_gives_every_quota_with_limit_and_use(platform: Platform, ctx: Context) -> None:
    platform.tables.create(ctx, "a", ROWS)
    platform.quotas.set(ctx, limits.TABLES, 10)
    shown = {q.name: q for q in platform.quotas.show(ctx)}
    assert list(shown) == list(limits.QUOTAS)
    assert (shown["tables"].limit, shown["tables"].used) == (10, 1)
    assert shown["storage_bytes"].limit is None and shown["storage_bytes"].used > 0
    platform.quotas.set(ctx, limits.TABLES, None)
    assert platform.quotas.limit("default", limits.TABLES) is None


# the cache rules of security.quotas -----------------------------------------------------
def test_a_limit_set_by_another_process_applies_within_the_cache_seconds(
    platform: Platform, ctx: Context
) -> None:
    quotas, now = platform.quotas, [0.0]
    quotas._clock = lambda: now[0]
    assert quotas.limit("default", limits.TABLES) is None  # cached for this time slot
    platform._ledger.set_limit("default", limits.TABLES, 5, "other")  # as another process
    assert quotas.limit("default", limits.TABLES) is None
    now[0] = platform.settings.quota_cache_seconds  # the next slot reads it again
    assert quotas.limit("default", limits.TABLES) == 5


def test_what_this_process_takes_counts_at_once_until_the_next_measure(
    platform: Platform, ctx: Context
) -> None:
    quotas, now = platform.quotas, [0.0]
    quotas._clock = lambda: now[0]  # one time slot until the test moves the clock
    platform.tables.create(ctx, "a", ROWS)
    quotas.set(ctx, limits.STORAGE_BYTES, 10**9)
    first = quotas._used("default", limits.STORAGE_BYTES)
    assert first == platform._measures.table_bytes("default")
    platform.tables.write(ctx, "a", batches(1000))  # 8,000 Arrow bytes streamed
    assert quotas._used("default", limits.STORAGE_BYTES) == first + 8000
    now[0] = platform.settings.quota_cache_seconds  # the next slot measures the files
    assert quotas._used("default", limits.STORAGE_BYTES) == platform._measures.table_bytes(
        "default"
    )


def test_use_measured_by_another_process_is_seen_within_the_cache_seconds(
    platform: Platform, ctx: Context
) -> None:
    quotas, now = platform.quotas, [0.0]
    quotas._clock = lambda: now[0]
    quotas.set(ctx, limits.TABLES, 1)
    quotas.check("default", limits.TABLES, adding=1)  # 0 tables: cached
    platform.catalog.add_table("default", "elsewhere", "/nowhere", "other", None)
    quotas.check("default", limits.TABLES, adding=1)  # still the cached 0
    now[0] = platform.settings.quota_cache_seconds
    with pytest.raises(QuotaExceededError):
        quotas.check("default", limits.TABLES, adding=1)


def test_show_gives_the_cached_use_with_its_age_until_the_next_slot(
    platform: Platform, ctx: Context
) -> None:
    """``show`` reads the figures checks use: within a slot a table made by another
    process is not counted yet (and the age says how old the figure is), this process's
    own tables count at once, and the next slot counts again."""
    quotas, now = platform.quotas, [0.0]
    quotas._clock = lambda: now[0]
    shown = {q.name: q for q in quotas.show(ctx)}
    assert (shown["tables"].used, shown["tables"].age) == (0, 0.0)
    assert shown["concurrent_runs"].age is None  # measured for this answer
    platform.catalog.add_table("default", "elsewhere", "/nowhere", "other", None)
    platform.tables.create(ctx, "mine", ROWS)  # taken here: counted at once
    now[0] = 3.0
    shown = {q.name: q for q in quotas.show(ctx)}
    assert (shown["tables"].used, shown["tables"].age) == (1, 3.0)
    assert shown["storage_bytes"].used == 0 + _taken_bytes(quotas)
    now[0] = platform.settings.quota_cache_seconds  # the next slot measures again
    shown = {q.name: q for q in quotas.show(ctx)}
    assert (shown["tables"].used, shown["tables"].age) == (2, 0.0)
    assert shown["storage_bytes"].used == platform._measures.table_bytes("default")


def _taken_bytes(quotas) -> float:  # noqa: ANN001
    return sum(amount for _, amount in quotas._recent.get(("default", limits.STORAGE_BYTES), ()))


def test_a_load_that_reaches_the_storage_quota_is_recorded_failed_and_writes_nothing(
    platform: Platform, ctx: Context, tmp_path
) -> None:  # noqa: ANN001
    first, more = tmp_path / "orders.csv", tmp_path / "more.csv"
    for path, start in ((first, 0), (more, 50_000)):
        lines = (f"{i},note {i}\n" for i in range(start, start + 50_000))
        path.write_text("id,note\n" + "".join(lines))
    platform.ingest.load(ctx, first, "orders", chunk_size=5_000)
    rows, version = 50_000, platform.tables.open(ctx, "orders").version()
    platform.quotas.set(ctx, limits.STORAGE_BYTES, platform._measures.table_bytes("default") + 1)
    with pytest.raises(QuotaExceededError, match="storage_bytes quota"):
        platform.ingest.load(ctx, more, "orders", chunk_size=5_000, mode="append")
    assert platform.tables.open(ctx, "orders").version() == version
    assert platform.tables.read(ctx, "orders").num_rows == rows
    last = platform.catalog.loads("default", "orders")[-1]
    assert last.status == "failed" and "storage_bytes quota" in last.error
