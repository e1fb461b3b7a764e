"""As-known-at on every storage: the Delta log says when each file became known."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake.transaction import AddAction

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.features import FeatureView
from lakeworks.lake.storage.s3 import S3Storage
from tests.features.conftest import rider, write

S3_LOGIN = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
US = timedelta(microseconds=1)
# these tests probe the boundaries with a few rows, where many are deliberately unknown yet
pytestmark = pytest.mark.filterwarnings("ignore::lakeworks.features.coverage.AsKnownAtWarning")
VIEW = FeatureView(
    "rider_trips", entity="rider", timestamp="ts", features=["trips"], source="rider_events"
)


@pytest.fixture(params=["local", "s3"])
def lake(request: pytest.FixtureRequest, settings: Settings) -> Iterator[lw.Workspace]:
    """A workspace on local disk, then on S3 (the moto server)."""
    chosen = settings if request.param == "local" else request.getfixturevalue("s3_settings")
    workspace = lw.connect(settings=chosen, user="tester")
    yield workspace
    workspace.platform.close()


def trips(result) -> list:  # noqa: ANN001
    return result.arrow().column("trips").to_pylist()


def test_a_late_correction_does_not_leak_on_any_storage(lake: lw.Workspace) -> None:
    event = datetime.now(UTC) - timedelta(hours=1)
    learned = write(lake, "rider_events", [{"rider_id": 1, "ts": event, "trips": 10}])
    lake.features.apply([rider, VIEW])
    corrected = write(lake, "rider_events", [{"rider_id": 1, "ts": event, "trips": 99}])
    rows = [
        {"rider_id": 1, "at": learned - US},
        {"rider_id": 1, "at": learned},
        {"rider_id": 1, "at": corrected - US},
        {"rider_id": 1, "at": corrected},
    ]
    assert trips(lake.features.training_set(rows, ["rider_trips:trips"])) == [None, 10, 10, 99]
    event_only = lake.features.training_set(rows, ["rider_trips:trips"], point_in_time="event")
    assert trips(event_only) == [99] * 4


def test_compaction_keeps_what_was_known_on_any_storage(lake: lw.Workspace) -> None:
    event = datetime.now(UTC) - timedelta(hours=1)
    learned = write(lake, "rider_events", [{"rider_id": 1, "ts": event, "trips": 1}])
    second = write(lake, "rider_events", [{"rider_id": 2, "ts": event, "trips": 2}])
    lake.compact("rider_events")
    lake.features.apply([rider, VIEW])
    rows = [
        {"rider_id": 1, "at": learned - US},
        {"rider_id": 1, "at": second},
        {"rider_id": 2, "at": second - US},
        {"rider_id": 2, "at": second},
    ]
    assert trips(lake.features.training_set(rows, ["rider_trips:trips"])) == [None, 1, None, 2]


def test_a_query_source_on_s3_keeps_known_at(lake: lw.Workspace) -> None:
    event = datetime.now(UTC) - timedelta(hours=1)
    learned = write(lake, "rider_events", [{"rider_id": 1, "ts": event, "trips": 4}])
    view = FeatureView(
        "rider_trips",
        entity="rider",
        timestamp="ts",
        features=["trips"],
        source="select rider_id, ts, trips * 2 as trips, _lw_known_at from rider_events",
    )
    lake.features.apply([rider, view])
    rows = [{"rider_id": 1, "at": learned - US}, {"rider_id": 1, "at": learned}]
    assert trips(lake.features.training_set(rows, ["rider_trips:trips"])) == [None, 8]


def _stage_file(lake: lw.Workspace, table: str, rows: list[dict]) -> AddAction:
    """Writer A's first half: a Parquet file written under the table, not committed yet."""
    dt = lake.platform.tables.open(lake.ctx, table)
    data = pa.Table.from_pylist(rows).cast(pa.schema(dt.schema().to_arrow()))
    name = f"part-00000-{uuid.uuid4()}-c000.snappy.parquet"
    storage = lake.platform.storage
    path = storage.fs_path(dt.table_uri.removeprefix("file://")).rstrip("/") + "/" + name
    buffer = pa.BufferOutputStream()
    pq.write_table(data, buffer)
    body = buffer.getvalue().to_pybytes()
    if isinstance(storage, S3Storage):  # moto answers pyarrow's multipart upload badly
        import boto3

        client = boto3.client(
            "s3", endpoint_url=storage.endpoint_url, region_name=storage.region, **S3_LOGIN
        )
        client.put_object(Bucket=storage.bucket, Key=path.split("/", 1)[1], Body=body)
    else:
        with open(path, "wb") as out:
            out.write(body)
    size = len(body)
    written = int(datetime.now(UTC).timestamp() * 1000)
    return AddAction(name, size, {}, written, True, f'{{"numRecords": {data.num_rows}}}')


def _commit(lake: lw.Workspace, table: str, add: AddAction) -> datetime:
    """Writer A's second half: commit the staged file (after writer B's commit)."""
    dt = lake.platform.tables.open(lake.ctx, table)
    dt.create_write_transaction([add], "append", dt.schema())
    return lake.history(table, 1)[0].timestamp


