"""Feature definitions: entities, feature views and feature services, as frozen values.

Definitions are plain Python values a user writes in a ``features.py`` file and registers
with ``ws.features.apply([...])``. Each has a ``spec()``: the JSON form stored (and
versioned) in the catalog, from which ``from_spec`` rebuilds it.

Example:
    >>> from datetime import timedelta
    >>> rider = Entity("rider", join_keys=["rider_id"])
    >>> stats = FeatureView(
    ...     "rider_stats", entity="rider", timestamp="ts", features=["trips", "rating"],
    ...     source="rider_events", ttl=timedelta(days=7),
    ... )
    >>> stats.refs()
    ['rider_stats:trips', 'rider_stats:rating']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

from lakeworks.context import check_name
from lakeworks.errors import InvalidInputError

_SQL_START = re.compile(r"^\s*(select|with|from)\b", re.IGNORECASE)
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def duration(view: str, value: timedelta | str | None) -> timedelta | None:
    """``available_after`` as a timedelta: one, or ``"90s"``, ``"15m"``, ``"1h"``, ``"2d"``,
    ``"1w"``; zero is allowed (known at the event time itself)."""
    if value is None or isinstance(value, timedelta):
        found = value
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        found = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    else:
        raise InvalidInputError(
            f"feature view {view!r}: available_after {value!r} is not a duration",
            hint="e.g. available_after='1h', '30m', '2d' or timedelta(hours=1)",
            view=view,
        )
    if found is not None and found < timedelta(0):
        raise InvalidInputError(
            f"feature view {view!r}: available_after must not be negative, not {value!r}",
            hint="values cannot be known before they happen",
            view=view,
        )
    return found


def _names(kind: str, owner: str, values: Any) -> tuple[str, ...]:
    values = (values,) if isinstance(values, str) else tuple(values or ())
    if not values:
        raise InvalidInputError(f"{owner} needs at least one {kind}", name=owner)
    for value in values:
        check_name(kind, value)
    if len(set(values)) != len(values):
        raise InvalidInputError(f"{owner} names a {kind} twice: {list(values)}", name=owner)
    return values


@dataclass(frozen=True)
class Entity:
    """A thing features describe (a rider, a store and a day, ...), identified by join keys.

    Args:
        name: the entity's name, referenced by feature views.
        join_keys: one column name or several; entity frames and online requests must
            carry all of them. Keys must be integers or strings.
    """

    kind: ClassVar[str] = "entity"
    name: str
    join_keys: tuple[str, ...]
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    owner: str | None = None

    def __init__(
        self,
        name: str,
        join_keys: str | list[str] | tuple[str, ...],
        *,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        owner: str | None = None,
    ) -> None:
        check_name("entity", name)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "join_keys", _names("join key", f"entity {name!r}", join_keys))
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "tags", dict(tags or {}))
        object.__setattr__(self, "owner", owner)

    def __hash__(self) -> int:  # tags are a dict; identity is kind and name
        return hash((self.kind, self.name))

    def spec(self) -> dict[str, Any]:
        return {
            "join_keys": list(self.join_keys),
            "description": self.description,
            "tags": self.tags,
            "owner": self.owner,
        }

    @classmethod
    def from_spec(cls, name: str, spec: dict[str, Any]) -> Entity:
        return cls(name, spec["join_keys"], **_common(spec))


@dataclass(frozen=True)
class FeatureView:
    """Features of one entity, read from a table or a SQL query, valid for ``ttl``.

    Args:
        name: the view's name; features are referenced as ``"view:feature"``.
        entity: the entity (or its name) the rows describe; its join keys must be
            columns of the source.
        timestamp: the event-time column of the source (when the value became true).
        features: the feature columns of the source.
        source: a table of the workspace, or a SELECT over its tables.
        ttl: how long a value stays valid after its event time (None: forever).
        known_at: a column of the source holding when each row's value became known (for
            history loaded after the fact); used instead of the commit time.
        available_after: for history loaded after the fact: a value counts as known this
            long after its event time (``"1h"``, ``"2d"`` or a timedelta), or when its
            commit made it known, whichever came first. At most one of the two.
    """

    kind: ClassVar[str] = "view"
    name: str
    entity: str
    timestamp: str
    features: tuple[str, ...]
    source: str
    ttl: timedelta | None = None
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    owner: str | None = None
    known_at: str | None = None
    available_after: timedelta | None = None

    def __init__(
        self,
        name: str,
        *,
        entity: str | Entity,
        timestamp: str,
        features: list[str] | tuple[str, ...],
        source: str,
        ttl: timedelta | None = None,
        known_at: str | None = None,
        available_after: timedelta | str | None = None,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        owner: str | None = None,
    ) -> None:
        check_name("feature view", name)
        entity_name = entity.name if isinstance(entity, Entity) else entity
        check_name("entity", entity_name)
        check_name("timestamp column", timestamp)
        if not source or not source.strip():
            raise InvalidInputError(f"feature view {name!r} needs a source table or query")
        if ttl is not None and ttl <= timedelta(0):
            raise InvalidInputError(f"feature view {name!r}: ttl must be positive", view=name)
        names = _names("feature", f"feature view {name!r}", features)
        if timestamp in names:
            raise InvalidInputError(
                f"feature view {name!r}: the timestamp column {timestamp!r} is not a feature"
            )
        after = _availability(name, timestamp, names, known_at, available_after)
        for attr, value in (
            ("known_at", known_at),
            ("available_after", after),
            ("name", name),
            ("entity", entity_name),
            ("timestamp", timestamp),
            ("features", names),
            ("source", source.strip()),
            ("ttl", ttl),
            ("description", description),
            ("tags", dict(tags or {})),
            ("owner", owner),
        ):
            object.__setattr__(self, attr, value)

    def __hash__(self) -> int:  # tags are a dict; identity is kind and name
        return hash((self.kind, self.name))

    @property
    def declares_known(self) -> bool:
        """Whether the view says when its values became known (``known_at`` or
        ``available_after``)."""
        return self.known_at is not None or self.available_after is not None

    @property
    def source_is_query(self) -> bool:
        return bool(_SQL_START.match(self.source))

    def refs(self) -> list[str]:
        return [f"{self.name}:{f}" for f in self.features]

    def spec(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "timestamp": self.timestamp,
            "features": list(self.features),
            "source": self.source,
            "ttl_seconds": None if self.ttl is None else self.ttl.total_seconds(),
            "description": self.description,
            "tags": self.tags,
            "owner": self.owner,
            # only when declared, so views defined before these existed keep their spec
            **({"known_at": self.known_at} if self.known_at else {}),
            **(
                {"available_after_seconds": self.available_after.total_seconds()}
                if self.available_after is not None
                else {}
            ),
        }

    @classmethod
    def from_spec(cls, name: str, spec: dict[str, Any]) -> FeatureView:
        ttl = spec.get("ttl_seconds")
        after = spec.get("available_after_seconds")
        return cls(
            name,
            entity=spec["entity"],
            timestamp=spec["timestamp"],
            features=spec["features"],
            source=spec["source"],
            ttl=None if ttl is None else timedelta(seconds=ttl),
            known_at=spec.get("known_at"),
            available_after=None if after is None else timedelta(seconds=after),
            **_common(spec),
        )


def _availability(
    name: str,
    timestamp: str,
    features: tuple[str, ...],
    known_at: str | None,
    available_after: timedelta | str | None,
) -> timedelta | None:
    """Check the declaration of when a view's values became known; the delay, parsed."""
    after = duration(name, available_after)
    if known_at is None:
        return after
    check_name("known_at column", known_at)
    if after is not None:
        raise InvalidInputError(
            f"feature view {name!r} declares both known_at={known_at!r} and "
            f"available_after={available_after!r}",
            hint="give one: the column that records when values became known, or the delay",
            view=name,
        )
    if known_at == timestamp or known_at in features:
        raise InvalidInputError(
            f"feature view {name!r}: known_at {known_at!r} is also its timestamp or a feature",
            hint="known_at names its own column: when the value became known",
            view=name,
        )
    return None


