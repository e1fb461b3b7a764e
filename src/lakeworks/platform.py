"""The composition root: the one place that builds the services from the settings.

Each service is constructed with the collaborators it uses (``Tables(catalog, storage,
settings, hooks, gate)``); none of them receives this object. Doors (SDK, CLI, server,
quickstart) open a Platform with ``Platform.open(settings)`` and take services from it.
Services are built on first use, in dependency order, so a door that only lists
workspaces never reaches the table storage.

The table store calls out to quality and lineage only through interfaces the lake owns:
the quality service is its write gate (``lake.gate.WriteGate``), and lineage and quality
observe writes as hooks (``hooks.Hook``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from lakeworks.config import Settings
from lakeworks.meta import engine as meta_engine
from lakeworks.meta.catalog import Catalog

if TYPE_CHECKING:
    from lakeworks.features.service import Features
    from lakeworks.hooks import Hooks
    from lakeworks.ingest.loads import Loader
    from lakeworks.lake.sql import SqlEngine
    from lakeworks.lake.storage import Storage
    from lakeworks.lake.tables import Tables
    from lakeworks.lineage.service import Lineage
    from lakeworks.monitoring.service import Monitoring
    from lakeworks.pipelines.service import Pipelines
    from lakeworks.quality.service import Quality
    from lakeworks.registry.service import Registry
    from lakeworks.serving.service import Serving
    from lakeworks.streams.service import Streams
    from lakeworks.tracking.hpo import Tuner
    from lakeworks.tracking.logged_models import LoggedModels
    from lakeworks.tracking.service import Tracking


@dataclass(frozen=True)
class _TaskServices:
    """What tasks run in this process reach (``pipelines.calls.TaskServices``)."""

    catalog: Catalog
    tables: Tables
    sql: SqlEngine
    ingest: Loader
    make_serving: Callable[[], Serving]  # built on first use: most tasks never serve

    @property
    def serving(self) -> Serving:
        """For the batch-scoring step (``serving.steps.score``)."""
        return self.make_serving()


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
        quality = Quality(self.catalog, self.storage, self.settings, tables)
        lineage = Lineage(self.catalog, self.storage, self.settings, tables)
        tables.gate = quality
        hooks.register(LineageHook(lineage))
        hooks.register(QualityHook(quality))
        self.__dict__.update(quality=quality, lineage=lineage)
        return tables

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

        return SqlEngine(self.catalog, self.storage, self.settings, self.tables, self.hooks)

    @cached_property
    def ingest(self) -> Loader:
        from lakeworks.ingest.loads import Loader

        return Loader(self.catalog, self.tables, self.settings)

    @cached_property
    def pipelines(self) -> Pipelines:
        from lakeworks.pipelines.service import Pipelines

        tasks = _TaskServices(
            self.catalog, self.tables, self.sql, self.ingest, lambda: self.serving
        )
        return Pipelines(self.catalog, self.settings, self.tables, tasks)

    @cached_property
    def features(self) -> Features:
        from lakeworks.features.service import Features

        return Features(self.catalog, self.storage, self.settings, self.tables)

    @cached_property
    def registry(self) -> Registry:
        """The model registry; model files live in tracking's artifact store."""
        from lakeworks.registry.service import Registry

        return Registry(self.catalog, self.tracking, self.settings)

    @cached_property
    def serving(self) -> Serving:
        """Endpoints over registry models, with online features for requests by key."""
        from lakeworks.serving.service import Serving

        return Serving(
            self.catalog,
            self.registry,
            self.features,
            self.settings,
            self.monitoring,
            tables=self.tables,
        )

    @cached_property
    def tracking(self) -> Tracking:
        """Experiments and runs; artifacts go to ``.artifacts/`` under the storage root."""
        from lakeworks.tracking.artifacts import object_store
        from lakeworks.tracking.inputs import RunInputsHook
        from lakeworks.tracking.service import Tracking

        objects = object_store(self.storage, self.settings)
        tracking = Tracking(self.catalog, objects, self.settings, self.lineage)
        self.hooks.register(RunInputsHook(tracking))  # table reads inside a run are its inputs
        return tracking

    @cached_property
    def hpo(self) -> Tuner:
        """Hyper-parameter search: Optuna studies beside the catalog, trials as runs."""
        from lakeworks.tracking.hpo import Tuner

        return Tuner(self.engine, self.settings, self.tracking)

    @cached_property
    def streams(self) -> Streams:
        """Publish, tail, lag, and the exactly-once sink of streams into tables."""
        from lakeworks.streams.log import open_log
        from lakeworks.streams.service import Streams

        return Streams(self.catalog, self.tables, self.settings, open_log(self.settings))

    @cached_property
    def logged_models(self) -> LoggedModels:
        """MLflow 3's logged models; their files share the tracking artifact refs."""
        from lakeworks.tracking.logged_models import LoggedModels

        return LoggedModels(self.catalog, self.tracking.artifacts)

    @cached_property
    def monitoring(self) -> Monitoring:
        from lakeworks.monitoring.service import Monitoring

        return Monitoring(self.tables, self.sql, self.settings)

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
        ):  # only those that were opened
            if service in self.__dict__:
                self.__dict__[service].close()
        self.engine.dispose()
