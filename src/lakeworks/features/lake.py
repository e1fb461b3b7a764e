"""What the feature store uses of the lake: the catalog, the storage, the settings and
the table service, handed to it when the platform is built (never the platform itself)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lakeworks.config import Settings
    from lakeworks.lake.storage import Storage
    from lakeworks.lake.tables import Tables
    from lakeworks.meta.catalog import Catalog


@dataclass(frozen=True)
class Lake:
    catalog: Catalog
    storage: Storage
    settings: Settings
    tables: Tables