@dataclass(frozen=True)
class FeatureService:
    """A named list of features one model uses: ``"view:feature"`` or ``"view"`` (all)."""

    kind: ClassVar[str] = "service"
    name: str
    features: tuple[str, ...]
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    owner: str | None = None

    def __init__(
        self,
        name: str,
        features: list[str | FeatureView] | tuple[str | FeatureView, ...],
        *,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        owner: str | None = None,
    ) -> None:
        check_name("feature service", name)
        refs = tuple(f.name if isinstance(f, FeatureView) else f for f in features or ())
        if not refs:
            raise InvalidInputError(f"feature service {name!r} needs at least one feature")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "features", refs)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "tags", dict(tags or {}))
        object.__setattr__(self, "owner", owner)

    def __hash__(self) -> int:  # tags are a dict; identity is kind and name
        return hash((self.kind, self.name))

    def spec(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "description": self.description,
            "tags": self.tags,
            "owner": self.owner,
        }

    @classmethod
    def from_spec(cls, name: str, spec: dict[str, Any]) -> FeatureService:
        return cls(name, spec["features"], **_common(spec))


Definition = Entity | FeatureView | FeatureService
KINDS: dict[str, type[Entity] | type[FeatureView] | type[FeatureService]] = {
    "entity": Entity,
    "view": FeatureView,
    "service": FeatureService,
}


def from_spec(kind: str, name: str, spec: dict[str, Any]) -> Definition:
    return KINDS[kind].from_spec(name, spec)


def _common(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": spec.get("description"),
        "tags": spec.get("tags") or {},
        "owner": spec.get("owner"),
    }
