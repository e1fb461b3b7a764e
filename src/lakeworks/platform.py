"""The composition root: the one place that builds the services from the settings.

Each service is constructed with the collaborators it uses (``Tables(catalog, storage,
settings, hooks, gate)``); none of them receives this object. Doors (SDK, CLI, server,
quickstart) open a Platform with ``Platform.open(settings)`` and take services from it.
Services are built on first use, in dependency order, so a door that only lists
workspaces never reaches the table storage.

Every service is handed to the security guard as it is built (``guard.protect``), which
wraps the operations the policy lists: contexts carrying an authenticated principal are
checked and audited there, whatever door they came through.

The table store calls out to quality and lineage only through interfaces the lake owns:
the quality service is its write gate (``lake.gate.WriteGate``), and lineage and quality
observe writes as hooks (``hooks.Hook``).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from lakeworks.config import Settings
from lakeworks.context import Context, Principal
from lakeworks.meta import engine as meta_engine
from lakeworks.meta.catalog import Catalog

if TYPE_CHECKING:
    from lakeworks.features.service import Features
    from lakeworks.features.streaming import StreamFeatures
    from lakeworks.hooks import Hooks
    from lakeworks.ingest.loads import Loader
    from lakeworks.lake.sql import SqlEngine
    from lakeworks.lake.storage import Storage
    from lakeworks.lake.tables import Tables
    from lakeworks.lineage.service import Lineage
    from lakeworks.monitoring.service import Monitoring
    from lakeworks.pipelines.service import Pipelines
    from lakeworks.protection.anonymise import Anonymiser
    from lakeworks.protection.pii import Pii
    from lakeworks.protection.retention import Retention
    from lakeworks.quality.service import Quality
    from lakeworks.registry.service import Registry
    from lakeworks.security.audit import AuditLog
    from lakeworks.security.costs import Costs
    from lakeworks.security.guard import Guard
    from lakeworks.security.identities import Identities
    from lakeworks.security.ledger import Ledger
    from lakeworks.security.masking import Masking
    from lakeworks.security.measures import Measures
    from lakeworks.security.quotas import Quotas
    from lakeworks.security.secrets import Secrets
    from lakeworks.security.tokens import Tokens
    from lakeworks.security.usage import Usage
    from lakeworks.security.workspaces import Workspaces
    from lakeworks.serving.service import Serving
    from lakeworks.serving.stream_scoring import StreamScoring
    from lakeworks.streams.service import Streams
    from lakeworks.tracking.hpo import Tuner
    from lakeworks.tracking.logged_models import LoggedModels
    from lakeworks.tracking.service import Tracking


class _TaskServices:
    """What tasks run in this process reach (``pipelines.calls.TaskServices``), each
    service taken from the platform when a task or a table trigger first asks: a
    pipeline that never reads or writes a table never imports the lake, DuckDB or
    deltalake (a fresh process running a one-task pipeline: 7.0 -> 4.6 s under load,
    see docs/benchmarks.md, issue 15's A/B)."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform

    @property
    def catalog(self) -> Catalog:
        return self._platform.catalog

    @property
    def tables(self) -> Tables:
        return self._platform.tables

    @property
    def sql(self) -> SqlEngine:
        return self._platform.sql

    @property
    def ingest(self) -> Loader:
        return self._platform.ingest

    @property
    def secrets(self) -> Secrets:
        return self._platform.secrets

    @property
    def serving(self) -> Serving:
        """For the batch-scoring step (``serving.steps.score``): built on first use, most
        tasks never serve."""
        return self._platform.serving


class Platform:
    """The services of one catalog and storage.

    Opening does not migrate the catalog, except the embedded default (the SQLite file
    under the home, used when ``metadata_url`` is unset), which is brought to the latest
    schema on open so a new user needs no step. Any other catalog is upgraded by
    ``lakeworks init`` or ``lakeworks db upgrade`` (``migrate=True``); opening one that
    needs an upgrade raises UpgradeRequiredError saying so.
    """

    def __init__(self, settings: Settings, *, migrate: bool | None = None) -> None:
        self.settings = settings
        self.engine = meta_engine.make_engine(settings.resolved_metadata_url)
        try:
            if migrate or (migrate is None and settings.metadata_url is None):
                meta_engine.upgrade(self.engine)
            else:
                meta_engine.require_current(self.engine)
        except BaseException:
            self.engine.dispose()
            raise
        self.catalog = Catalog(self.engine)

    @classmethod
    def open(cls, settings: Settings | None = None, *, migrate: bool | None = None) -> Platform:
        """``migrate``: True runs pending migrations, False never does, None (default)
        runs them only for the embedded default catalog."""
        return cls(settings or Settings.load(), migrate=migrate)

    @cached_property
    def guard(self) -> Guard:
        """Checks each service operation against the policy; audits changes and denials."""
        from lakeworks.security.audit import AuditLog
        from lakeworks.security.audit_keys import audit_keys
        from lakeworks.security.guard import Guard

        return Guard(AuditLog(self.catalog, audit_keys(self.settings)))

    @cached_property
    def audit(self) -> AuditLog:
        """The hash-chained audit log: ``record`` for any part, reads through the policy."""
        return self.guard.protect("audit", self.guard.audit)

    @cached_property
    def identities(self) -> Identities:
        """Users, service accounts, groups and the grants of roles in workspaces."""
        from lakeworks.security.identities import Identities

        return self.guard.protect("identities", Identities(self.catalog))

    @cached_property
    def tokens(self) -> Tokens:
        """API tokens, stored as hashes."""
        from lakeworks.security.tokens import Tokens

        return self.guard.protect("tokens", Tokens(self.catalog, self.identities))

    @cached_property
    def workspaces(self) -> Workspaces:
        """Workspaces as the doors see them: listed to those with a role in them."""
        from lakeworks.security.workspaces import Workspaces

        return self.guard.protect("workspaces", Workspaces(self.catalog))

    @cached_property
    def storage(self) -> Storage:
        from lakeworks.lake.storage import storage_from_settings

        storage = storage_from_settings(self.settings)
        storage.check()
        return storage

    @cached_property
    def hooks(self) -> Hooks:
        """Observers of every write (lineage, then check results), registered in ``tables``."""
        from lakeworks.hooks import Hooks

        return Hooks()

    @cached_property
    def tables(self) -> Tables:
        """The table store, with quality as its write gate and lineage and quality as hooks:
        they are built together, since a write must never bypass either."""
        from lakeworks.lake.tables import Tables
        from lakeworks.lineage.service import Lineage, LineageHook
        from lakeworks.quality.service import Quality, QualityHook

        hooks: Hooks = self.hooks
        tables = Tables(self.catalog, self.storage, self.settings, hooks)
        tables.limits = self._quotas
        quality = Quality(self.catalog, self.storage, self.settings, tables)
        lineage = Lineage(self.catalog, self.storage, self.settings, tables)
        tables.gate = quality
        tables.mask = self.masking
        hooks.register(LineageHook(lineage))
        hooks.register(QualityHook(quality))
        guard = self.guard
        self.__dict__.update(
            quality=guard.protect("quality", quality), lineage=guard.protect("lineage", lineage)
        )
        return guard.protect("tables", tables)

    @cached_property
    def quality(self) -> Quality:
        self.tables  # noqa: B018 - builds quality with the table store it gates
        return self.__dict__["quality"]

    @cached_property
    def lineage(self) -> Lineage:
        self.tables  # noqa: B018 - builds lineage with the table store it observes
        return self.__dict__["lineage"]

    @cached_property
    def sql(self) -> SqlEngine:
        from lakeworks.lake.sql import SqlEngine

        sql = SqlEngine(self.catalog, self.storage, self.settings, self.tables, self.hooks)
        sql.meter = self.usage
        return self.guard.protect("sql", sql)

    @cached_property
    def ingest(self) -> Loader:
        from lakeworks.ingest.loads import Loader

        loader = Loader(self.catalog, self.tables, self.settings, self.secrets)
        return self.guard.protect("ingest", loader)

    @cached_property
    def pipelines(self) -> Pipelines:
        from lakeworks.pipelines.service import Pipelines

        pipelines = Pipelines(
            self.catalog, self.settings, _TaskServices(self), streams=lambda: self.streams
        )
        pipelines.limits, pipelines.meter = self._quotas, self.usage
        pipelines.narrow = lambda principal: self._narrow(principal)
        return self.guard.protect("pipelines", pipelines)

    @cached_property
    def features(self) -> Features:
        from lakeworks.features.service import Features

        features = Features(self.catalog, self.storage, self.settings, self.tables)
        features.limits = self._quotas
        return self.guard.protect("features", features)

    @cached_property
    def registry(self) -> Registry:
        """The model registry; model files live in tracking's artifact store."""
        from lakeworks.registry.service import Registry

        return self.guard.protect("registry", Registry(self.catalog, self.tracking, self.settings))

    @cached_property
    def serving(self) -> Serving:
        """Endpoints over registry models, with online features for requests by key."""
        from lakeworks.serving.service import Serving

        serving = Serving(
            self.catalog,
            self.registry,
            self.features,
            self.settings,
            self.monitoring,
            tables=self.tables,
            lineage=self.lineage,
        )
        serving.limits, serving.meter = self._quotas, self.usage
        return self.guard.protect("serving", serving)

    @cached_property
    def tracking(self) -> Tracking:
        """Experiments and runs; artifacts go to ``.artifacts/`` under the storage root."""
        from lakeworks.tracking.artifacts import object_store
        from lakeworks.tracking.inputs import RunInputsHook
        from lakeworks.tracking.service import Tracking

        objects = object_store(self.storage, self.settings)
        tracking = Tracking(self.catalog, objects, self.settings, self.lineage)
        self.hooks.register(RunInputsHook(tracking))  # table reads inside a run are its inputs
        return self.guard.protect("tracking", tracking)

    @cached_property
    def hpo(self) -> Tuner:
        """Hyper-parameter search: Optuna studies beside the catalog, trials as runs."""
        from lakeworks.tracking.hpo import Tuner

        return self.guard.protect("hpo", Tuner(self.engine, self.settings, self.tracking))

    @cached_property
    def streams(self) -> Streams:
        """Publish, tail, lag, and the exactly-once sink of streams into tables."""
        from lakeworks.streams.log import open_log
        from lakeworks.streams.service import Streams

        return self.guard.protect(
            "streams", Streams(self.catalog, self.tables, self.settings, open_log(self.settings))
        )

    @cached_property
    def stream_features(self) -> StreamFeatures:
        """Processors of feature views over streams (windows online and offline)."""
        from lakeworks.features.streaming import StreamFeatures

        return self.guard.protect("stream_features", StreamFeatures(self.features, self.streams))

    @cached_property
    def stream_scoring(self) -> StreamScoring:
        """Streams scored by serving endpoints, predictions published to streams."""
        from lakeworks.serving.stream_scoring import StreamScoring

        return self.guard.protect("stream_scoring", StreamScoring(self.serving, self.streams))

    @cached_property
    def logged_models(self) -> LoggedModels:
        """MLflow 3's logged models; their files share the tracking artifact refs."""
        from lakeworks.tracking.logged_models import LoggedModels

        return self.guard.protect(
            "logged_models", LoggedModels(self.catalog, self.tracking.artifacts)
        )

    @cached_property
    def monitoring(self) -> Monitoring:
        from lakeworks.monitoring.service import Monitoring

        return self.guard.protect("monitoring", Monitoring(self.tables, self.sql, self.settings))

    def _narrow(self, principal: Principal) -> Principal:
        """A stored principal as it stands now (``security.standing``)."""
        from lakeworks.security.standing import narrow

        return narrow(principal, self.identities, self.tokens)

    # data protection ------------------------------------------------------------------
    def unmask(self, ctx: Context) -> bool:
        """Whether ``ctx`` reads personal data unmasked: an embedded caller (no principal)
        owns their catalog; a principal needs ``pii.unmask`` on the workspace."""
        principal = ctx.principal
        return principal is None or self.guard.allows(principal, ctx.workspace, "pii.unmask")

    @cached_property
    def secrets(self) -> Secrets:
        """Workspace secrets, encrypted at rest; ``secret://name`` in connections."""
        from lakeworks.security.secrets import Secrets

        return self.guard.protect(
            "secrets", Secrets(self.catalog, self.settings, self.guard.record)
        )

    @cached_property
    def masking(self) -> Masking:
        """The read mask of PII-tagged columns for callers ``unmask`` refuses."""
        from lakeworks.security.masking import Masking

        masking = Masking(self.catalog, self.settings, lambda ctx: self.unmask(ctx))
        return self.guard.protect("masking", masking)

    @cached_property
    def pii(self) -> Pii:
        from lakeworks.protection.pii import Pii

        pii = Pii(self.catalog, self.tables, changed=lambda ws: self.masking.forget(ws))
        return self.guard.protect("pii", pii)

    @cached_property
    def anonymiser(self) -> Anonymiser:
        from lakeworks.protection.anonymise import Anonymiser

        anonymiser = Anonymiser(self.tables, self.pii, self.masking)
        return self.guard.protect("anonymiser", anonymiser)

    @cached_property
    def retention(self) -> Retention:
        """Retention rules of tables, their runs, and artifact gc with bytes freed; each
        action is recorded in the audit log."""
        from lakeworks.protection.retention import Retention

        retention = Retention(
            self.catalog, self.tables, lambda ctx: self.tracking.gc(ctx), self.guard.record
        )
        return self.guard.protect("retention", retention)

    # quotas, usage and costs (security) ------------------------------------------------
    @cached_property
    def quotas(self) -> Quotas:
        """Each workspace's quotas: set and show through the policy (``quotas.manage``)."""
        return self.guard.protect("quotas", self._quotas)

    @cached_property
    def _quotas(self) -> Quotas:
        """The quotas the services ask (``lakeworks.limits.Limits``): the same object,
        whose ``limit``/``check``/``taken`` the policy does not wrap (hot paths)."""
        from lakeworks.security.quotas import Quotas
        from lakeworks.security.rates import rates_from_settings

        rates = rates_from_settings(self.settings)
        return Quotas(self._ledger, self._measures, self.settings, rates)

    @cached_property
    def usage(self) -> Usage:
        """The meter every service tells what it used, and the storage samples."""
        from lakeworks.security.usage import Usage

        return Usage(self._ledger, self._measures, self.settings)

    @cached_property
    def costs(self) -> Costs:
        """Usage priced by the settings' price list, grouped by workspace, user, pipeline."""
        from lakeworks.security.costs import Costs

        return self.guard.protect("costs", Costs(self._ledger, self.usage, self.settings))

    @cached_property
    def _ledger(self) -> Ledger:
        from lakeworks.security.ledger import Ledger

        return Ledger(self.catalog)

    @cached_property
    def _measures(self) -> Measures:
        from lakeworks.security.measures import Measures

        return Measures(
            self.catalog, lambda: self.storage, self._ledger, lambda: self.features.online_store
        )

    def close(self) -> None:
        for service in (
            "serving",  # first: its prediction log writes through the table store, its
            # watchers judge with the others
            "hpo",
            "tracking",
            "pipelines",
            "features",
            "quality",
            "sql",
            "streams",
            "usage",  # last: what the others metered while closing is written too
        ):  # only those that were opened
            if service in self.__dict__:
                self.__dict__[service].close()
        if "_quotas" in self.__dict__:
            self._quotas.rates.close()
        self.engine.dispose()
