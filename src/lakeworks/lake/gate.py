"""Write gates: what may hold back rows of a write, or refuse it, before it commits.

The lake owns this small interface and never knows who implements it: the quality
service plugs its gate into the table store when the platform is built (see
``lakeworks.platform``). Unlike a hook, a gate changes what a write does: it returns the
rows that may be written and the count of rows it held back (quarantined), or raises to
refuse the write. A table store built without a gate writes every row (``OpenGate``).

Example:
    >>> import pyarrow as pa
    >>> reader = pa.table({"a": [1]}).to_reader()
    >>> OpenGate().gate(None, "t", reader, write_id="w1")[1]
    0
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pyarrow as pa

    from lakeworks.context import Context

__all__ = ["OpenGate", "WriteGate"]


class WriteGate(Protocol):
    def gate(
        self,
        ctx: Context,
        table: str,
        reader: pa.RecordBatchReader,
        *,
        write_id: str,
        mode: str = "append",
        keys: list[str] | None = None,
    ) -> tuple[pa.RecordBatchReader, int]:
        """The rows of ``reader`` that may be written, and how many were held back."""


class OpenGate:
    """The gate of a store with no checks: every row passes."""

    def gate(
        self,
        ctx: Context,
        table: str,
        reader: pa.RecordBatchReader,
        *,
        write_id: str,
        mode: str = "append",
        keys: list[str] | None = None,
    ) -> tuple[pa.RecordBatchReader, int]:
        return reader, 0
