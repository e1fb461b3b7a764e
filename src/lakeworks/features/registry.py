"""The feature registry: apply definitions (with a diff), version them, roll them back.

Every apply stores a new version of each definition whose spec changed; versions only
grow, so a rollback stores the old spec again as the newest version. Reads go through a
short-lived in-process snapshot so online lookups never wait on the catalog.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.features.definitions import (
    Definition,
    Entity,
    FeatureService,
    FeatureView,
    from_spec,
)
from lakeworks.features.store import DefinitionVersion, FeatureCatalog

if TYPE_CHECKING:
    from lakeworks.features.lake import Lake

SNAPSHOT_SECONDS = 2.0  # how stale another process's apply may look to this one
ORDER = {"entity": 0, "view": 1, "service": 2}


@dataclass(frozen=True)
class Change:
    """What an apply did to one definition: ``create``, ``update`` or ``unchanged``."""

    kind: str
    name: str
    action: str
    old_version: int | None
    new_version: int | None
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.action == "create":
            return f"+ {self.kind} {self.name} (v{self.new_version})"
        if self.action == "update":
            fields = ", ".join(self.fields)
            return f"~ {self.kind} {self.name} v{self.old_version} -> v{self.new_version}: {fields}"
        return f"= {self.kind} {self.name} (v{self.old_version}, unchanged)"


@dataclass(frozen=True)
class ApplyResult:
    changes: tuple[Change, ...]

    @property
    def changed(self) -> list[Change]:
        return [c for c in self.changes if c.action != "unchanged"]

    def __str__(self) -> str:
        return "\n".join(str(c) for c in self.changes) or "nothing to apply"


@dataclass(frozen=True)
class Registered:
    """A definition at its newest version."""

    definition: Definition
    version: int


@dataclass(frozen=True)
class Snapshot:
    """Every current definition of one workspace.

    ``version`` numbers what the snapshot holds: two snapshots of one workspace from
    ``Registry.snapshot`` share it exactly when every definition is at the same version,
    and a number is never given to other contents in the process (0: a snapshot made for
    validation, never handed to readers). Caches of what is built from a snapshot key on it.
    """

    entities: dict[str, Registered]
    views: dict[str, Registered]
    services: dict[str, Registered]
    version: int = 0

    def of(self, kind: str) -> dict[str, Registered]:
        return {"entity": self.entities, "view": self.views, "service": self.services}[kind]

    def view(self, name: str) -> FeatureView:
        found = self.views.get(name)
        if found is None:
            raise NotFoundError(
                f"feature view {name!r} is not registered",
                hint=f"registered views: {sorted(self.views)}; apply it first",
                view=name,
            )
        return found.definition  # type: ignore[return-value]

    def entity(self, name: str) -> Entity:
        found = self.entities.get(name)
        if found is None:
            raise NotFoundError(
                f"entity {name!r} is not registered",
                hint=f"registered entities: {sorted(self.entities)}",
                entity=name,
            )
        return found.definition  # type: ignore[return-value]

    def service(self, name: str) -> FeatureService:
        found = self.services.get(name)
        if found is None:
            raise NotFoundError(
                f"feature service {name!r} is not registered",
                hint=f"registered services: {sorted(self.services)}",
                service=name,
            )
        return found.definition  # type: ignore[return-value]


class Registry:
    def __init__(self, lake: Lake) -> None:
        self.lake = lake
        self.store = FeatureCatalog(lake.catalog)
        self._snapshots: dict[str, tuple[float, Snapshot]] = {}
        # workspace -> (every (kind, name, version) of its last snapshot, that one's number)
        self._numbers: dict[str, tuple[tuple[tuple[str, str, int], ...], int]] = {}
        self._next_number = itertools.count(1)
        self._lock = threading.Lock()

    # reads ------------------------------------------------------------------------
    def snapshot(self, ctx: Context) -> Snapshot:
        cached = self._snapshots.get(ctx.workspace)
        if cached is not None and time.monotonic() - cached[0] < SNAPSHOT_SECONDS:
            return cached[1]
        rows = self.store.current(ctx.workspace)
        snapshot = _snapshot(rows, self._number(ctx.workspace, rows))
        self._snapshots[ctx.workspace] = (time.monotonic(), snapshot)
        return snapshot

    def _number(self, workspace: str, rows: list[DefinitionVersion]) -> int:
        """``Snapshot.version`` of these rows: the last one's while no definition changed,
        else a new number. Two threads racing may number one content twice: a cache miss,
        never a wrong hit (``itertools.count`` never repeats)."""
        held = tuple(sorted((r.kind, r.name, r.version) for r in rows))
        last = self._numbers.get(workspace)
        if last is not None and last[0] == held:
            return last[1]
        number = next(self._next_number)
        self._numbers[workspace] = (held, number)
        return number

    def list(self, ctx: Context, kind: str | None = None) -> list[DefinitionVersion]:
        self.lake.catalog.workspace(ctx.workspace)
        return self.store.current(ctx.workspace, kind)

    def versions(self, ctx: Context, name: str, kind: str = "view") -> list[DefinitionVersion]:
        versions = self.store.versions(ctx.workspace, kind, name)
        if not versions:
            raise NotFoundError(f"{kind} {name!r} is not registered", name=name, kind=kind)
        return versions

    # writes -----------------------------------------------------------------------
    def apply(
        self, ctx: Context, definitions: Iterable[Definition], *, dry_run: bool = False
    ) -> ApplyResult:
        """Register new and changed definitions; returns the diff against the catalog."""
        incoming = _unique(definitions)
        with self._lock:
            current = _snapshot(self.store.current(ctx.workspace))
            self._validate(ctx, incoming, current)
            changes, rows = [], []
            for d in sorted(incoming, key=lambda d: (ORDER[d.kind], d.name)):
                old = current.of(d.kind).get(d.name)
                change = _change(d, old)
                changes.append(change)
                if change.action != "unchanged":
                    rows.append((d.kind, d.name, change.new_version, d.spec(), None))
            if rows and not dry_run:
                self.store.add_versions(ctx.workspace, ctx.user, rows)
                self._snapshots.pop(ctx.workspace, None)
        return ApplyResult(tuple(changes))

    def rollback(self, ctx: Context, name: str, to_version: int, kind: str = "view") -> Change:
        """Store version ``to_version``'s spec as the newest version of ``name``."""
        versions = self.versions(ctx, name, kind)
        target = next((v for v in versions if v.version == to_version), None)
        if target is None:
            raise NotFoundError(
                f"{kind} {name!r} has no version {to_version}",
                hint=f"its versions are {[v.version for v in versions]}",
                name=name,
                version=to_version,
            )
        definition = from_spec(kind, name, target.spec)
        with self._lock:
            current = _snapshot(self.store.current(ctx.workspace))
            self._validate(ctx, [definition], current)
            latest = versions[-1]
            if latest.spec == target.spec:
                return Change(kind, name, "unchanged", latest.version, latest.version)
            change = Change(
                kind,
                name,
                "update",
                latest.version,
                latest.version + 1,
                _changed_fields(latest.spec, target.spec),
            )
            note = f"rollback to v{to_version}"
            self.store.add_versions(
                ctx.workspace, ctx.user, [(kind, name, change.new_version, target.spec, note)]
            )
            self._snapshots.pop(ctx.workspace, None)
        return change

    # validation -------------------------------------------------------------------
    def _validate(self, ctx: Context, incoming: list[Definition], current: Snapshot) -> None:
        entities = {n: r.definition for n, r in current.entities.items()}
        views = {n: r.definition for n, r in current.views.items()}
        entities.update({d.name: d for d in incoming if isinstance(d, Entity)})
        views.update({d.name: d for d in incoming if isinstance(d, FeatureView)})
        merged = Snapshot(
            {n: Registered(d, 0) for n, d in entities.items()},
            {n: Registered(d, 0) for n, d in views.items()},
            {},
        )
        from lakeworks.features.sources import check_source

        for d in incoming:
            if isinstance(d, FeatureView):
                entity = merged.entity(d.entity)
                check_source(self.lake, ctx, d, entity)
            elif isinstance(d, FeatureService):
                resolve_refs(merged, list(d.features))


