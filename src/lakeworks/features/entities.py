"""Entity frames and entity rows: whatever the user hands in, as Arrow, checked.

The timestamp rule: a timestamp without a time zone means UTC, in entity frames, sources
and pushed rows alike. Python rows that mix naive and zoned datetimes in one request are
refused, since that mix is almost always local time and UTC confused somewhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa

from lakeworks.errors import InvalidInputError


def to_arrow(data: Any, what: str = "entity rows") -> pa.Table:
    """An Arrow table from Arrow, pandas, Polars or a list of dicts."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, list):
        if not data:
            raise InvalidInputError(f"no {what} given")
        if not all(isinstance(r, dict) for r in data):
            raise InvalidInputError(f"{what} must be dicts of column -> value")
        check_zones(data, what)
        try:
            return pa.Table.from_pylist(data)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise InvalidInputError(
                f"the {what} cannot be read as columns: {exc}",
                hint="give every row the same keys, with one type per key",
            ) from exc
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        for column in data.columns:
            if data[column].dtype == object:
                check_zones([{column: v} for v in data[column]], what)
        return pa.Table.from_pandas(data, preserve_index=False)
    if module == "polars":
        return data.to_arrow()
    raise InvalidInputError(
        f"cannot use {type(data).__name__} as {what}",
        hint="give a pyarrow Table, a pandas or Polars DataFrame, a list of dicts, or a table name",
    )


def check_zones(rows: list[dict[str, Any]], what: str) -> None:
    """Refuse naive and zoned datetimes mixed in one request."""
    naive, zoned = None, None
    for row in rows:
        for column, value in row.items():
            if isinstance(value, datetime):
                if value.tzinfo is None:
                    naive = naive or column
                else:
                    zoned = zoned or column
                if naive and zoned:
                    raise InvalidInputError(
                        f"the {what} mix timestamps without a time zone (column {naive!r}) "
                        f"and with one (column {zoned!r})",
                        hint="give every timestamp a time zone, or none (naive means UTC)",
                        naive_column=naive,
                        zoned_column=zoned,
                    )


def timestamp_column(table: pa.Table, given: str | None, what: str = "entity frame") -> str:
    """The event-timestamp column: ``given``, or the only timestamp/date column."""
    if given is not None:
        if given not in table.column_names:
            raise InvalidInputError(
                f"the {what} has no column {given!r}",
                hint=f"its columns are {table.column_names}",
                column=given,
            )
        kind = table.schema.field(given).type
        if not (pa.types.is_timestamp(kind) or pa.types.is_date(kind)):
            raise InvalidInputError(
                f"column {given!r} of the {what} is {kind}, not a timestamp",
                hint="convert it, e.g. pandas.to_datetime(df[col], utc=True)",
                column=given,
            )
        return given
    found = [
        f.name for f in table.schema if pa.types.is_timestamp(f.type) or pa.types.is_date(f.type)
    ]
    if len(found) != 1:
        raise InvalidInputError(
            f"the {what} has {len(found)} timestamp columns {found}; cannot tell which is the "
            "event time",
            hint="pass timestamp='column'",
        )
    return found[0]


def check_keys(table: pa.Table, keys: dict[str, list[str]], what: str = "entity rows") -> None:
    """``keys``: view name -> join keys it needs. Refuse missing key columns by name."""
    for view, needed in keys.items():
        missing = [k for k in needed if k not in table.column_names]
        if missing:
            raise InvalidInputError(
                f"the {what} lack key column(s) {missing} that feature view {view!r} joins on",
                hint=f"the {what} have columns {table.column_names}",
                view=view,
                missing=missing,
            )
        for key in needed:
            kind = table.schema.field(key).type
            if not (
                pa.types.is_integer(kind)
                or pa.types.is_string(kind)
                or pa.types.is_large_string(kind)
                or pa.types.is_boolean(kind)
                or pa.types.is_null(kind)
            ):
                raise InvalidInputError(
                    f"key column {key!r} of the {what} is {kind}; keys are integers, strings "
                    "or booleans",
                    column=key,
                )
