"""Runs stream feature views: ``platform.stream_features.run(ctx, "user_clicks_5m")``.

Built with the feature store and the streams service (features sit above streams in the
layers): it reads a registered ``StreamFeatureView``'s stream through the consumer group
``<view>_features`` and drives a ``WindowProcessor`` (``stream_processor.py``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lakeworks.context import Context
from lakeworks.errors import LakeworksError
from lakeworks.features.store import Materialization
from lakeworks.features.stream_processor import WindowProcessor
from lakeworks.features.stream_values import StepCounts
from lakeworks.features.stream_views import StreamFeatureView
from lakeworks.streams.service import parse_every

if TYPE_CHECKING:
    from lakeworks.features.service import Features
    from lakeworks.streams.service import Streams

log = logging.getLogger("lakeworks.features")
RETRY_WAIT = 1.0
ONCE_RETRIES = 10


@dataclass
class StreamFeatureResult:
    """Totals of one ``run``: ``events == accepted + late + quarantined + skipped``."""

    view: str
    steps: int = 0
    events: int = 0
    accepted: int = 0
    late: int = 0
    quarantined: int = 0
    skipped: int = 0
    online: int = 0  # key values written to the online store

    def add(self, counts: StepCounts) -> None:
        self.steps += 1
        for name in ("events", "accepted", "late", "quarantined", "skipped", "online"):
            setattr(self, name, getattr(self, name) + getattr(counts, name))


class StreamFeatures:
    """The processors of stream feature views; every door calls ``run``."""

    def __init__(self, features: Features, streams: Streams) -> None:
        self.features, self.streams = features, streams

    def run(
        self,
        ctx: Context,
        view: str,
        *,
        every: float | str = 0.01,
        offline_every: float | str = 1.0,
        once: bool = False,
        stop: threading.Event | None = None,
        compact_every: int | None = 100,
        on_step: Callable[[StreamFeatureResult], None] | None = None,
        freeze_gc: bool = False,
    ) -> StreamFeatureResult:
        """Process the view's stream: values online as events arrive, offline every
        ``offline_every``. Runs until ``stop`` is set, or with ``once=True`` until the
        stream is drained; either way the offline side is committed before it returns.
        Every ``compact_every`` offline commits the small files of ``<view>_features``
        and ``<view>_events`` are compacted (None: never). The offline commits run on a
        thread of their own; online writes never wait for them. ``freeze_gc=True`` (for a
        process that runs this processor, as the CLI does) calls ``gc.freeze()`` after
        the first commit, so the collector's full passes stop pausing the online path.

        Example:
            >>> ws.streams.run_features("user_clicks_5m", once=True).accepted  # doctest: +SKIP
            12
        """
        processor = self._processor(ctx, view, parse_every(offline_every))
        processor.compact_every, processor.freeze_gc = compact_every, freeze_gc
        wait, stop = parse_every(every), stop or threading.Event()
        result = StreamFeatureResult(view)
        processor.start()
        try:
            self._loop(ctx, processor, result, wait, stop, once, on_step)
            processor.flush()
        finally:
            processor.close()  # waits for a commit in flight: nothing is left half done
        return result

    def _loop(
        self,
        ctx: Context,
        processor: WindowProcessor,
        result: StreamFeatureResult,
        wait: float,
        stop: threading.Event,
        once: bool,
        on_step: Callable[[StreamFeatureResult], None] | None,
    ) -> None:
        failures = 0
        while not stop.is_set():
            try:
                counts = processor.step(wait)
            except LakeworksError as exc:
                failures += 1
                if not exc.transient or (once and failures > ONCE_RETRIES):
                    raise
                log.warning("stream feature view %r: %s; retrying", processor.sview.name, exc)
                stop.wait(RETRY_WAIT)
                continue
            failures = 0
            if counts.events:
                result.add(counts)
                self._mark_online(ctx, processor, counts)
                if on_step:
                    on_step(result)
            elif once:
                break

    def _processor(self, ctx: Context, name: str, offline_every: float) -> WindowProcessor:
        snapshot = self.features.registry.snapshot(ctx)
        view = snapshot.view(name)
        sview = StreamFeatureView.from_view(view)
        keys = tuple(snapshot.entity(view.entity).join_keys)
        source = self.streams.log_source(
            ctx, sview.stream, f"{name}_features", "processor", redeliver=False
        )
        store = self.features.online_store
        return WindowProcessor(
            sview, keys, source, self.features.lake.tables, store, ctx, offline_every
        )

    def _mark_online(self, ctx: Context, processor: WindowProcessor, counts: StepCounts) -> None:
        """Record once that the view has online values, so online reads find it."""
        name = processor.sview.name
        if not counts.online or (ctx.workspace, name) in self.features._online_views:
            return
        if not self.features.registry.store.materializations(ctx.workspace, name):
            at = datetime.now(UTC)
            version = self.features.registry.snapshot(ctx).views[name].version
            self.features.registry.store.record_materialization(
                ctx.workspace,
                Materialization(
                    name, version, "stream", None, None, counts.online, at, at, ctx.user
                ),
            )
        self.features._online_views.add((ctx.workspace, name))
