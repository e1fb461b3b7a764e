"""A model's signature: the columns it takes (name, Arrow type, nullable) and what it
returns, inferred from training data and enforced at every predict.

Enforcement fixes the column order the model was trained with, allows safe widening
(int32 -> int64, int -> float, float32 -> float64, string -> large_string) and refuses a
missing column, an extra column or any other type with one error naming every column.

Example:
    >>> import pyarrow as pa
    >>> sig = Signature.infer(pa.table({"age": pa.array([30], pa.int32()), "x": [1.5]}))
    >>> [(c.name, c.type) for c in sig.inputs]
    [('age', 'int32'), ('x', 'double')]
    >>> sig.enforce(pa.table({"x": [2.0], "age": [41]})).column_names
    ['age', 'x']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.types as pat

from lakeworks.errors import InvalidInputError, SchemaMismatchError


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str  # the Arrow type as Arrow prints it: int64, double, string, timestamp[us]
    nullable: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "nullable": self.nullable}


@dataclass(frozen=True)
class Signature:
    inputs: tuple[ColumnSpec, ...]
    outputs: tuple[ColumnSpec, ...] = ()

    @classmethod
    def infer(cls, data: Any, output: Any = None) -> Signature:
        """The signature of training ``data`` (Arrow, pandas, Polars, a list of dicts) and of
        a sample prediction ``output`` (an array, a Series or a frame), when given."""
        table = to_arrow(data)
        outputs = _columns(_output_table(output)) if output is not None else ()
        return cls(_columns(table), outputs)

    @property
    def columns(self) -> list[str]:
        return [c.name for c in self.inputs]

    def to_dict(self) -> dict[str, Any]:
        return {
            "inputs": [c.to_dict() for c in self.inputs],
            "outputs": [c.to_dict() for c in self.outputs],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Signature:
        def specs(key: str) -> tuple[ColumnSpec, ...]:
            return tuple(
                ColumnSpec(c["name"], c["type"], c.get("nullable", True))
                for c in data.get(key) or []
            )

        try:
            return cls(specs("inputs"), specs("outputs"))
        except (KeyError, TypeError) as exc:
            raise InvalidInputError(
                f"a signature needs inputs (and outputs) of name and type: {exc}",
                hint='{"inputs": [{"name": "age", "type": "int64", "nullable": true}]}',
            ) from exc

    def enforce(self, data: Any, *, model: str = "the model") -> pa.Table:
        """``data`` as an Arrow table of exactly the input columns, in the model's order
        and types. Raises SchemaMismatchError naming every column that does not fit."""
        table = to_arrow(data)
        found = {f.name: f.type for f in table.schema}
        problems = _problems(self.inputs, table)
        if problems:
            raise SchemaMismatchError(
                f"the data does not match {model}'s signature: {'; '.join(problems)}",
                hint=f"the model takes {', '.join(f'{c.name} {c.type}' for c in self.inputs)}",
                model=model,
                expected=", ".join(f"{c.name}:{c.type}" for c in self.inputs),
                found=", ".join(f"{n}:{t}" for n, t in found.items()),
            )
        arrays = [_cast(table.column(c.name), c.type) for c in self.inputs]
        return pa.table(arrays, names=self.columns)


def _problems(specs: tuple[ColumnSpec, ...], table: pa.Table) -> list[str]:
    """Every way ``table`` does not fit ``specs``, as text naming the columns."""
    found = {f.name: f.type for f in table.schema}
    problems: list[str] = []
    missing = [c.name for c in specs if c.name not in found]
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    extra = [name for name in found if name not in {c.name for c in specs}]
    if extra:
        problems.append(f"unexpected column(s) {', '.join(extra)}")
    for spec in (c for c in specs if c.name in found):
        target = _arrow_type(spec.type)
        fits = _widens(found[spec.name], target) if target else str(found[spec.name]) == spec.type
        if not fits:
            problems.append(f"column {spec.name} expected {spec.type}, found {found[spec.name]}")
        elif not spec.nullable and table.column(spec.name).null_count:
            nulls = table.column(spec.name).null_count
            problems.append(f"column {spec.name} expected no nulls, found {nulls}")
    return problems


def _cast(column: pa.ChunkedArray, type_name: str) -> pa.ChunkedArray:
    target = _arrow_type(type_name)
    return column if target is None or column.type == target else column.cast(target)


_NAMED = {
    "bool": pa.bool_(),
    "int8": pa.int8(),
    "int16": pa.int16(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "uint8": pa.uint8(),
    "uint16": pa.uint16(),
    "uint32": pa.uint32(),
    "uint64": pa.uint64(),
    "halffloat": pa.float16(),
    "float": pa.float32(),
    "double": pa.float64(),
    "string": pa.string(),
    "large_string": pa.large_string(),
    "date32[day]": pa.date32(),
}


def _arrow_type(name: str) -> pa.DataType | None:
    """The Arrow type a signature names (None for types compared by name only)."""
    if name in _NAMED:
        return _NAMED[name]
    if name.startswith("timestamp["):
        unit, _, tz = name[len("timestamp[") : -1].partition(", tz=")
        return pa.timestamp(unit, tz or None)
    return None


def _widens(found: pa.DataType, target: pa.DataType) -> bool:
    """Whether values of ``found`` fit ``target`` losslessly enough to cast silently."""
    if found == target or pat.is_null(found):
        return True
    if pat.is_integer(found) and pat.is_integer(target):
        return _int_fits(found, target)
    if pat.is_integer(found) or pat.is_boolean(found):
        return pat.is_floating(target) or (pat.is_boolean(found) and pat.is_integer(target))
    if pat.is_floating(found) and pat.is_floating(target):
        return found.bit_width <= target.bit_width
    if pat.is_string(found) or pat.is_large_string(found):
        return pat.is_string(target) or pat.is_large_string(target)
    return pat.is_timestamp(found) and pat.is_timestamp(target) and found.tz == target.tz


def _int_fits(found: pa.DataType, target: pa.DataType) -> bool:
    if pat.is_signed_integer(found) == pat.is_signed_integer(target):
        return found.bit_width <= target.bit_width
    return pat.is_unsigned_integer(found) and found.bit_width < target.bit_width


def _columns(table: pa.Table) -> tuple[ColumnSpec, ...]:
    return tuple(
        ColumnSpec(f.name, str(f.type), table.column(f.name).null_count > 0 or f.nullable)
        for f in table.schema
    )


def _output_table(output: Any) -> pa.Table:
    import numpy as np

    if type(output).__module__.split(".")[0] in {"pandas", "polars", "pyarrow"}:
        return to_arrow(output)  # frames and named series keep their column names
    values = np.asarray(output)
    if values.ndim == 2:
        return pa.table({f"output_{i}": values[:, i] for i in range(values.shape[1])})
    return pa.table({"prediction": values.ravel()})


def to_arrow(data: Any) -> pa.Table:
    """Arrow from Arrow, pandas, Polars, a list of row dicts or a dict of columns."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    module = type(data).__module__.split(".")[0]
    if module == "pandas" and hasattr(data, "columns"):
        return pa.Table.from_pandas(data, preserve_index=False)
    if module == "pandas":  # a Series: one named column
        return pa.Table.from_pandas(data.to_frame(), preserve_index=False)
    if module == "polars":
        frame = data.to_frame() if not hasattr(data, "columns") else data
        return frame.to_arrow()
    if isinstance(data, list) and all(isinstance(r, dict) for r in data):
        return pa.Table.from_pylist(data)
    if isinstance(data, dict):  # column name -> values
        return pa.table(data)
    raise InvalidInputError(
        f"cannot read model input from a {type(data).__name__}",
        hint="pass an Arrow table, a pandas or Polars frame, a list of rows as dicts, "
        "or a dict of columns",
        found=type(data).__name__,
    )
