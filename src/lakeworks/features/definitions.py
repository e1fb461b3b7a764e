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

    def __init__(
        self,
        name: str,
        *,
        entity: str | Entity,
        timestamp: str,
        features: list[str] | tuple[str, ...],
        source: str,
        ttl: timedelta | None = None,
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
        for attr, value in (
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
        }

    @classmethod
    def from_spec(cls, name: str, spec: dict[str, Any]) -> FeatureView:
        ttl = spec.get("ttl_seconds")
        return cls(
            name,
            entity=spec["entity"],
            timestamp=spec["timestamp"],
            features=spec["features"],
            source=spec["source"],
            ttl=None if ttl is None else timedelta(seconds=ttl),
            **_common(spec),
        )


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
