"""``lakeworks streams list|publish|tail|lag|ingest`` in-process."""

from __future__ import annotations

import json
from pathlib import Path

from lakeworks.cli.app import app

from .conftest import Cli


def test_publish_a_file_ingest_once_then_lag_tail_and_list(cli: Cli, tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    lines = [json.dumps({"id": i, "page": f"/p{i}"}) for i in range(5)] + ["not json"]
    events.write_text("\n".join(lines) + "\n\n")
    published = cli("streams", "publish", "clicks", "--file", str(events))
    assert published.exit_code == 0, published.output
    assert "published 6 events to clicks" in published.output
    ingested = cli("stream", "ingest", "clicks", "--table", "clicks", "--once")
    assert ingested.exit_code == 0, ingested.output
    assert "ingested 6 events from clicks into clicks: 5 written, 1 quarantined" in (
        ingested.output
    )
    assert "clicks__quarantine" in ingested.output
    lag = cli("streams", "lag", "clicks", "--group", "clicks_sink")
    assert "lag 0, pending 0" in lag.output
    tail = cli("streams", "tail", "clicks", "-n", "2")
    assert tail.output.splitlines()[-1].endswith(" not json")
    listed = cli("streams", "list")
    assert "clicks" in listed.output and "6" in listed.output


def test_publish_from_stdin(cli: Cli) -> None:
    result = cli.runner.invoke(
        app,
        ["--home", str(cli.home), "streams", "publish", "clicks"],
        input='{"id": 1}\n{"id": 2}\n',
    )
    assert result.exit_code == 0, result.output
    assert "published 2 events" in result.output


def test_bad_input_is_one_line_and_exit_1(cli: Cli, tmp_path: Path) -> None:
    missing = cli("streams", "publish", "clicks", "--file", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 1
    assert "error: cannot publish" in missing.output and "no such file" in missing.output
    unknown = cli("streams", "lag", "clicks", "--group", "g")
    assert unknown.exit_code == 1
    assert "error: stream 'clicks' does not exist" in unknown.output
    bad_every = cli("streams", "ingest", "clicks", "--table", "t", "--every", "fast", "--once")
    assert bad_every.exit_code == 1
    assert "every='fast' is not an interval" in bad_every.output
