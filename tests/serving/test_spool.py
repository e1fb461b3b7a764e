"""The prediction log's spool: a replica SIGKILLed under load loses no answered request
and logs none twice once the next process replays its spool; a torn last record is
ignored and counted; a batch committed before the kill is not written again; a spool
held by a live process is left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pandas as pd
import pyarrow as pa
import pytest

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.platform import Platform
from lakeworks.serving.log import PredictionLog, spool_root
from lakeworks.serving.prediction import Prediction
from lakeworks.serving.records import PREDICTIONS, LogEntry
from lakeworks.serving.replay import Replayed, replay_all
from lakeworks.serving.spool import Spool, read_segment, segments
from lakeworks.serving.spooled import EntryWriter
from tests.serving.test_prediction_log import Outage
from tests.serving.test_replicas import Replica

ROW = {"age": 40, "income": 70.0}
CTX = Context(workspace="default", user="tester")


def _open(home: Path, **overrides) -> Platform:  # noqa: ANN003
    """A platform on ``home`` with its serving started (which replays dead spools)."""
    platform = Platform.open(Settings.load(home=home, progress=False, **overrides))
    assert platform.serving is not None
    return platform


def _ids(platform: Platform) -> Counter:
    if not platform.tables.exists(CTX, PREDICTIONS):
        return Counter()
    return Counter(platform.tables.read(CTX, PREDICTIONS).column("request_id").to_pylist())


def _entry(request_id: str) -> LogEntry:
    answer = Prediction(request_id, "churn", 1, "live", "churn/1", [{"prediction": 1}], [None])
    return LogEntry("default", answer, pa.table({"age": [40]}), None, 1.0, 0)


def _die(log: PredictionLog) -> None:
    """What a SIGKILL leaves of ``log``: its writer stopped where it was, its files as
    written, its lock released; nothing flushed, nothing deleted."""
    log._stop.set()
    log._hurry.set()
    log._thread.join(timeout=10)
    spool = log.spool
    for segment in spool._segments.values():
        os.close(segment.fd)
    os.close(spool._lock_fd)
    log._thread, log.spool = None, None


@pytest.fixture
def home(tmp_path: Path, frame: pd.DataFrame) -> Path:
    from tests.serving.conftest import _fit

    home = tmp_path / "lw"
    platform = _open(home)
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    platform.registry.register(CTX, "churn", model=_fit(frame, False), training_data=frame)
    platform.serving.deploy(CTX, "churn", "churn/1")
    platform.close()
    return home


def test_a_replica_killed_under_load_loses_no_answered_request(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the writer commits the first request at once, then rests 2 s: at the kill (1 s)
    # one batch is committed (its plan still in the spool) and the rest only spooled
    monkeypatch.setenv("LAKEWORKS_SERVING_LOG_FLUSH_INTERVAL", "2")
    catalog = f"sqlite:///{(home / 'metadata.db').resolve()}"
    replica = Replica(home, catalog, 1)
    replica.wait_healthy()
    answered, tried = _load_until_killed(replica)
    assert replica.process.returncode == -signal.SIGKILL
    assert len(answered) > 10, (len(answered), len(tried), replica.log.read_text()[-2000:])
    left = [p for p in spool_root(Settings.load(home=home)).iterdir() if p.is_dir()]
    assert len(left) == 1 and segments(left[0])  # the dead replica's spool
    before = _open(home, serving_log_spool=False)  # no replay: what the table held
    try:
        missing = set(answered) - set(_ids(before))
    finally:
        before.close()
    assert missing  # the kill did cut the log short (else this test proves nothing)
    after = _open(home)
    try:
        logged = _ids(after)
        replayed = after.serving.predictions.metrics.replayed._value.get()
    finally:
        after.close()
    assert replayed >= len(missing), (replayed, len(missing))
    lost = [i for i in answered if logged[i] != 1]
    assert lost == [], f"{len(lost)} of {len(answered)} answered not logged exactly once"
    assert set(logged) - set(answered) <= tried  # the rest: sent, killed before the answer
    assert max(logged.values()) == 1
    assert not any(p.is_dir() for p in left)  # the replayed spool is deleted


def _load_until_killed(replica: Replica) -> tuple[list[str], set[str]]:
    """Four client threads send requests for 1.5 s; the replica is SIGKILLed at 1 s.
    Returns the ids answered (200) and the ids sent without an answer."""
    answered: list[str] = []
    tried: set[str] = set()
    lock = threading.Lock()
    stop = time.monotonic() + 1.5

    def client() -> None:
        with httpx.Client(timeout=5) as http:
            while time.monotonic() < stop:
                request_id = uuid.uuid4().hex
                try:
                    response = http.post(
                        f"{replica.url}/serve/default/churn/predict",
                        json={"rows": [ROW]},
                        headers={"X-Request-Id": request_id},
                    )
                except httpx.TransportError:
                    with lock:
                        tried.add(request_id)
                    continue
                with lock:
                    if response.status_code == 200:
                        answered.append(request_id)
                    else:
                        tried.add(request_id)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    replica.kill()
    for thread in threads:
        thread.join()
    return answered, tried


def test_a_torn_last_record_is_ignored_and_counted(home: Path) -> None:
    root = spool_root(Settings.load(home=home))
    spool = Spool.create(root, 1.0, uuid.uuid4().hex)
    for request_id in ("a", "b", "c"):
        spool.append(EntryWriter().bytes_of(_entry(request_id)))
    (segment,) = segments(spool.folder)
    os.close(spool._segments[1].fd)
    os.close(spool._lock_fd)  # the process is gone
    data = segment.read_bytes()
    segment.write_bytes(data[:-5])  # the last write cut short
    assert len(read_segment(segment)[0]) == 2
    platform = _open(home)
    try:
        metrics = platform.serving.predictions.metrics
        assert _ids(platform) == Counter({"a": 1, "b": 1})
        assert metrics.torn._value.get() == 1 and metrics.replayed._value.get() == 2
        assert not spool.folder.exists()
    finally:
        platform.close()


def test_a_batch_committed_before_the_kill_is_not_written_again(home: Path) -> None:
    platform = _open(home, serving_log_flush_interval=0.02)
    try:
        log = platform.serving.predictions
        first = [platform.serving.predict(CTX, "churn", [ROW]).request_id for _ in range(4)]
        assert log.flush()
        log.spool.rotate = lambda: None  # killed after the commits, before the truncation
        more = [platform.serving.predict(CTX, "churn", [ROW]).request_id for _ in range(3)]
        assert log.flush()
        log.interval = 600  # the last ones stay buffered
        time.sleep(0.1)
        last = [platform.serving.predict(CTX, "churn", [ROW]).request_id for _ in range(2)]
        folder = log.spool.folder
        _die(log)
        assert _ids(platform) == Counter({i: 1 for i in first + more})
        done = replay_all(platform.tables, folder.parent)
        assert done.rows == 2 and done.skipped >= 1 and done.torn == 0
        assert _ids(platform) == Counter({i: 1 for i in first + more + last})
        assert not folder.exists()
        assert replay_all(platform.tables, folder.parent) == Replayed()
    finally:
        platform.close()


def test_an_entry_given_up_on_a_full_buffer_is_not_replayed(home: Path) -> None:
    platform = _open(home, serving_log_buffer=1, serving_log_wait=0.01)
    try:
        outage = Outage(platform.tables.gate)
        platform.tables.gate = outage  # the table down: the buffer fills
        answered = [platform.serving.predict(CTX, "churn", [ROW]).request_id for _ in range(6)]
        log = platform.serving.predictions
        given_up = int(log.metrics.unwritten._value.get())
        kept = [e.request_id for e in log.pending()]
        assert given_up >= 1 and given_up + len(kept) == 6
        folder = log.spool.folder
        _die(log)
        outage.down = False
        assert replay_all(platform.tables, folder.parent).rows == len(kept)
        assert _ids(platform) == Counter({i: 1 for i in kept})  # counted ones stay out
        assert set(kept) < set(answered)
    finally:
        platform.close()


HOLDER = """
import sys, time
from pathlib import Path
import pyarrow as pa
from lakeworks.serving.prediction import Prediction
from lakeworks.serving.records import LogEntry
from lakeworks.serving.spool import Spool
from lakeworks.serving.spooled import EntryWriter
spool = Spool.create(Path(sys.argv[1]), 1.0, "live")
answer = Prediction("held", "churn", 1, "live", "churn/1", [{"prediction": 1}], [None])
entry = LogEntry("default", answer, pa.table({"a": [1]}), None, 1.0, 0)
spool.append(EntryWriter().bytes_of(entry))
print("ready", flush=True)
time.sleep(120)
"""


def test_a_spool_held_by_a_live_process_is_not_replayed(home: Path) -> None:
    root = spool_root(Settings.load(home=home))
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(HOLDER), str(root)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        platform = _open(home)
        try:
            assert _ids(platform) == Counter()  # alive: its spool is its own
            assert (root / "live").is_dir()
        finally:
            platform.close()
    finally:
        holder.kill()
        holder.wait(timeout=30)
    platform = _open(home)  # now dead: replayed, once
    try:
        assert _ids(platform) == Counter({"held": 1})
        assert not (root / "live").exists()
    finally:
        platform.close()


def test_the_spool_is_deleted_at_a_clean_close_and_off_when_set(home: Path) -> None:
    platform = _open(home, serving_log_flush_interval=0.02)
    platform.serving.predict(CTX, "churn", [ROW])
    folder = platform.serving.predictions.spool.folder
    assert folder.is_dir()
    platform.close()
    assert not folder.exists()
    off = _open(home, serving_log_spool=False)
    try:
        off.serving.predict(CTX, "churn", [ROW])
        assert off.serving.predictions.spool is None
        assert off.serving.predictions.flush()
        assert sum(_ids(off).values()) == 2
    finally:
        off.close()


def test_a_spool_folder_that_cannot_be_made_fails_no_request(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (home / "spool").write_text("a file where the spool folder goes")
    platform = _open(home, serving_log_flush_interval=0.02)
    try:
        answer = platform.serving.predict(CTX, "churn", [ROW])
        log = platform.serving.predictions
        assert log.spool is None and log.flush()
        assert _ids(platform) == Counter({answer.request_id: 1})
        assert "prediction log spool cannot be made under" in caplog.text
        assert str(home / "spool") in caplog.text
    finally:
        platform.close()
