"""The exactly-once sink into Delta, on both event log backends: rows equal events,
restarts skip what was committed, bad events are quarantined with their payloads, a
failed commit acknowledges nothing and the batch is delivered again."""

from __future__ import annotations

import json

import pytest

import lakeworks as lw
from lakeworks.errors import ConflictError, DataQualityError, InvalidInputError
from lakeworks.lake.tables import Tables
from lakeworks.quality import checks as qc
from lakeworks.streams import sink as sink_module

from .conftest import clicks

APP = "lakeworks.stream:clicks:clicks_sink"


def ids(ws: lw.Workspace, table: str = "clicks") -> list[int]:
    return sorted(ws.read(table, columns=["id"]).column("id").to_pylist())


def test_events_land_once_with_the_position_in_the_delta_log(sws: lw.Workspace) -> None:
    sws.streams.publish("clicks", clicks(250))
    result = sws.streams.ingest("clicks", "clicks", once=True, max_batch=100)
    assert (result.batches, result.events, result.written) == (3, 250, 250)
    assert ids(sws) == list(range(250))
    assert sws.read("clicks").num_rows == 250
    last = sws.streams.tail("clicks", 1)[0]
    dt = sws.platform.tables.open(sws.ctx, "clicks")
    assert dt.transaction_version(APP) == last.offset
    lag = sws.streams.lag("clicks", "clicks_sink")
    assert (lag.lag, lag.pending) == (0, 0)
    sws.streams.publish("clicks", clicks(5, 250))
    again = sws.streams.ingest("clicks", "clicks", once=True)
    assert (again.events, again.written) == (5, 5)
    assert ids(sws) == list(range(255))


