"""The base of every response model, and the value types request bodies share."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema


class RecordOut(BaseModel):
    """A response built from a service record: ``Model.model_validate(record)``."""

    # by name too: FastAPI validates a returned model again, from its dumped fields
    model_config = ConfigDict(from_attributes=True, validate_by_name=True)


# a JSON key that names a column; Delta and DuckDB refuse empty names
ColumnName = Annotated[str, StringConstraints(min_length=1, max_length=255)]
INT64 = (-(2**63), 2**63 - 1)


def _cell(value: Any) -> Any:
    """JSON scalars only: nested objects would become structs, and Parquet cannot write an
    empty one; integers must fit the int64 column they become."""
    if isinstance(value, dict | list):
        kind = "object" if isinstance(value, dict) else "array"
        raise ValueError(f"a cell holds a string, number, boolean or null, not a JSON {kind}")
    if isinstance(value, int) and not INT64[0] <= value <= INT64[1]:
        raise ValueError(f"the integer {value} does not fit in 64 bits")
    return value


CELL_SCHEMA = {
    "anyOf": [
        {"type": "string"},
        {"type": "integer", "minimum": INT64[0], "maximum": INT64[1]},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
    ]
}
Value = Annotated[Any, AfterValidator(_cell), WithJsonSchema(CELL_SCHEMA)]
Row = Annotated[dict[ColumnName, Value], Field(min_length=1)]
ROWS_MAX = 10_000