def test_a_file_is_known_from_the_commit_that_added_it_with_two_writers(
    lake: lw.Workspace,
) -> None:
    event = datetime.now(UTC) - timedelta(hours=1)
    write(lake, "rider_events", [{"rider_id": 1, "ts": event, "trips": 1}])
    staged = _stage_file(lake, "rider_events", [{"rider_id": 2, "ts": event, "trips": 7}])
    other = write(lake, "rider_events", [{"rider_id": 1, "ts": event, "trips": 2}])  # writer B
    added = _commit(lake, "rider_events", staged)  # writer A commits after B
    assert other < added
    lake.features.apply([rider, VIEW])
    rows = [{"rider_id": 2, "at": other}, {"rider_id": 2, "at": added - US}]
    rows.append({"rider_id": 2, "at": added})
    result = lake.features.training_set(rows, ["rider_trips:trips"])
    assert trips(result) == [None, None, 7]  # not known at writer B's commit


def test_a_file_whose_commit_left_the_log_gets_the_oldest_commit_still_there(
    ws: lw.Workspace,
) -> None:
    from lakeworks.features.known import added_at

    event = datetime.now(UTC) - timedelta(hours=1)
    for n in (1, 2, 3):
        write(ws, "rider_events", [{"rider_id": n, "ts": event, "trips": n}])
    dt = ws.platform.tables.open(ws.ctx, "rider_events")
    dt.create_checkpoint()
    history = {h.version: h.timestamp for h in ws.history("rider_events")}
    log = dt.table_uri.removeprefix("file://").rstrip("/") + "/_delta_log/"
    os.remove(log + f"{0:020d}.json")  # as log cleanup does once a checkpoint covers it
    known, fallback = added_at(ws.platform.tables.open(ws.ctx, "rider_events"), ws.platform.storage)
    assert fallback == history[1]  # later than the truth (version 0), never earlier
    assert sorted(known.values()) == [history[1], history[2]]
    ws.features.apply([rider, VIEW])
    rows = [{"rider_id": 1, "at": history[1] - US}, {"rider_id": 1, "at": history[1]}]
    assert trips(ws.features.training_set(rows, ["rider_trips:trips"])) == [None, 1]


def test_the_log_read_so_far_is_extended_by_new_commits_only(
    ws: lw.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lakeworks.features import known

    reads: list[str] = []
    real = known._read
    monkeypatch.setattr(known, "_read", lambda fs, path: reads.append(path) or real(fs, path))
    event = datetime.now(UTC) - timedelta(hours=1)
    write(ws, "rider_events", [{"rider_id": 1, "ts": event, "trips": 1}])
    ws.features.apply([rider, VIEW])
    later = [{"rider_id": 1, "at": datetime.now(UTC) + timedelta(hours=1)}]
    assert trips(ws.features.training_set(later, ["rider_trips:trips"])) == [1]
    assert len(reads) == 1
    second = write(ws, "rider_events", [{"rider_id": 2, "ts": event, "trips": 2}])
    rows = [{"rider_id": 2, "at": second - US}, {"rider_id": 2, "at": second}]
    assert trips(ws.features.training_set(rows, ["rider_trips:trips"])) == [None, 2]
    assert [p.rsplit("/", 1)[1] for p in reads] == [f"{0:020d}.json", f"{1:020d}.json"]
    ws.features.training_set(rows, ["rider_trips:trips"])
    assert len(reads) == 2  # nothing new: nothing read


def test_a_re_created_table_is_read_from_its_own_log(ws: lw.Workspace) -> None:
    event = datetime.now(UTC) - timedelta(hours=1)
    write(ws, "rider_events", [{"rider_id": 1, "ts": event, "trips": 1}])
    write(ws, "rider_events", [{"rider_id": 1, "ts": event, "trips": 2}])
    ws.features.apply([rider, VIEW])
    rows = [{"rider_id": 1, "at": datetime.now(UTC)}]
    assert trips(ws.features.training_set(rows, ["rider_trips:trips"])) == [2]
    ws.drop_table("rider_events")
    again = write(ws, "rider_events", [{"rider_id": 1, "ts": event, "trips": 3}])  # version 0
    rows = [{"rider_id": 1, "at": again - US}, {"rider_id": 1, "at": again}]
    assert trips(ws.features.training_set(rows, ["rider_trips:trips"])) == [None, 3]


def test_the_log_cache_keeps_the_tables_used_last() -> None:
    from lakeworks.features.known import _Log, _Logs

    logs = _Logs(size=2)
    for name in ("a", "b"):
        logs.put((name, "id"), _Log(1, {}, None, None))
    assert logs.get(("a", "id")) is not None  # a is now the most recent
    logs.put(("c", "id"), _Log(1, {}, None, None))
    assert logs.get(("b", "id")) is None and logs.get(("a", "id")) is not None
    logs.put(("a", "id"), _Log(0, {}, None, None))  # an older state never replaces a newer
    assert logs.get(("a", "id")).version == 1
