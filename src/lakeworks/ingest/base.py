"""What every source kind produces for the loader: batches of good rows and rejects."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa


@dataclass(frozen=True)
class Watermark:
    """The incremental filter: only rows with ``column > value`` are loaded.

    ``value`` is None on the first load (everything is new).
    """

    column: str
    value: int | float | str | date | datetime | None = None


@dataclass(frozen=True)
class Plan:
    """What the loader asks of a source.

    declared: column types the user declared (they win over inference).
    existing: the target table's schema when it exists, used to type JSON/SQL/HTTP records
        the same way on every load.
    """

    table: str
    declared: dict[str, pa.DataType]
    existing: pa.Schema | None
    watermark: Watermark | None
    chunk_size: int
    scratch: Path
    null_values: tuple[str, ...] = ("",)
    encoding: str = "utf-8"
    max_line_size: int = 2_000_000

    @property
    def hints(self) -> dict[str, pa.DataType]:
        """Types to convert records to: the table's, overridden by declared ones."""
        hints = {f.name: f.type for f in self.existing} if self.existing is not None else {}
        hints.update(self.declared)
        return hints


@dataclass(frozen=True)
class Reject:
    """One malformed row, bound for the quarantine table.

    ``raw_bytes`` holds the record exactly as it was in the file (any encoding, any
    length) where the source is a file; ``raw_record`` is its text for reading.
    """

    source: str
    line: int | None
    raw_record: str
    reason: str
    columns: str | None = None
    raw_bytes: bytes | None = None


@dataclass
class Extract:
    """A source opened for one load.

    ``batches`` yields good rows in one schema; ``rejects`` is complete once ``batches``
    is exhausted. ``close`` releases connections and scratch copies.
    """

    batches: Iterator[pa.RecordBatch]
    rejects: list[Reject] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        close = getattr(self.batches, "close", None)
        if close is not None:
            close()


class Source(ABC):
    """A place rows come from. ``description`` is recorded in the loads catalog and keys
    the watermark of incremental loads (passwords masked)."""

    kind: ClassVar[str]
    description: str

    def fingerprint(self) -> str | None:
        """Identifies the exact content of a file source; None for live sources."""
        return None

    @abstractmethod
    def extract(self, plan: Plan) -> Extract:
        """Open the source and return the stream of its rows."""

    def cleanup(self) -> None:  # noqa: B027 - optional hook
        """Remove scratch copies; called once the load is over."""
