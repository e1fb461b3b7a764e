"""A stream scored by a serving endpoint, the predictions published to another stream:
``platform.stream_scoring.score(ctx, "clicks", endpoint="churn", to="churn_scores")``.

Each micro-batch is read through the consumer group ``score_<endpoint>``, sent to the
endpoint as one request, and answered with one event per input on the output stream:
``{"event_id": ..., "endpoint": ..., "model": ..., "prediction": {...}}``, or
``"error"`` with the reason instead of ``"prediction"`` (an event that is not a JSON
object, a row the model refused), so no input goes unanswered. The input events are
acknowledged after the answers are published: at least once, and a consumer of the
output drops repeats by ``event_id``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeworks.context import Context, check_name
from lakeworks.errors import LakeworksError
from lakeworks.streams.service import parse_every

if TYPE_CHECKING:
    from lakeworks.serving.service import Serving
    from lakeworks.streams.log.base import Event
    from lakeworks.streams.service import Streams


@dataclass
class ScoreResult:
    """Totals of one ``score`` call: ``events == predicted + failed``."""

    endpoint: str
    batches: int = 0
    events: int = 0
    predicted: int = 0
    failed: int = 0


class StreamScoring:
    def __init__(self, serving: Serving, streams: Streams) -> None:
        self.serving, self.streams = serving, streams

    def score(
        self,
        ctx: Context,
        stream: str,
        *,
        endpoint: str,
        to: str,
        every: float | str = 0.1,
        max_batch: int = 1000,
        once: bool = False,
        stop: threading.Event | None = None,
    ) -> ScoreResult:
        """Score ``stream`` with ``endpoint`` into ``to`` until ``stop`` is set (or, with
        ``once=True``, until the stream is drained).

        Example:
            >>> ws.streams.score("people", endpoint="churn", to="s", once=True)  # doctest: +SKIP
        """
        check_name("stream", to)
        source = self.streams.log_source(ctx, stream, f"score_{endpoint}", "scorer")
        source.start(-1)
        wait, stop = parse_every(every), stop or threading.Event()
        result = ScoreResult(endpoint)
        while not stop.is_set():
            events = source.read(max_batch, wait)
            if not events:
                if once:
                    break
                continue
            answers = self._answer(ctx, endpoint, events)
            self.streams.publish(ctx, to, answers)
            source.ack(events)
            result.batches += 1
            result.events += len(events)
            result.failed += sum("error" in a for a in answers)
            result.predicted = result.events - result.failed
        return result

    def _answer(self, ctx: Context, endpoint: str, events: list[Event]) -> list[dict[str, Any]]:
        rows, answers, index = [], [], []
        for event in events:
            record = _record(event.data)
            answers.append({"event_id": event.id, "endpoint": endpoint})
            if isinstance(record, str):
                answers[-1]["error"] = record
                continue
            rows.append(record)
            index.append(len(answers) - 1)
        if rows:
            self._predict(ctx, endpoint, rows, [answers[i] for i in index])
        return answers

    def _predict(
        self, ctx: Context, endpoint: str, rows: list[dict], answers: list[dict[str, Any]]
    ) -> None:
        """Fill ``answers`` in place; a request refused as a whole (a row that does not
        fit the signature) is split into one request per row, so only that row fails."""
        try:
            prediction = self.serving.predict(ctx, endpoint, rows)
        except LakeworksError as exc:
            if exc.transient:
                raise  # nothing acknowledged: the batch comes again
            if len(rows) == 1:
                answers[0]["error"] = str(exc)
                return
            for row, answer in zip(rows, answers, strict=True):
                self._predict(ctx, endpoint, [row], [answer])
            return
        for answer, output, error in zip(
            answers, prediction.outputs, prediction.errors, strict=True
        ):
            answer["model"] = prediction.model
            answer.update({"prediction": output} if error is None else {"error": error})


def _record(data: bytes) -> dict[str, Any] | str:
    """The event as a JSON object, or the reason it is not one."""
    try:
        record = json.loads(data)
    except (ValueError, TypeError):
        return "not JSON"
    return (
        record if isinstance(record, dict) else f"not a JSON object but a {type(record).__name__}"
    )
