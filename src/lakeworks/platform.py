"""The platform: settings, the catalog, the storage, and the services built on them.

One Platform per process (or per test); doors create it with ``Platform.open(settings)``
and hand a Context to each service call.
"""

from __future__ import annotations

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
    from lakeworks.pipelines.service import Pipelines
    from lakeworks.quality.service import Quality


class Platform:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = meta_engine.make_engine(settings.resolved_metadata_url)
        meta_engine.upgrade(self.engine)
        self.catalog = Catalog(self.engine)

    @classmethod
    def open(cls, settings: Settings | None = None) -> Platform:
        return cls(settings or Settings.load())

    @cached_property
    def storage(self) -> Storage:
        from lakeworks.lake.storage import storage_from_settings

        storage = storage_from_settings(self.settings)
        storage.check()
        return storage

    @cached_property
    def tables(self) -> Tables:
        from lakeworks.lake.tables import Tables

        return Tables(self)

    @cached_property
    def sql(self) -> SqlEngine:
        from lakeworks.lake.sql import SqlEngine

        return SqlEngine(self)

    @cached_property
    def ingest(self) -> Loader:
        from lakeworks.ingest.loads import Loader

        return Loader(self)

    @cached_property
    def pipelines(self) -> Pipelines:
        from lakeworks.pipelines.service import Pipelines

        return Pipelines(self)

    @cached_property
    def hooks(self) -> Hooks:
        """Observers of every write: lineage, then check results and profiles."""
        from lakeworks.hooks import Hooks
        from lakeworks.lineage.service import LineageHook
        from lakeworks.quality.service import QualityHook

        return Hooks([LineageHook(self), QualityHook(self)])

    @cached_property
    def quality(self) -> Quality:
        from lakeworks.quality.service import Quality

        return Quality(self)

    @cached_property
    def lineage(self) -> Lineage:
        from lakeworks.lineage.service import Lineage

        return Lineage(self)

    @cached_property
    def features(self) -> Features:
        from lakeworks.features.service import Features

        return Features(self)

    def close(self) -> None:
        for service in ("pipelines", "features", "quality", "sql"):  # only those that were opened
            if service in self.__dict__:
                self.__dict__[service].close()
        self.engine.dispose()
