"""External sources into Delta through ``ingest(source=...)``, on real servers: NATS
JetStream (exactly once: the stream sequence is recorded in the Delta commit) and MQTT
(QoS 1 with a persistent session: at least once, with dedupe by a key)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import lakeworks as lw
from lakeworks.errors import InvalidInputError, NotFoundError, UnavailableError
from lakeworks.streams import sink as sink_module

from ..cli.conftest import Cli
from ..conftest import free_port
from .conftest import clicks
from .sources_servers import NatsServer, mqtt_port, nats_url, need, own_mosquitto


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[lw.Workspace]:
    workspace = lw.connect(home=tmp_path / "lw", workspace="default", create=True)
    yield workspace
    workspace.platform.close()


@pytest.fixture
def nats(tmp_path: Path) -> Iterator[str]:
    url, server = nats_url(tmp_path)
    yield url
    if server is not None:
        server.stop()


@pytest.fixture
def mqtt(tmp_path: Path) -> Iterator[int]:
    port, process = mqtt_port(tmp_path)
    yield port
    if process is not None:
        process.terminate()
        process.wait(timeout=10)


def payloads(events: list[dict]) -> list[bytes]:
    return [json.dumps(e).encode() for e in events]


def _die(position: int) -> None:
    raise KeyboardInterrupt(f"killed after committing {position}, before the acknowledgement")


# NATS JetStream ---------------------------------------------------------------------
def _stream_name(subject: str) -> str:
    return subject.replace(".", "_").upper()


async def _js(url: str, subject: str, messages: list[bytes], create: bool) -> None:
    import nats

    nc = await nats.connect(url)
    js = nc.jetstream()
    if create:
        await js.add_stream(name=_stream_name(subject), subjects=[subject])
    for data in messages:
        await js.publish(subject, data)
    await nc.close()


def js_publish(url: str, subject: str, messages: list[bytes], create: bool = False) -> None:
    asyncio.run(_js(url, subject, messages, create))


async def _drop(url: str, subject: str) -> None:
    import nats

    nc = await nats.connect(url)
    await nc.jetstream().delete_stream(_stream_name(subject))
    await nc.close()


@pytest.fixture
def subject(nats: str) -> Iterator[str]:
    """A JetStream stream of its own on the server, deleted afterwards."""
    name = f"lwtest.{uuid.uuid4().hex[:10]}"
    js_publish(nats, name, [], create=True)
    yield name
    asyncio.run(_drop(nats, name))


def test_nats_events_land_once_with_bad_ones_quarantined(
    ws: lw.Workspace, nats: str, subject: str
) -> None:
    bad = [b"not json {", b'{"page": "/no-id"}']
    js_publish(nats, subject, payloads(clicks(40)) + bad + payloads(clicks(10, 40)))
    url = f"{nats}/{subject}"
    result = ws.streams.ingest(source=url, table="clicks", required=["id"], once=True, every=0.3)
    assert (result.events, result.written, result.quarantined) == (52, 50, 2)
    assert sorted(ws.read("clicks").column("id").to_pylist()) == list(range(50))
    dt = ws.platform.tables.open(ws.ctx, "clicks")
    assert dt.transaction_version(f"lakeworks.stream:nats:{subject}:clicks_sink") == 52
    quarantine = ws.read("clicks__quarantine").to_pylist()
    assert sorted(q["raw_bytes"] for q in quarantine) == sorted(bad)
    assert {q["source"] for q in quarantine} == {f"stream:nats:{subject}"}
    assert any("not JSON" in q["reason"] for q in quarantine)
    assert any("'id'" in q["reason"] for q in quarantine)

    again = ws.streams.ingest(source=url, table="clicks", required=["id"], once=True, every=0.3)
    assert again.written == 0 and ws.read("clicks").num_rows == 50
    js_publish(nats, subject, payloads(clicks(5, 50)))
    more = ws.streams.ingest(source=url, table="clicks", required=["id"], once=True, every=0.3)
    assert more.written == 5
    assert sorted(ws.read("clicks").column("id").to_pylist()) == list(range(55))


def test_nats_sink_killed_between_commit_and_ack_writes_nothing_twice(
    ws: lw.Workspace, nats: str, subject: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    js_publish(nats, subject, payloads(clicks(30)))
    monkeypatch.setattr(sink_module, "AFTER_COMMIT", [_die])
    url = f"{nats}/{subject}"
    with pytest.raises(KeyboardInterrupt):
        ws.streams.ingest(source=url, table="clicks", once=True, every=0.3)
    assert ws.read("clicks").num_rows == 30  # committed, never acknowledged
    monkeypatch.setattr(sink_module, "AFTER_COMMIT", [])
    js_publish(nats, subject, payloads(clicks(10, 30)))
    result = ws.streams.ingest(source=url, table="clicks", once=True, every=0.3)
    assert result.written == 10
    assert sorted(ws.read("clicks").column("id").to_pylist()) == list(range(40))


def test_a_subject_no_stream_holds_is_named_in_the_error(ws: lw.Workspace, nats: str) -> None:
    missing = f"lwtest.none{uuid.uuid4().hex[:8]}"
    with pytest.raises(NotFoundError, match=missing) as caught:
        ws.streams.ingest(source=f"{nats}/{missing}", table="t", once=True)
    assert "nats stream add" in str(caught.value)
    assert not ws.platform.tables.exists(ws.ctx, "t")


def test_nats_restarted_while_consuming_loses_and_duplicates_nothing(
    ws: lw.Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    need("nats", "nats-py")
    monkeypatch.setattr("lakeworks.streams.service.RETRY_WAIT", 0.1)
    server = NatsServer(tmp_path / "own-nats")
    server.start()
    subject = "lwtest.restart"
    js_publish(server.url, subject, payloads(clicks(500)), create=True)
    stop = threading.Event()
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = ws.streams.ingest(
                source=f"{server.url}/{subject}", table="clicks", every=0.05, stop=stop
            )
        except BaseException as exc:  # the assertion below shows it
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    try:
        _until(lambda: _rows(ws) >= 500, "the first 500 events")
        js_publish(server.url, subject, payloads(clicks(2000, 500)))
        server.stop(kill=True)  # killed while the sink reads and writes those
        time.sleep(0.5)
        server.start()
        js_publish(server.url, subject, payloads(clicks(500, 2500)))
        _until(lambda: _rows(ws) >= 3000, "the events published around the restart")
        time.sleep(0.5)  # a duplicate would land now
    finally:
        stop.set()
        thread.join(timeout=30)
        server.stop()
    assert "error" not in outcome, outcome.get("error")
    assert sorted(ws.read("clicks").column("id").to_pylist()) == list(range(3000))
    assert any("NATS at" in r.getMessage() for r in caplog.records)  # it did see the restart


def _rows(ws: lw.Workspace) -> int:
    exists = ws.platform.tables.exists(ws.ctx, "clicks")
    return ws.read("clicks").num_rows if exists else 0


def _until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


# MQTT -------------------------------------------------------------------------------
def mqtt_publish(port: int, topic: str, messages: list[bytes]) -> None:
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    infos = [client.publish(topic, data, qos=1) for data in messages]
    for info in infos:
        info.wait_for_publish(timeout=10)
    client.disconnect()
    client.loop_stop()


def test_mqtt_delivers_what_was_published_while_the_sink_was_down(
    ws: lw.Workspace, mqtt: int
) -> None:
    topic = f"lwtest/{uuid.uuid4().hex[:10]}"
    url = f"mqtt://127.0.0.1:{mqtt}/{topic}"
    first = ws.streams.ingest(source=url, table="clicks", once=True, every=0.3, dedupe="id")
    assert first.events == 0  # the session exists now; the sink is stopped
    bad = [b"\xff not json", b"[1, 2]"]
    mqtt_publish(mqtt, topic, payloads(clicks(30)) + bad)
    result = ws.streams.ingest(source=url, table="clicks", once=True, every=0.5, dedupe="id")
    assert (result.written, result.quarantined) == (30, 2)
    assert sorted(ws.read("clicks").column("id").to_pylist()) == list(range(30))
    quarantine = ws.read("clicks__quarantine").to_pylist()
    assert sorted(q["raw_bytes"] for q in quarantine) == sorted(bad)  # the raw payload, kept
    assert all("JSON" in q["reason"] for q in quarantine)
    after = ws.streams.ingest(source=url, table="clicks", once=True, every=0.5, dedupe="id")
    assert after.events == 0  # acknowledged: the broker does not deliver them again


def test_mqtt_redeliveries_are_dropped_by_the_dedupe_key(
    ws: lw.Workspace, mqtt: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    topic = f"lwtest/{uuid.uuid4().hex[:10]}"
    url = f"mqtt://127.0.0.1:{mqtt}/{topic}"
    ws.streams.ingest(source=url, table="clicks", once=True, every=0.3, dedupe="id")
    mqtt_publish(mqtt, topic, payloads(clicks(20)))
    monkeypatch.setattr(sink_module, "AFTER_COMMIT", [_die])
    with pytest.raises(KeyboardInterrupt):
        ws.streams.ingest(source=url, table="clicks", once=True, every=0.5, dedupe="id")
    monkeypatch.setattr(sink_module, "AFTER_COMMIT", [])
    mqtt_publish(mqtt, topic, payloads(clicks(5, 20) + clicks(3)))  # 3 sent twice by the writer
    result = ws.streams.ingest(source=url, table="clicks", once=True, every=0.5, dedupe="id")
    assert result.events == 28  # the 20 unacknowledged ones again, and 8 new
    assert result.written == 5 and result.skipped == 23
    assert sorted(ws.read("clicks").column("id").to_pylist()) == list(range(25))


def test_a_burst_beyond_mosquittos_default_queue_lands_whole_with_the_documented_config(
    ws: lw.Workspace, tmp_path: Path
) -> None:
    need("paho.mqtt", "paho-mqtt")
    port, process = own_mosquitto(tmp_path)
    try:
        url = f"mqtt://127.0.0.1:{port}/burst"
        ws.streams.ingest(source=url, table="clicks", once=True, every=0.2, dedupe="id")
        mqtt_publish(port, "burst", payloads(clicks(3000)))  # the default keeps 1020
        result = ws.streams.ingest(source=url, table="clicks", once=True, every=0.5)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert result.written == 3000
    assert ws.read("clicks").num_rows == 3000


def test_an_unreachable_mqtt_broker_is_named(ws: lw.Workspace) -> None:
    need("paho.mqtt", "paho-mqtt")
    port = free_port()
    with pytest.raises(UnavailableError, match=f"127.0.0.1:{port}"):
        ws.streams.ingest(source=f"mqtt://127.0.0.1:{port}/t", table="t", once=True)


# bad arguments ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "url", ["kafka://127.0.0.1/t", "nats://127.0.0.1:4222", "mqtt:///topic", "nats://h:99999/s"]
)
def test_a_bad_source_url_is_refused_naming_it(ws: lw.Workspace, url: str) -> None:
    with pytest.raises(InvalidInputError, match="source") as caught:
        ws.streams.ingest(source=url, table="t", once=True)
    assert url in str(caught.value)


def test_ingest_needs_exactly_one_of_stream_and_source(ws: lw.Workspace) -> None:
    with pytest.raises(InvalidInputError, match="exactly one"):
        ws.streams.ingest(table="t", once=True)
    with pytest.raises(InvalidInputError, match="exactly one"):
        ws.streams.ingest("clicks", table="t", source="nats://127.0.0.1/s", once=True)
    with pytest.raises(InvalidInputError, match="'nats://127.0.0.1/s' needs a table"):
        ws.streams.ingest(source="nats://127.0.0.1/s", once=True)


# the command line -------------------------------------------------------------------
def test_cli_ingests_an_mqtt_topic_and_names_a_bad_source(
    tmp_path: Path, mqtt: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKEWORKS_PROGRESS", "false")
    cli = Cli(tmp_path / "cli-home")
    topic = f"lwtest/{uuid.uuid4().hex[:10]}"
    url = f"mqtt://127.0.0.1:{mqtt}/{topic}"
    args = ("streams", "ingest", "--source", url, "--table", "t", "--dedupe", "id", "--once")
    first = cli(*args, "--every", "300ms")
    assert first.exit_code == 0, first.output
    mqtt_publish(mqtt, topic, payloads(clicks(3) + clicks(1)))
    second = cli(*args, "--every", "500ms")
    assert second.exit_code == 0, second.output
    assert f"ingested 4 events from {url} into t: 3 written, 0 quarantined, 1 already" in (
        second.output
    )
    bad = cli("streams", "ingest", "--source", "kafka://h/t", "--table", "t", "--once")
    assert bad.exit_code == 1
    assert "error: source 'kafka://h/t' is not a source URL" in bad.output
    neither = cli("streams", "ingest", "--table", "t", "--once")
    assert neither.exit_code == 1 and "a stream or a source" in neither.output
