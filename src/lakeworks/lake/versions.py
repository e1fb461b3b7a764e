"""Open a Delta table at its latest version, a numbered version, or as of a time."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError, TableNotFoundError

from lakeworks.errors import InvalidInputError, NotFoundError, UnavailableError


def open_delta(
    uri: str,
    options: dict[str, str],
    *,
    table: str,
    version: int | None = None,
    as_of: datetime | str | None = None,
) -> DeltaTable:
    """The table at ``uri``, at ``version`` or ``as_of`` when given (not both)."""
    if version is not None and as_of is not None:
        raise InvalidInputError("give either version or as_of, not both", table=table)
    try:
        dt = DeltaTable(uri, storage_options=options or None)
    except TableNotFoundError as exc:
        raise NotFoundError(
            f"table {table!r} has no committed version at {uri}: its first write has not "
            "finished (it is running, or was interrupted), or the folder was removed outside "
            "lakeworks",
            hint=f"write to {table!r} again to complete it, or remove it with "
            f"`lakeworks tables drop {table}`",
            table=table,
        ) from exc
    except OSError as exc:
        raise UnavailableError(f"cannot read table {table!r} at {uri}: {exc}", table=table) from exc
    except DeltaError as exc:
        raise UnavailableError(f"cannot open table {table!r} at {uri}: {exc}", table=table) from exc
    if version is not None:
        _load_version(dt, table, version)
    elif as_of is not None:
        _load_as_of(dt, table, as_of)
    return dt


def _load_version(dt: DeltaTable, table: str, version: int) -> None:
    latest = dt.version()
    if version < 0 or version > latest:
        raise NotFoundError(
            f"table {table!r} has no version {version} (latest is {latest})",
            table=table,
            version=version,
            latest=latest,
        )
    try:
        dt.load_as_version(version)
    except Exception as exc:  # version removed by vacuum / log cleanup
        raise NotFoundError(
            f"version {version} of table {table!r} is no longer available: {exc}",
            hint="versions older than the retention period are vacuumed",
            table=table,
            version=version,
        ) from exc


def _load_as_of(dt: DeltaTable, table: str, as_of: datetime | str) -> None:
    """Load the newest version committed at or before ``as_of``.

    Resolved from the commit timestamps in the log (not object modification times, which
    some object stores keep only to the second).
    """
    when_ms = parse_time(as_of).timestamp() * 1000
    history = dt.history()
    candidates = [h["version"] for h in history if h["timestamp"] <= when_ms]
    if not candidates:
        first = min(h["timestamp"] for h in history)
        created = datetime.fromtimestamp(first / 1000, UTC).isoformat()
        raise NotFoundError(
            f"table {table!r} did not exist at {parse_time(as_of).isoformat()}",
            hint=f"its first version was written at {created}",
            table=table,
        )
    _load_version(dt, table, max(candidates))


def parse_time(value: datetime | str) -> datetime:
    """A timezone-aware datetime; naive values and strings without an offset are UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise InvalidInputError(
                f"cannot read {value!r} as a time", hint="use ISO 8601, e.g. 2026-11-27T10:00:00Z"
            ) from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def arrow_schema(dt: DeltaTable) -> pa.Schema:
    return pa.schema(dt.schema().to_arrow())


def add_actions(dt: DeltaTable) -> pa.Table:
    """The add actions of ``dt``'s files (path, size, stats...), one row per file.

    Read through the Arrow C stream: ``pa.table`` of deltalake's arro3 table would first
    ask whether it is a pandas DataFrame, which imports pandas (0.4 s, and some 30,000
    objects that every full garbage collection walks from then on).
    """
    return pa.RecordBatchReader.from_stream(dt.get_add_actions(flatten=True)).read_all()