def resolve_refs(snapshot: Snapshot, refs: list[str]) -> list[tuple[FeatureView, str]]:
    """``["view:feature", "view"]`` as (view, feature) pairs, in the order asked."""
    if not refs:
        raise InvalidInputError("no features requested", hint="name features as 'view:feature'")
    out: list[tuple[FeatureView, str]] = []
    for ref in refs:
        if not isinstance(ref, str):
            raise InvalidInputError(f"a feature reference must be a string, not {ref!r}")
        view_name, _, feature = ref.partition(":")
        view = snapshot.view(view_name)
        if feature in ("", "*"):
            out.extend((view, f) for f in view.features)
        elif feature in view.features:
            out.append((view, feature))
        else:
            raise NotFoundError(
                f"feature view {view_name!r} has no feature {feature!r}",
                hint=f"its features are {list(view.features)}",
                view=view_name,
                feature=feature,
            )
    return out


def _unique(definitions: Iterable[Definition]) -> list[Definition]:
    seen: dict[tuple[str, str], Definition] = {}
    for d in definitions:
        if not isinstance(d, Entity | FeatureView | FeatureService):
            raise InvalidInputError(
                f"cannot apply {d!r}", hint="apply Entity, FeatureView and FeatureService values"
            )
        key = (d.kind, d.name)
        if key in seen and seen[key] != d:
            raise InvalidInputError(
                f"two different definitions of {d.kind} {d.name!r} in one apply"
            )
        seen[key] = d
    return list(seen.values())


def _change(d: Definition, old: Registered | None) -> Change:
    if old is None:
        return Change(d.kind, d.name, "create", None, 1)
    old_spec, new_spec = old.definition.spec(), d.spec()
    if old_spec == new_spec:
        return Change(d.kind, d.name, "unchanged", old.version, old.version)
    fields = _changed_fields(old_spec, new_spec)
    return Change(d.kind, d.name, "update", old.version, old.version + 1, fields)


def _changed_fields(old: dict, new: dict) -> tuple[str, ...]:
    return tuple(k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k))


def _snapshot(rows: list[DefinitionVersion], version: int = 0) -> Snapshot:
    groups: dict[str, dict[str, Registered]] = {"entity": {}, "view": {}, "service": {}}
    for row in rows:
        groups[row.kind][row.name] = Registered(
            from_spec(row.kind, row.name, row.spec), row.version
        )
    return Snapshot(groups["entity"], groups["view"], groups["service"], version)
