"""Cost reports: usage summed per group and priced by the settings' price list; storage
samples integrated into byte-hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lakeworks import limits
from lakeworks.config import Settings
from lakeworks.errors import InvalidInputError
from lakeworks.platform import Platform
from lakeworks.security.costs import Costs, since_time, storage_byte_hours
from lakeworks.security.ledger import UsageRecord

T0 = datetime(2026, 6, 1, tzinfo=UTC)
PRICES = {"task_cpu_hour": 2.0, "storage_gb_month": 73.0, "serving_million_requests": 1e6}


@pytest.fixture
def priced(tmp_path: Path) -> Platform:
    settings = Settings.load(home=tmp_path / "lw", progress=False, prices=PRICES)
    platform = Platform.open(settings)
    for ws in ("sales", "ops"):
        platform.catalog.create_workspace(ws, "tester")
    yield platform
    platform.close()


def _record(ws: str, user: str, pipeline: str | None, kind: str, amount: float, hours: float):
    return UsageRecord(ws, user, pipeline, kind, None, amount, T0 + timedelta(hours=hours))


def test_a_report_sums_usage_per_group_and_prices_it(priced: Platform) -> None:
    priced._ledger.add_usage(
        [
            _record("sales", "ann", "daily", limits.TASK_CPU_SECONDS, 3600, 1),
            _record("sales", "ann", "daily", limits.TASK_CPU_SECONDS, 1800, 2),
            _record("sales", "bob", None, limits.SERVING_REQUESTS, 3, 2),
            _record("ops", "cid", "hourly", limits.TASK_CPU_SECONDS, 7200, 3),
            _record("ops", "cid", "hourly", limits.TASK_PEAK_MEMORY_BYTES, 2e9, 3),
            _record("ops", "cid", "hourly", limits.TASK_PEAK_MEMORY_BYTES, 5e9, 4),
            _record("sales", "ann", "daily", limits.TASK_CPU_SECONDS, 999, 30),  # after until
        ]
    )
    report = priced.costs.report(("workspace", "user"), since=T0, until=T0 + timedelta(hours=24))
    lines = {tuple(line.group.values()): line for line in report.lines}
    assert set(lines) == {("sales", "ann"), ("sales", "bob"), ("ops", "cid")}
    ann, bob, cid = lines["sales", "ann"], lines["sales", "bob"], lines["ops", "cid"]
    assert ann.quantities["task_cpu_hours"] == 1.5 and ann.costs["task_cpu_hour"] == 3.0
    assert bob.quantities["serving_requests"] == 3 and bob.total == 3.0
    assert cid.quantities["task_peak_memory_gb"] == 5  # the largest, not a sum
    assert cid.total == 4.0
    assert report.total == pytest.approx(3.0 + 3.0 + 4.0)
    by_pipeline = priced.costs.report("pipeline", since=T0, until=T0 + timedelta(hours=24))
    assert {line.group["pipeline"]: line.total for line in by_pipeline.lines} == {
        "daily": 3.0,
        "hourly": 4.0,
        None: 3.0,
    }
    only_ops = priced.costs.report(since=T0, until=T0 + timedelta(hours=24), workspace="ops")
    assert [line.group for line in only_ops.lines] == [{"workspace": "ops"}]


def test_storage_samples_become_byte_hours_each_held_until_the_next(priced: Platform) -> None:
    kind = "storage_table_bytes"
    priced._ledger.add_usage(
        [
            _record("sales", "-", None, kind, 1e9, 0),  # 1 GB for 2 h
            _record("sales", "-", None, kind, 3e9, 2),  # 3 GB for 4 h (until the end)
            _record("sales", "-", None, "storage_online_bytes", 1e9, 5),  # 1 GB for 1 h
        ]
    )
    until = T0 + timedelta(hours=6)
    report = priced.costs.report(since=T0 + timedelta(hours=1), until=until)
    [line] = report.lines
    assert line.quantities["storage_gb_hours"] == pytest.approx(1 + 12 + 1)  # from hour 1 on
    assert line.costs["storage_gb_month"] == pytest.approx(14 / 730 * 73)


def test_byte_hours_of_series_clip_to_the_window() -> None:
    kind = "storage_table_bytes"
    samples = [
        UsageRecord("a", "-", None, kind, None, 3600.0, T0),
        UsageRecord("a", "-", None, kind, None, 0.0, T0 + timedelta(hours=1)),
    ]
    hours = storage_byte_hours(samples, T0 - timedelta(hours=5), T0 + timedelta(hours=5))
    assert hours == {"a": 3600.0}
    assert storage_byte_hours(samples, T0 + timedelta(minutes=30), T0 + timedelta(hours=2)) == {
        "a": 1800.0
    }


def test_bad_groups_spans_and_prices_are_refused_with_the_choices(priced: Platform) -> None:
    with pytest.raises(InvalidInputError, match="cannot group costs by team") as excinfo:
        priced.costs.report("workspace,team")
    assert excinfo.value.fields["expected"] == ["workspace", "user", "pipeline"]
    for since in ("last week", "99999999999d", ""):
        with pytest.raises(InvalidInputError, match="cannot read since="):
            priced.costs.report(since=since)
    settings = priced.settings.model_copy(update={"prices": {"gpu_hour": 3.0}})
    with pytest.raises(InvalidInputError, match="gpu_hour"):
        Costs(priced._ledger, priced.usage, settings)


def test_since_reads_spans_and_iso_times() -> None:
    until = datetime(2026, 6, 30, tzinfo=UTC)
    assert since_time("30d", until) == datetime(2026, 5, 31, tzinfo=UTC)
    assert since_time("12h", until) == until - timedelta(hours=12)
    assert since_time("2026-06-01", until) == T0


def test_quotas_usage_and_costs_on_postgresql(postgres_catalog: str, tmp_path: Path) -> None:
    settings = Settings.load(home=tmp_path / "lw", metadata_url=postgres_catalog, progress=False)
    platform = Platform.open(settings)
    try:
        platform.catalog.create_workspace("sales", "tester")
        from lakeworks.context import Context

        ctx = Context("sales", "ann")
        platform.quotas.set(ctx, limits.TABLES, 4)
        assert {q.name: q.limit for q in platform.quotas.show(ctx)}["tables"] == 4
        platform._ledger.add_usage(
            [_record("sales", "ann", "daily", limits.TASK_CPU_SECONDS, 7200, 1)]
        )
        report = platform.costs.report(("user",), since=T0, until=T0 + timedelta(hours=2))
        assert [(line.group, line.quantities["task_cpu_hours"]) for line in report.lines] == [
            ({"user": "ann"}, 2.0)
        ]
    finally:
        platform.close()
