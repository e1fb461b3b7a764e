"""The streams service's doors and bad input: clear errors naming the thing, nothing
published or consumed when a call is refused."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.server.app import create_app
from lakeworks.streams.service import parse_every

from .conftest import clicks


def test_publish_encodes_dicts_as_json_and_keeps_text_and_bytes(ws: lw.Workspace) -> None:
    when = datetime(2026, 12, 1, 10, 0)
    ids = ws.streams.publish("clicks", [{"id": 1, "at": when}, "raw text", b"\x00bytes"])
    assert len(ids) == 3
    assert [e.data for e in ws.streams.tail("clicks", 3)] == [
        b'{"id":1,"at":"2026-12-01T10:00:00"}',
        b"raw text",
        b"\x00bytes",
    ]


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ({"id": 1}, "a list of events, not a single one"),
        ("one event", "a list of events, not a single one"),
        ([{"id": 1}, 42], "event 1 is a int: expected a dict, str or bytes"),
        ([{"id": object()}], "event 0 cannot be written as JSON"),
        ([{"x": float("nan")}], "event 0 cannot be written as JSON: Out of range float"),
    ],
)
def test_bad_records_are_refused_and_nothing_is_published(
    ws: lw.Workspace, records: object, message: str | None
) -> None:
    if message is None:  # Python's json writes NaN; it is published as it is
        ws.streams.publish("clicks", records)
        assert ws.streams.tail("clicks", 1)[0].data == b'{"x":NaN}'
        return
    with pytest.raises(InvalidInputError, match=message):
        ws.streams.publish("clicks", records)
    assert ws.streams.list() == []


@pytest.mark.parametrize("name", ["Clicks", "0clicks", "a-b", "", "x" * 129])
def test_bad_stream_names_are_refused_naming_the_name(ws: lw.Workspace, name: str) -> None:
    with pytest.raises(InvalidInputError, match="stream name"):
        ws.streams.publish(name, [{"id": 1}])
    assert ws.streams.list() == []


def test_unknown_stream_and_group_name_what_is_missing(ws: lw.Workspace) -> None:
    with pytest.raises(NotFoundError, match="stream 'nope' does not exist"):
        ws.streams.lag("nope", "g")
    ws.streams.publish("clicks", clicks(1))
    with pytest.raises(NotFoundError, match="group 'g' of stream 'clicks'.*no groups yet"):
        ws.streams.lag("clicks", "g")
    ws.streams.ingest("clicks", "clicks", once=True)
    with pytest.raises(NotFoundError, match=r"groups are \['clicks_sink'\]"):
        ws.streams.lag("clicks", "g")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"every": "0s"}, "every='0s' is not an interval"),
        ({"every": "soon"}, "every='soon' is not an interval"),
        ({"every": -1}, "is not an interval"),
        ({"max_batch": 0}, "max_batch must be at least 1"),
        ({"group": "Bad-Group"}, "invalid group name"),
    ],
)
def test_bad_ingest_options_are_refused_before_anything_is_read(
    ws: lw.Workspace, options: dict, message: str
) -> None:
    ws.streams.publish("clicks", clicks(3))
    with pytest.raises(InvalidInputError, match=message):
        ws.streams.ingest("clicks", "clicks", once=True, **options)
    assert ws.platform.streams.groups(ws.ctx, "clicks") == []


def test_ingest_refuses_a_reserved_table_name(ws: lw.Workspace) -> None:
    with pytest.raises(InvalidInputError, match="reserved"):
        ws.streams.ingest("clicks", "clicks__quarantine", once=True)


def test_streams_of_one_workspace_are_not_seen_from_another(settings: Settings) -> None:
    a = lw.connect(settings=settings, workspace="a", user="tester")
    b = lw.connect(settings=settings, workspace="b", user="tester")
    a.streams.publish("clicks", clicks(2))
    assert [s.name for s in a.streams.list()] == ["clicks"]
    assert b.streams.list() == []
    assert b.streams.tail("clicks") == []
    a.platform.close()
    b.platform.close()


@pytest.mark.parametrize(
    ("every", "seconds"), [("1s", 1.0), ("500ms", 0.5), ("2m", 120.0), (0.25, 0.25), ("3", 3.0)]
)
def test_every_reads_numbers_and_units(every: object, seconds: float) -> None:
    assert parse_every(every) == seconds


def test_a_running_sink_stops_when_asked(ws: lw.Workspace) -> None:
    ws.streams.publish("clicks", clicks(5))
    stop, seen = threading.Event(), []

    def batch(result: object) -> None:
        seen.append(result)
        stop.set()

    result = ws.streams.ingest("clicks", "clicks", every="50ms", stop=stop, on_batch=batch)
    assert result.written == 5 and len(seen) == 1


def test_retention_by_length_and_age(ws: lw.Workspace) -> None:
    ws.streams.publish("clicks", clicks(10))
    assert ws.streams.trim("clicks", maxlen=3) == 7
    assert ws.streams.trim("clicks", max_age=3600) == 0
    assert [s.length for s in ws.streams.list()] == [3]
    assert ws.streams.trim("clicks", maxlen=5) == 0  # fewer than maxlen: nothing to trim
    with pytest.raises(InvalidInputError, match="maxlen must be between 1 and"):
        ws.streams.trim("clicks", maxlen=2**70)
    assert [s.length for s in ws.streams.list()] == [3]


# REST ------------------------------------------------------------------------------------
def test_rest_publish_list_lag_and_metrics(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"scheduler": False}))) as client:
        url = "/api/v1/workspaces/default/streams"
        assert client.post("/api/v1/workspaces", json={"name": "default"}).status_code in (201, 409)
        answer = client.post(f"{url}/clicks/events", json={"events": clicks(4)})
        assert answer.status_code == 201
        assert len(answer.json()["ids"]) == 4
        assert client.get(url).json() == [
            {"name": "clicks", "length": 4, "first_id": "1", "last_id": "4", "groups": 0}
        ]
        missing = client.get(f"{url}/clicks/lag", params={"group": "clicks_sink"})
        assert missing.status_code == 404 and "clicks_sink" in missing.json()["message"]
        platform = client.app.state.platform
        ws = lw.Workspace(platform, lw.Context.local("default", "tester"))
        ws.streams.ingest("clicks", "clicks", once=True)
        lag = client.get(f"{url}/clicks/lag", params={"group": "clicks_sink"}).json()
        assert lag == {
            "stream": "clicks",
            "group": "clicks_sink",
            "lag": 0,
            "pending": 0,
            "consumers": 0,
            "last_delivered": "4",
        }
        metrics = client.get("/metrics").text
        assert (
            'lakeworks_stream_events_published_total{stream="clicks",workspace="default"} 4.0'
            in metrics
        )
        assert "lakeworks_stream_consumer_lag{" in metrics
        assert 'outcome="written",stream="clicks",workspace="default"} 4.0' in metrics


@pytest.mark.parametrize(
    "body",
    [
        {"events": []},
        {"events": [1, 2]},
        {"events": [{"a": 1}], "maxlen": 0},
        {"events": [{"a": 1}], "maxlen": 2**70},  # beyond a 64-bit offset (found by the fuzzer)
        {},
    ],
)
def test_rest_refuses_bad_bodies_and_publishes_nothing(settings: Settings, body: dict) -> None:
    with TestClient(create_app(settings.model_copy(update={"scheduler": False}))) as client:
        client.post("/api/v1/workspaces", json={"name": "default"})
        url = "/api/v1/workspaces/default/streams"
        assert client.post(f"{url}/clicks/events", json=body).status_code == 422
        assert client.post(f"{url}/Bad-Name/events", json={"events": [{}]}).status_code in (
            400,
            422,
        )
        assert client.get(url).json() == []


# consumers -------------------------------------------------------------------------------
def test_a_dead_consumers_events_go_to_another_after_the_visibility_timeout(
    sws: lw.Workspace,
) -> None:
    sws.streams.publish("clicks", clicks(6))
    dead = sws.streams.consumer("clicks", "emails", "dead", visibility=0.05)
    alive = sws.streams.consumer("clicks", "emails", "alive", visibility=0.05)
    taken = dead.read(4)
    assert len(taken) == 4
    first = alive.read(10)
    assert [e.data for e in first] == [e.data for e in sws.streams.tail("clicks", 2)]
    assert alive.ack(first) == 2
    time.sleep(0.1)
    again = alive.read(10)
    assert [e.id for e in again] == [e.id for e in taken]
    assert {e.deliveries for e in again} == {2}
    assert dead.ack(again) == 4  # acknowledging is by id: any consumer of the group may
    assert sws.streams.lag("clicks", "emails").pending == 0


def test_a_restarted_consumer_gets_its_own_pending_events(sws: lw.Workspace) -> None:
    sws.streams.publish("clicks", clicks(3))
    worker = sws.streams.consumer("clicks", "emails", "worker")
    delivered = worker.read(3)
    restarted = sws.streams.consumer("clicks", "emails", "worker")
    assert [e.id for e in restarted.pending()] == [e.id for e in delivered]
    assert restarted.ack([e.id for e in delivered]) == 3
    assert restarted.pending() == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"visibility": 0}, "visibility must be > 0"),
        ({"start": "1-0"}, "start '0' or '\\$'"),
        ({"name": "Worker 1"}, "invalid consumer name"),
    ],
)
def test_bad_consumer_options_are_refused(ws: lw.Workspace, options: dict, message: str) -> None:
    name = options.pop("name", "worker")
    with pytest.raises(InvalidInputError, match=message):
        ws.streams.consumer("clicks", "emails", name, **options)
    assert ws.streams.list() == []
