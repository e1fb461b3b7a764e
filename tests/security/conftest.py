from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lakeworks.config import Settings
from lakeworks.platform import Platform


@contextmanager
def opened(settings: Settings, migrate: bool | None = None) -> Iterator[Platform]:
    platform = Platform.open(settings, migrate=migrate)
    try:
        yield platform
    finally:
        platform.close()
