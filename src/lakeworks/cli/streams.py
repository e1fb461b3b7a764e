"""``lakeworks streams list|publish|tail|lag|ingest`` (also spelled ``lakeworks stream``)."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from lakeworks.cli.session import console, workspace
from lakeworks.errors import InvalidInputError

if TYPE_CHECKING:
    from lakeworks.streams.service import IngestResult

app = typer.Typer(help="Publish to, read and ingest event streams.", no_args_is_help=True)
PUBLISH_CHUNK = 10_000  # lines of a file published per call


@app.command("list")
def list_streams(ctx: typer.Context) -> None:
    """The streams of the workspace with their lengths."""
    with workspace(ctx) as ws:
        out = Table(
            "stream", "events", "first id", "last id", "groups", title=f"streams in {ws.name}"
        )
        for s in ws.streams.list():
            out.add_row(s.name, str(s.length), s.first_id or "", s.last_id or "", str(s.groups))
        console().print(out)


@app.command("publish")
def publish(
    ctx: typer.Context,
    stream: str,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="JSON lines file [default: stdin]")
    ] = None,
    maxlen: Annotated[int | None, typer.Option(help="keep about this many newest events")] = None,
) -> None:
    """Publish one event per line of a file (or stdin); each line is sent as it is."""
    total = 0
    with workspace(ctx, create=True) as ws, _lines(file) as lines:
        chunk: list[bytes] = []
        for line in lines:
            if line.strip():
                chunk.append(line.rstrip(b"\r\n"))
            if len(chunk) >= PUBLISH_CHUNK:
                total += len(ws.streams.publish(stream, chunk, maxlen=maxlen))
                chunk = []
        if chunk:
            total += len(ws.streams.publish(stream, chunk, maxlen=maxlen))
    typer.echo(f"published {total} events to {stream}")


@contextmanager
def _lines(file: Path | None) -> Iterator[Iterator[bytes]]:
    if file is None:
        yield iter(sys.stdin.buffer)
        return
    if not file.is_file():
        raise InvalidInputError(f"cannot publish {str(file)!r}: no such file", path=str(file))
    with file.open("rb") as handle:
        yield iter(handle)


@app.command("tail")
def tail(
    ctx: typer.Context,
    stream: str,
    count: Annotated[int, typer.Option("--count", "-n", help="newest N events")] = 10,
) -> None:
    """The newest events of a stream, one per line: the id, a space, the payload."""
    with workspace(ctx) as ws:
        events = ws.streams.tail(stream, count)
    for event in events:
        typer.echo(f"{event.id} {event.data.decode('utf-8', errors='replace')}")


@app.command("lag")
def lag(
    ctx: typer.Context,
    stream: str,
    group: Annotated[str, typer.Option("--group", "-g", help="consumer group")],
) -> None:
    """Events a consumer group has not read yet (lag) and not acknowledged (pending)."""
    with workspace(ctx) as ws:
        info = ws.streams.lag(stream, group)
    typer.echo(
        f"{stream} group {info.name}: lag {info.lag}, pending {info.pending}, "
        f"consumers {info.consumers}, last delivered {info.last_delivered or '-'}"
    )


@app.command("ingest")
def ingest(
    ctx: typer.Context,
    table: Annotated[str, typer.Option("--table", "-t", help="table to append to")],
    stream: Annotated[str | None, typer.Argument(help="a stream of the workspace")] = None,
    source: Annotated[
        str | None,
        typer.Option(help="an external source instead: nats://host:4222/subject, mqtt://…/topic"),
    ] = None,
    dedupe: Annotated[
        str | None, typer.Option(help="field naming each event: drop ones the table holds")
    ] = None,
    every: Annotated[str, typer.Option(help="micro-batch interval: 500ms, 1s, 1m")] = "1s",
    group: Annotated[str | None, typer.Option(help="consumer group [<table>_sink]")] = None,
    max_batch: Annotated[int, typer.Option(help="most events per micro-batch")] = 100_000,
    required: Annotated[
        str | None, typer.Option(help="fields every event must have, comma-separated")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="drain what is there, then exit")] = False,
    compact_every: Annotated[
        int, typer.Option(help="compact the table's small files every N batches (0: never)")
    ] = 100,
) -> None:
    """Append a stream (or an external --source) to a table exactly once, until Ctrl-C or
    SIGTERM (which finish the batch in hand first), or with --once until it is drained.
    MQTT sources are at least once: name a --dedupe field to drop redelivered events."""
    stop = threading.Event()
    origin = stream or source
    names = [r.strip() for r in required.split(",") if r.strip()] if required else []
    line = Console(stderr=True).status(f"{origin} -> {table}: waiting for events")

    def show(result: IngestResult) -> None:
        line.update(
            f"{origin} -> {table}: {result.events} events, {result.written} written, "
            f"{result.quarantined} quarantined, {result.skipped} already written "
            f"(version {result.version})"
        )

    with workspace(ctx, create=True) as ws, _stopped_by_signals(stop), line:
        result = ws.streams.ingest(
            stream,
            table,
            source=source,
            dedupe=dedupe,
            group=group,
            every=every,
            max_batch=max_batch,
            required=names,
            once=once,
            stop=stop,
            on_batch=show,
            compact_every=compact_every or None,
        )
    typer.echo(
        f"ingested {result.events} events from {origin} into {table}: {result.written} written, "
        f"{result.quarantined} quarantined, {result.skipped} already written"
        + (f"; quarantined events are in {table}__quarantine" if result.quarantined else "")
    )


@app.command("features")
def features(
    ctx: typer.Context,
    view: Annotated[str, typer.Argument(help="a StreamFeatureView registered in the workspace")],
    every: Annotated[str, typer.Option(help="how long a step waits for events")] = "10ms",
    offline_every: Annotated[str, typer.Option(help="offline commit interval")] = "1s",
    once: Annotated[bool, typer.Option("--once", help="drain what is there, then exit")] = False,
) -> None:
    """Run a stream feature view: windowed values online as events arrive, offline every
    --offline-every, until Ctrl-C or SIGTERM (or with --once until the stream is drained)."""
    stop = threading.Event()
    with workspace(ctx) as ws, _stopped_by_signals(stop):
        r = ws.streams.run_features(
            view,
            every=every,
            offline_every=offline_every,
            once=once,
            stop=stop,
            freeze_gc=not once,  # this process runs the processor: see StreamFeatures.run
        )
    typer.echo(
        f"{view}: {r.events} events, {r.accepted} on time, {r.late} late (in {view}_late), "
        f"{r.quarantined} quarantined, {r.online} online writes"
    )


@app.command("score")
def score(
    ctx: typer.Context,
    stream: Annotated[str, typer.Argument(help="the stream of rows to score")],
    endpoint: Annotated[str, typer.Option(help="the serving endpoint")],
    to: Annotated[str, typer.Option(help="the stream the answers are published to")],
    once: Annotated[bool, typer.Option("--once", help="drain what is there, then exit")] = False,
) -> None:
    """Score a stream with a serving endpoint, one answer per event on --to, until Ctrl-C
    or SIGTERM (or with --once until the stream is drained)."""
    stop = threading.Event()
    with workspace(ctx) as ws, _stopped_by_signals(stop):
        r = ws.streams.score(stream, endpoint=endpoint, to=to, once=once, stop=stop)
    typer.echo(f"scored {r.events} events of {stream} with {endpoint}: {r.failed} failed")


@contextmanager
def _stopped_by_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` (the sink ends after its current batch)."""
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda *_: stop.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
