"""The feature store service, ``platform.features``: every method takes a Context first."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeworks.cache import BoundedCache
from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.features import lookup, masks, offline
from lakeworks.features.coverage import AsKnownAtWarning
from lakeworks.features.definitions import Definition, FeatureService, FeatureView
from lakeworks.features.lake import Lake
from lakeworks.features.materialize import MaterializeResult, materialize
from lakeworks.features.online import OnlineStore, store_from_settings
from lakeworks.features.online.limited import LimitedStore
from lakeworks.features.push import PushResult, push
from lakeworks.features.registry import ApplyResult, Change, Registry, Snapshot, resolve_refs
from lakeworks.features.store import DefinitionVersion, Materialization
from lakeworks.features.stream_views import StreamFeatureView
from lakeworks.limits import Unlimited

if TYPE_CHECKING:
    from lakeworks.config import Settings
    from lakeworks.lake.storage import Storage
    from lakeworks.lake.tables import Tables
    from lakeworks.limits import Limits
    from lakeworks.meta.catalog import Catalog

TAGS_SECONDS = 2.0  # how stale another process's PII tag may look to online reads (as
# registry.SNAPSHOT_SECONDS for definitions); this process's tag changes apply at once
FeatureRefs = list[str] | tuple[str, ...] | str | FeatureService


class Features:
    """Definitions, training sets, materialization, online reads and pushes."""

    def __init__(
        self, catalog: Catalog, storage: Storage, settings: Settings, tables: Tables
    ) -> None:
        self.lake = Lake(catalog, storage, settings, tables)
        self.registry = Registry(self.lake)
        self._online_views: set[tuple[str, str]] = set()  # views known to have online data
        # (workspace, Snapshot.version, features asked, full names) -> plan; see _plan
        self._plans: BoundedCache[lookup.Plan] = BoundedCache(1024)
        self._ties: dict[tuple[Any, ...], bool] = {}  # see offline.training_set
        # (workspace, Snapshot.version, the caller's masks) -> view -> feature -> kind
        self._masks: BoundedCache[dict[str, dict[str, str]]] = BoundedCache(256)
        self.limits: Limits = Unlimited()  # the platform plugs in quotas (online keys)

    @cached_property
    def online_store(self) -> OnlineStore:
        return store_from_settings(self.lake.settings)

    # definitions ------------------------------------------------------------------
    def apply(
        self, ctx: Context, definitions: Iterable[Definition], *, dry_run: bool = False
    ) -> ApplyResult:
        """Register entities, views and services; returns the diff (``print`` it). A
        ``StreamFeatureView`` is registered as the view over the table its processor
        writes (``platform.stream_features.run``)."""
        self.lake.catalog.workspace(ctx.workspace)
        plain = [d.view() if isinstance(d, StreamFeatureView) else d for d in definitions]
        return self.registry.apply(ctx, plain, dry_run=dry_run)

    def list(self, ctx: Context, kind: str | None = None) -> list[DefinitionVersion]:
        return self.registry.list(ctx, kind)

    def get(self, ctx: Context, name: str, kind: str = "view") -> Definition:
        found = self.registry.snapshot(ctx).of(kind).get(name)
        if found is None:
            raise NotFoundError(f"{kind} {name!r} is not registered", name=name, kind=kind)
        return found.definition

    def versions(self, ctx: Context, name: str, kind: str = "view") -> list[DefinitionVersion]:
        return self.registry.versions(ctx, name, kind)

    def rollback(self, ctx: Context, name: str, to_version: int, kind: str = "view") -> Change:
        return self.registry.rollback(ctx, name, to_version, kind)

    def materializations(self, ctx: Context, view: str) -> list[Materialization]:
        return self.registry.store.materializations(ctx.workspace, view)

    # offline ----------------------------------------------------------------------
    def training_set(
        self,
        ctx: Context,
        entities: Any,
        features: FeatureRefs,
        *,
        point_in_time: offline.PointInTime = "known",
        timestamp: str | None = None,
        full_names: bool = False,
        save_as: str | None = None,
        warn: bool = True,
    ) -> offline.TrainingSet:
        """The training set; with ``warn``, each of its ``warnings`` is also issued as an
        ``AsKnownAtWarning`` (doors that show them otherwise pass ``warn=False``)."""
        snapshot = self.registry.snapshot(ctx)
        pairs = resolve_refs(snapshot, self._refs(ctx, features))
        result = offline.training_set(
            self.lake,
            ctx,
            snapshot,
            entities,
            pairs,
            point_in_time=point_in_time,
            timestamp=timestamp,
            full_names=full_names,
            ties=self._ties,
        )
        result = self._masked_set(ctx, snapshot, pairs, entities, full_names, result)
        if warn:
            for text in result.warnings:
                warnings.warn(text, AsKnownAtWarning, stacklevel=3)
        self.lake.tables.hooks.emit(  # observed by tracking: a run's inputs
            "training_set_built",
            ctx=ctx,
            views=dict(result.views),
            tables=[(t.table, t.version) for t in result.tables],
            features=result.features,
        )
        if save_as is None:
            return result
        return replace(result, saved=_save(self.lake, ctx, save_as, result))

    # online -----------------------------------------------------------------------
    def materialize(
        self,
        ctx: Context,
        view: str,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
    ) -> MaterializeResult:
        result = materialize(
            self.lake,
            ctx,
            self.registry.snapshot(ctx),
            LimitedStore(self.online_store, self.limits),
            self.registry.store,
            view,
            start,
            end,
        )
        self._online_views.add((ctx.workspace, view))
        return result

    def online(
        self,
        ctx: Context,
        features: FeatureRefs,
        entity_rows: list[dict[str, Any]],
        *,
        full_names: bool = False,
        unmasked: bool = False,
    ) -> lookup.OnlineResult:
        """The latest value of each feature for each entity row, with a status each.

        Features holding personal data (``features.masks``) are masked for a caller
        without ``unmask`` on the workspace; ``unmasked=True`` is for services reading
        on their own behalf (serving's lookup by entity key, whose values feed the model
        and never leave the process).
        """
        plan = self._plan(ctx, features, full_names)
        result = lookup.read(self.online_store, ctx.workspace, plan, entity_rows)
        if unmasked:
            return result
        policies = self.lake.tables.mask.policies(ctx, max_age=TAGS_SECONDS)
        if not policies:  # the common case: nothing tagged, or a caller who may unmask
            return result
        found = self._view_masks(ctx, self.registry.snapshot(ctx), policies)
        outputs = {
            name: kind
            for vp in plan.views
            for feature, name in vp.features
            if (kind := found.get(vp.view, {}).get(feature)) is not None
        }
        return _masked_online(result, outputs, self.lake.tables.mask.mask_values)

    def push(self, ctx: Context, view: str, rows: Any) -> PushResult:
        snapshot = self.registry.snapshot(ctx)
        online = LimitedStore(self.online_store, self.limits)
        result = push(self.lake, ctx, snapshot, online, view, rows)
        if (ctx.workspace, view) not in self._online_views:
            self._record_push(ctx, snapshot.views[view].version, result)
        return result

    def close(self) -> None:
        if "online_store" in self.__dict__:
            self.online_store.close()

    # internals --------------------------------------------------------------------
    def _refs(self, ctx: Context, features: FeatureRefs) -> list[str]:
        if isinstance(features, FeatureService):
            return list(features.features)
        if isinstance(features, str):  # a service name
            return list(self.registry.snapshot(ctx).service(features).features)
        if isinstance(features, FeatureView):
            return features.refs()
        if not isinstance(features, list | tuple):
            raise InvalidInputError(
                "features must be a list of 'view:feature' names, a feature service or its "
                f"name, not {type(features).__name__}"
            )
        return list(features)

    def _plan(self, ctx: Context, features: FeatureRefs, full_names: bool) -> lookup.Plan:
        """The plan of an online request, from ``_plans``: keyed by value, the workspace,
        its snapshot's version (a new one whenever any definition changes, so a plan never
        outlives what it was built from) and the request; 1,024 plans at most, least
        recently used first out. A plan is frozen, and cached only once every view it
        reads has online values (``_check_online``; those never go away)."""
        snapshot = self.registry.snapshot(ctx)
        key = (
            ctx.workspace,
            snapshot.version,
            tuple(features) if isinstance(features, list | tuple) else features,
            full_names,
        )
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans.put(key, self._new_plan(ctx, snapshot, features, full_names))
        return plan

    def _new_plan(
        self, ctx: Context, snapshot: Snapshot, features: FeatureRefs, full_names: bool
    ) -> lookup.Plan:
        pairs = resolve_refs(snapshot, self._refs(ctx, features))
        names = offline.output_names(pairs, full_names)
        keys = {v.name: list(snapshot.entity(v.entity).join_keys) for v, _ in pairs}
        plan = lookup.plan(pairs, names, keys)
        for vp in plan.views:
            self._check_online(ctx, vp.view)
        return plan

    def _check_online(self, ctx: Context, view: str) -> None:
        if (ctx.workspace, view) in self._online_views:
            return
        if not self.registry.store.materializations(ctx.workspace, view):
            raise NotFoundError(
                f"feature view {view!r} has no online values yet: it was never materialized "
                "nor pushed",
                hint=f"run ws.features.materialize({view!r}) or "
                f"`lakeworks features materialize {view}`",
                view=view,
            )
        self._online_views.add((ctx.workspace, view))

    def _view_masks(
        self, ctx: Context, snapshot: Snapshot, policies: masks.TablePolicies
    ) -> dict[str, dict[str, str]]:
        """Per view, the kind of mask of each feature holding personal data, from
        ``_masks``: keyed by value, the workspace, its snapshot's version (new whenever
        a definition changes) and the caller's masks (so a tag added, changed or removed
        is a new key); 256 entries at most, least recently used first out. The values
        are never handed out (callers read them)."""
        key = (
            ctx.workspace,
            snapshot.version,
            tuple(sorted((t, tuple(sorted(c.items()))) for t, c in policies.items())),
        )
        found = self._masks.get(key)
        if found is None:

            def columns(table: str) -> dict[str, str]:
                if not self.lake.tables.exists(ctx, table):
                    return {}
                schema = self.lake.tables.describe(ctx, table).schema
                return {f.name: str(f.type) for f in schema}

            views = {name: snapshot.view(name) for name in snapshot.views}
            found = {
                n: m for n, v in views.items() if (m := masks.view_masks(v, policies, columns))
            }
            self._masks.put(key, found)
        return found

    def _masked_set(
        self,
        ctx: Context,
        snapshot: Snapshot,
        pairs: list[tuple[FeatureView, str]],
        entities: Any,
        full_names: bool,
        result: offline.TrainingSet,
    ) -> offline.TrainingSet:
        """``result`` with its personal data masked for a caller without ``unmask``: the
        features that hold it, and the tagged columns of an entity table (read raw, so
        its keys join the sources)."""
        policies = self.lake.tables.mask.policies(ctx)
        if not policies:
            return result
        found = self._view_masks(ctx, snapshot, policies)
        names = offline.output_names(pairs, full_names)
        columns = dict(policies.get(entities, {})) if isinstance(entities, str) else {}
        for (view, feature), name in zip(pairs, names, strict=True):
            if (kind := found.get(view.name, {}).get(feature)) is not None:
                columns[name] = kind
        table, mask_values = result.table, self.lake.tables.mask.mask_values
        for name, kind in columns.items():
            if name in table.column_names:
                i = table.column_names.index(name)
                values = mask_values(kind, table.column(i).to_pylist())
                table = table.set_column(i, name, pa.array(values, pa.string()))
        return replace(result, table=table)

    def _record_push(self, ctx: Context, version: int, result: PushResult) -> None:
        at = result.ingested_at
        self.registry.store.record_materialization(
            ctx.workspace,
            Materialization(
                result.view, version, "push", None, None, result.online_keys, at, at, ctx.user
            ),
        )
        self._online_views.add((ctx.workspace, result.view))


def _masked_online(
    result: lookup.OnlineResult, outputs: dict[str, str], mask_values: Any
) -> lookup.OnlineResult:
    """``result`` with the output columns in ``outputs`` masked (name -> kind); each
    column is masked in one call, so a pseudonym's keyed state is set up once."""
    if not outputs:
        return result
    values = [dict(v) for v in result.values]
    for name, kind in outputs.items():
        for row, masked in zip(values, mask_values(kind, [v[name] for v in values]), strict=True):
            row[name] = masked
    return replace(result, values=values)


def _save(lake: Lake, ctx: Context, name: str, result: offline.TrainingSet):  # noqa: ANN202
    """Write the training set as a new version of table ``name``, declaring its inputs."""
    sources = tuple(f"feature_view:{v}@v{version}" for v, version in result.views.items())
    tables = tuple((t.table, t.version) for t in result.tables)
    try:
        from lakeworks.hooks import reading
    except ImportError:  # lineage hooks not installed in this build
        return lake.tables.write(ctx, name, result.table, mode="overwrite")
    with reading(kind="features", tables=tables, sources=sources, source_kind="feature_views"):
        return lake.tables.write(ctx, name, result.table, mode="overwrite")