def test_a_batch_committed_but_not_acknowledged_is_skipped_on_restart(
    sws: lw.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a sink killed between commit and ack leaves: the batch pending, committed."""
    sws.streams.publish("clicks", clicks(40))

    def crash(position: int) -> None:
        raise KeyboardInterrupt  # stands in for the process dying after the commit

    monkeypatch.setattr(sink_module, "AFTER_COMMIT", [crash])
    with pytest.raises(KeyboardInterrupt):
        sws.streams.ingest("clicks", "clicks", once=True, max_batch=30)
    assert sws.streams.lag("clicks", "clicks_sink").pending == 30
    assert sws.read("clicks").num_rows == 30
    monkeypatch.setattr(sink_module, "AFTER_COMMIT", [])
    result = sws.streams.ingest("clicks", "clicks", once=True, max_batch=30)
    assert (result.events, result.skipped, result.written) == (40, 30, 10)
    assert ids(sws) == list(range(40))
    assert sws.streams.lag("clicks", "clicks_sink").pending == 0


def test_bad_events_are_quarantined_with_payload_and_reason(sws: lw.Workspace) -> None:
    good = clicks(3)
    sws.streams.publish(
        "clicks",
        [
            good[0],
            "not json {",
            b"\xff\xfe binary",
            "[1, 2]",
            {"user_id": 5},
            {"id": None, "page": "/x"},
            good[1],
            '{"id": "seven", "page": "/y"}',
            good[2],
        ],
    )
    result = sws.streams.ingest("clicks", "clicks", once=True, required=["id"])
    assert (result.events, result.written, result.quarantined) == (9, 3, 6)
    assert ids(sws) == [0, 1, 2]
    bad = sws.read("clicks__quarantine").to_pylist()
    by_text = {row["raw_record"]: row for row in bad}
    assert by_text["not json {"]["reason"].startswith("not JSON")
    assert "not a JSON object: found a JSON list" in by_text["[1, 2]"]["reason"]
    assert by_text['{"user_id":5}']["reason"] == "missing required field(s) ['id']"
    assert by_text['{"user_id":5}']["columns"] == "id"
    assert "missing required field(s) ['id']" in by_text['{"id":null,"page":"/x"}']["reason"]
    binary = next(row for row in bad if row["raw_bytes"] == b"\xff\xfe binary")
    assert binary["reason"].startswith("not JSON")
    assert {row["source"] for row in bad} == {"stream:clicks"}
    assert all(row["line"] is not None for row in bad)
    # the batch's first good event typed the new table's id column as int64
    seven = by_text['{"id": "seven", "page": "/y"}']
    assert seven["reason"] == "column 'id': expected int64, found \"seven\""
    assert len(bad) == 6


def test_a_value_that_does_not_fit_the_tables_column_is_quarantined(sws: lw.Workspace) -> None:
    sws.streams.publish("clicks", clicks(2))
    sws.streams.ingest("clicks", "clicks", once=True)
    sws.streams.publish("clicks", [{"id": 2, "price": "cheap"}, clicks(1, 3)[0]])
    result = sws.streams.ingest("clicks", "clicks", once=True)
    assert (result.written, result.quarantined) == (1, 1)
    row = sws.read("clicks__quarantine").to_pylist()[0]
    assert row["reason"] == "column 'price': expected double, found \"cheap\""
    assert row["columns"] == "price"
    assert json.loads(row["raw_record"]) == {"id": 2, "price": "cheap"}
    assert ids(sws) == [0, 1, 3]


def test_a_failed_commit_leaves_the_position_and_the_batch_is_delivered_again(
    sws: lw.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    sws.streams.publish("clicks", clicks(20))
    real = Tables.write

    def failing(self: Tables, *args: object, **kwargs: object) -> object:
        raise InvalidInputError("disk full (injected)")

    monkeypatch.setattr(Tables, "write", failing)
    with pytest.raises(InvalidInputError, match="disk full"):
        sws.streams.ingest("clicks", "clicks", once=True)
    info = sws.streams.lag("clicks", "clicks_sink")
    assert (info.lag, info.pending) == (0, 20)  # delivered, not acknowledged
    assert not sws.platform.tables.exists(sws.ctx, "clicks")
    monkeypatch.setattr(Tables, "write", real)
    result = sws.streams.ingest("clicks", "clicks", once=True)
    assert (result.events, result.written, result.skipped) == (20, 20, 0)
    assert ids(sws) == list(range(20))
    assert sws.streams.lag("clicks", "clicks_sink").pending == 0


def test_a_transient_failure_is_retried_without_loss(
    sws: lw.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    sws.streams.publish("clicks", clicks(10))
    real, calls = Tables.write, []

    def flaky(self: Tables, *args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise ConflictError("a concurrent change won (injected)")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Tables, "write", flaky)
    monkeypatch.setattr("lakeworks.streams.service.RETRY_WAIT", 0.01)
    result = sws.streams.ingest("clicks", "clicks", once=True)
    assert len(calls) == 2
    assert (result.events, result.written) == (10, 10)
    assert ids(sws) == list(range(10))


def test_a_quality_gate_refusing_a_batch_keeps_it_pending(sws: lw.Workspace) -> None:
    sws.create_table("clicks", clicks(1, 1000))
    sws.quality.add("clicks", [qc.row_count(max=5)])
    sws.streams.publish("clicks", clicks(10))
    with pytest.raises(DataQualityError):
        sws.streams.ingest("clicks", "clicks", once=True)
    assert sws.read("clicks").num_rows == 1
    assert sws.streams.lag("clicks", "clicks_sink").pending == 10
    sws.quality.remove("clicks", sws.quality.list("clicks")[0].name)
    result = sws.streams.ingest("clicks", "clicks", once=True)
    assert result.written == 10
    assert ids(sws) == [*range(10), 1000]


def test_rows_the_gate_holds_are_counted_as_quarantined(sws: lw.Workspace) -> None:
    sws.create_table("clicks", clicks(1, 1000))
    sws.quality.add("clicks", [qc.between("price", max=1.0)])
    sws.streams.publish("clicks", clicks(8))  # prices 0 .. 1.75
    result = sws.streams.ingest("clicks", "clicks", once=True)
    assert (result.events, result.written, result.quarantined) == (8, 5, 3)
    assert sws.read("clicks").num_rows == 6
    held = sws.read("clicks__quarantine").to_pylist()
    assert len(held) == 3 and all(r["reason"].startswith("check") for r in held)


def test_the_table_records_the_stream_as_its_source(sws: lw.Workspace) -> None:
    sws.streams.publish("clicks", clicks(3))
    sws.streams.ingest("clicks", "clicks", once=True)
    upstream = sws.lineage("clicks").to_dict()["upstream"]
    assert [(e["source"]["kind"], e["source"]["name"]) for e in upstream] == [
        ("stream", "stream:clicks")
    ]


def test_two_groups_feed_two_tables_independently(sws: lw.Workspace) -> None:
    sws.streams.publish("clicks", clicks(7))
    sws.streams.ingest("clicks", "clicks", once=True)
    sws.streams.ingest("clicks", "clicks_copy", once=True)
    assert ids(sws) == ids(sws, "clicks_copy") == list(range(7))
    assert {g.name for g in sws.platform.streams.groups(sws.ctx, "clicks")} == {
        "clicks_sink",
        "clicks_copy_sink",
    }


def test_the_table_store_records_a_transaction_in_the_create_and_in_appends(
    ws: lw.Workspace,
) -> None:
    tables = ws.platform.tables
    tables.write(ws.ctx, "t", [{"a": 1}], transaction=("app", 7))
    assert tables.open(ws.ctx, "t").transaction_version("app") == 7
    tables.write(ws.ctx, "t", [{"a": 2}], transaction=("app", 9))
    tables.write(ws.ctx, "t", [{"a": 3}])  # a write without one leaves it
    dt = tables.open(ws.ctx, "t")
    assert (dt.transaction_version("app"), dt.transaction_version("other")) == (9, None)


def test_a_draining_sink_gives_up_after_repeated_transient_failures(
    sws: lw.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    sws.streams.publish("clicks", clicks(3))

    def conflict(self: Tables, *args: object, **kwargs: object) -> object:
        raise ConflictError("a concurrent change won (injected)")

    monkeypatch.setattr(Tables, "write", conflict)
    monkeypatch.setattr("lakeworks.streams.service.RETRY_WAIT", 0.0)
    with pytest.raises(ConflictError, match="injected"):
        sws.streams.ingest("clicks", "clicks", once=True)
    assert sws.streams.lag("clicks", "clicks_sink").pending == 3


def test_small_files_are_compacted_every_n_batches_keeping_the_position(
    sws: lw.Workspace,
) -> None:
    sws.streams.publish("clicks", clicks(50))
    result = sws.streams.ingest("clicks", "clicks", once=True, max_batch=10, compact_every=2)
    assert result.batches == 5
    operations = [v.operation for v in reversed(sws.history("clicks"))]
    assert operations.count("OPTIMIZE") == 2
    assert ids(sws) == list(range(50))
    last = sws.streams.tail("clicks", 1)[0].offset
    assert sws.platform.tables.open(sws.ctx, "clicks").transaction_version(APP) == last
    sws.streams.publish("clicks", clicks(5, 50))
    again = sws.streams.ingest("clicks", "clicks", once=True)
    assert (again.written, again.skipped) == (5, 0)


def test_compact_every_must_be_positive(ws: lw.Workspace) -> None:
    with pytest.raises(InvalidInputError, match="compact_every must be at least 1"):
        ws.streams.ingest("clicks", "clicks", once=True, compact_every=0)
