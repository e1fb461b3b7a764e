"""A feature view over a stream: windowed aggregates per entity, in event time.

``StreamFeatureView`` is registered as an ordinary ``FeatureView`` (training sets, online
reads and versions work as for any view) over the table ``<name>_features`` that its
processor appends to; the window definition travels in the view's tags
(``lakeworks.stream``), so a registered view is all a processor needs. The processor
(``stream_processor.py``) also keeps ``<name>_events`` (every on-time and late event,
the offline truth the windows are computed from) and ``<name>_late``.

Example:
    >>> from lakeworks.streams.windows import Agg, Window
    >>> view = StreamFeatureView(
    ...     "user_clicks_5m", entity="user", stream="clicks", timestamp="ts",
    ...     window=Window.tumbling("5m"), allowed_lateness="30s",
    ...     features=[Agg("clicks", "count"), Agg("spend", "sum", "amount")],
    ... )
    >>> view.view().source
    'user_clicks_5m_features'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from lakeworks.context import check_name
from lakeworks.errors import InvalidInputError
from lakeworks.features.definitions import Entity, FeatureView
from lakeworks.streams.windows import Agg, Window, span

TAG = "lakeworks.stream"
WINDOW_START = "window_start"


@dataclass(frozen=True)
class StreamFeatureView:
    """Windowed aggregates of ``stream``'s events per ``entity``.

    Args:
        name: the view's name.
        entity: the entity (or its name); its join keys must be fields of each event.
        stream: the workspace stream the events come from.
        timestamp: the field holding each event's time (epoch seconds or ISO 8601).
        window: ``Window.tumbling(...)``, ``Window.hopping(...)`` or ``Window.sliding(...)``.
        features: the aggregates, ``Agg(name, function, field)``.
        allowed_lateness: how far behind the newest event time an event may be and still
            count (``"30s"``); later ones go to ``<name>_late``.
        ttl: how long a value stays valid after its event time (None: forever).
    """

    name: str
    entity: str
    stream: str
    timestamp: str
    window: Window
    features: tuple[Agg, ...]
    allowed_lateness: timedelta = timedelta(0)
    ttl: timedelta | None = None
    description: str | None = None

    def __init__(
        self,
        name: str,
        *,
        entity: str | Entity,
        stream: str,
        timestamp: str,
        window: Window,
        features: list[Agg] | tuple[Agg, ...],
        allowed_lateness: timedelta | str = timedelta(0),
        ttl: timedelta | None = None,
        description: str | None = None,
    ) -> None:
        check_name("stream", stream)
        check_name("timestamp field", timestamp)
        aggs = tuple(features)
        if not aggs or not all(isinstance(a, Agg) for a in aggs):
            raise InvalidInputError(
                f"stream feature view {name!r} needs features as Agg(name, function, field)",
                view=name,
            )
        lateness = span(allowed_lateness)
        if lateness < timedelta(0):
            raise InvalidInputError(f"{name!r}: allowed_lateness must not be negative")
        values = {
            "name": name,
            "entity": entity.name if isinstance(entity, Entity) else entity,
            "stream": stream,
            "timestamp": timestamp,
            "window": window,
            "features": aggs,
            "allowed_lateness": lateness,
            "ttl": ttl,
            "description": description,
        }
        for attr, value in values.items():
            object.__setattr__(self, attr, value)
        self.view()  # checks names the way every view is checked

    @property
    def tables(self) -> tuple[str, str, str]:
        """(features, events, late events) table names."""
        return f"{self.name}_features", f"{self.name}_events", f"{self.name}_late"

    def columns(self) -> tuple[str, ...]:
        """The event fields the aggregates read, each once."""
        return tuple(dict.fromkeys(a.column for a in self.features if a.column))

    def view(self) -> FeatureView:
        spec = {
            "stream": self.stream,
            "window": self.window.spec(),
            "features": [a.spec() for a in self.features],
            "allowed_lateness_seconds": self.allowed_lateness.total_seconds(),
        }
        return FeatureView(
            self.name,
            entity=self.entity,
            timestamp=self.timestamp,
            features=[a.name for a in self.features],
            source=self.tables[0],
            ttl=self.ttl,
            description=self.description,
            tags={TAG: json.dumps(spec, sort_keys=True)},
        )

    @classmethod
    def from_view(cls, view: FeatureView) -> StreamFeatureView:
        """The stream view a registered view was made from (InvalidInputError if none)."""
        if TAG not in view.tags:
            raise InvalidInputError(
                f"feature view {view.name!r} is not defined over a stream",
                hint="define it with StreamFeatureView(...) and apply it",
                view=view.name,
            )
        spec: dict[str, Any] = json.loads(view.tags[TAG])
        return cls(
            view.name,
            entity=view.entity,
            stream=spec["stream"],
            timestamp=view.timestamp,
            window=Window.from_spec(spec["window"]),
            features=[Agg(*a) for a in spec["features"]],
            allowed_lateness=timedelta(seconds=spec["allowed_lateness_seconds"]),
            ttl=view.ttl,
            description=view.description,
        )
