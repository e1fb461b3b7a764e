"""Retention: old versions vacuumed and old rows expired by rule, on demand and on a
schedule, each action recorded with the bytes it freed."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from lakeworks.cli.app import app as cli_app
from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.platform import Platform
from lakeworks.protection.retention import bytes_freed
from lakeworks.protection.schedule import RetentionSchedule

TINY = 1e-6  # days: about 0.09 s


def parquet_bytes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in folder.glob("*.parquet")}


@pytest.fixture
def rewritten(platform: Platform, ctx: Context) -> Path:
    """Table ``t`` overwritten three times: four versions, three of them stale."""
    for i in range(4):
        data = pa.table({"n": list(range(i * 1000, (i + 1) * 1000))})
        platform.tables.write(ctx, "t", data, mode="overwrite")
    return Path(platform.tables.entry(ctx, "t").location.removeprefix("file://"))


def test_old_versions_are_vacuumed_and_the_bytes_counted(
    platform: Platform, ctx: Context, rewritten: Path
) -> None:
    before = parquet_bytes(rewritten)
    platform.retention.set(ctx, "t", versions_days=TINY)
    time.sleep(0.2)
    [run] = platform.retention.run(ctx)
    after = parquet_bytes(rewritten)
    gone = {name: size for name, size in before.items() if name not in after}
    assert (run.kind, run.files_removed, run.bytes_freed) == ("vacuum", 3, sum(gone.values()))
    assert platform.tables.read(ctx, "t").num_rows == 1000  # the current version stays
    assert bytes_freed(platform.catalog) == {"default": run.bytes_freed}
    assert platform.retention.runs(ctx)[0] == run


def test_versions_within_the_retention_are_kept(
    platform: Platform, ctx: Context, rewritten: Path
) -> None:
    platform.retention.set(ctx, "t", versions_days=30)
    [run] = platform.retention.run(ctx)
    assert (run.files_removed, run.bytes_freed) == (0, 0)
    assert platform.tables.read(ctx, "t", version=0).num_rows == 1000


def test_rows_older_than_the_rule_expire(platform: Platform, ctx: Context) -> None:
    now = datetime.now(UTC)
    stamps = [now - timedelta(days=90), now - timedelta(days=40), now - timedelta(days=1)]
    platform.tables.create(ctx, "predictions", pa.table({"at": stamps, "y": [1, 2, 3]}))
    platform.retention.set(ctx, "predictions", rows_days=30, rows_column="at")
    [run] = platform.retention.run(ctx, "predictions")
    assert (run.kind, run.rows_expired) == ("expire", 2)
    assert platform.tables.read(ctx, "predictions").column("y").to_pylist() == [3]


def test_quarantined_rows_expire_by_their_time(
    platform: Platform, ctx: Context, tmp_path: Path
) -> None:
    csv = tmp_path / "orders.csv"
    csv.write_text("id,amount\n1,10\n2,oops\n3,30\n")
    loaded = platform.ingest.load(ctx, str(csv), "orders", schema={"amount": "DOUBLE"})
    assert loaded.rows_quarantined == 1
    rule = platform.retention.set(ctx, "orders__quarantine", rows_days=TINY)
    assert rule.rows_column == "quarantined_at"
    time.sleep(0.2)
    [run] = platform.retention.run(ctx)
    assert run.rows_expired == 1
    assert platform.tables.read(ctx, "orders__quarantine").num_rows == 0
    assert platform.tables.read(ctx, "orders").num_rows == 2


def test_a_failing_rule_is_recorded_and_the_others_run(
    platform: Platform, ctx: Context, rewritten: Path
) -> None:
    platform.tables.create(ctx, "gone", pa.table({"n": [1]}))
    platform.retention.set(ctx, "gone", versions_days=1)
    platform.retention.set(ctx, "t", versions_days=30)
    platform.tables.drop(ctx, "gone")
    runs = {r.table: r for r in platform.retention.run(ctx)}
    assert runs["gone"].kind == "failed" and "gone" in (runs["gone"].error or "")
    assert runs["t"].kind == "vacuum"


def test_gc_is_recorded_with_the_bytes_it_freed(platform: Platform, ctx: Context) -> None:
    platform.retention.gc(ctx)
    [run] = platform.retention.runs(ctx)
    assert (run.kind, run.table, run.bytes_freed) == ("gc", None, 0)


def test_the_schedule_runs_every_workspace(
    platform: Platform, ctx: Context, rewritten: Path
) -> None:
    platform.retention.set(ctx, "t", versions_days=TINY)
    schedule = RetentionSchedule(platform.retention, interval=0.1).start()
    try:
        deadline = time.monotonic() + 20
        while schedule.rounds < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        schedule.stop()
    assert schedule.rounds >= 1
    runs = platform.retention.runs(ctx)
    assert runs and runs[-1].ran_by == "lakeworks-retention"
    assert sum(r.files_removed for r in runs) == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "needs versions_days or rows_days"),
        ({"versions_days": 0}, "versions_days of table 't' must be more than 0"),
        ({"rows_days": -1, "rows_column": "n"}, "rows_days of table 't' must be more than 0"),
        ({"rows_days": 5}, "rows_days of table 't' needs rows_column"),
        ({"rows_days": 5, "rows_column": "x"}, "'x' is not one"),
        ({"rows_days": 5, "rows_column": "n"}, "rows_column 'n' of table 't' is int64"),
    ],
)
def test_bad_rules_are_refused(
    platform: Platform, ctx: Context, rewritten: Path, options: dict, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        platform.retention.set(ctx, "t", **options)
    assert platform.retention.rules(ctx) == []


def test_unknown_tables_and_rules_are_not_found(platform: Platform, ctx: Context) -> None:
    with pytest.raises(NotFoundError, match="nope"):
        platform.retention.set(ctx, "nope", versions_days=1)
    with pytest.raises(NotFoundError, match="table 'nope' has no retention rule"):
        platform.retention.run(ctx, "nope")
    with pytest.raises(NotFoundError, match="table 'nope' has no retention rule"):
        platform.retention.remove(ctx, "nope")


def test_the_cli_sets_lists_and_runs_rules(tmp_path: Path) -> None:
    runner, home = CliRunner(), ["--home", str(tmp_path / "lw")]
    csv = tmp_path / "e.csv"
    csv.write_text("id,at\n1,2020-01-01T00:00:00Z\n2,2999-01-01T00:00:00Z\n")
    assert runner.invoke(cli_app, [*home, "ingest", str(csv), "--table", "e"]).exit_code == 0
    done = runner.invoke(
        cli_app, [*home, "retention", "set", "e", "--rows-days", "30", "--rows-column", "at"]
    )
    assert "retention of e: rows 30 days" in done.output, done.output
    ran = runner.invoke(cli_app, [*home, "retention", "run"])
    assert "e expire: 1 rows expired" in ran.output
    listed = runner.invoke(cli_app, [*home, "retention", "runs"])
    assert "expire" in listed.output
    gc = runner.invoke(cli_app, [*home, "gc"])
    assert gc.exit_code == 0 and "gc" in runner.invoke(cli_app, [*home, "retention", "runs"]).output
