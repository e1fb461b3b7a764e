"""One prediction: the rows checked at the door, the slot's model called, the answer with
the request id and the model version, and per-row errors when some rows make it raise.

Example:
    >>> table_of([{"age": 41}], max_rows=10, endpoint="churn").num_rows
    1
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeworks.errors import InvalidInputError, TooLargeError

if TYPE_CHECKING:
    from lakeworks.registry.predictor import Predictor
    from lakeworks.registry.signature import Signature
    from lakeworks.serving.batching import Batcher
    from lakeworks.serving.endpoints import EndpointConfig, Slot
    from lakeworks.serving.loop_batching import LoopBatcher


@dataclass(frozen=True)
class Deployment:
    """A configuration with each slot's model loaded (by slot name, read-only: deployments
    are shared by every request from the cache)."""

    workspace: str
    config: EndpointConfig
    predictors: Mapping[str, Predictor]

    def __post_init__(self) -> None:
        object.__setattr__(self, "predictors", MappingProxyType(dict(self.predictors)))


@dataclass(frozen=True)
class Prediction:
    """``outputs[i]`` is row i's answer (None where ``errors[i]`` says why it failed)."""

    request_id: str
    endpoint: str
    config_version: int
    slot: str
    model: str
    outputs: list[dict[str, Any] | None]
    errors: list[str | None]


def table_of(rows: Any, max_rows: int, *, endpoint: str, empty_ok: bool = False) -> pa.Table:
    """The request's rows as Arrow: a list of objects (or an Arrow table, as sent in IPC)
    of 1 to ``max_rows`` rows (0 too when ``empty_ok``)."""
    if isinstance(rows, pa.Table):
        _check_size(rows.num_rows, max_rows, endpoint, empty_ok)
        return rows
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InvalidInputError(
            f"endpoint {endpoint!r} takes rows as a list of JSON objects",
            expected="list of objects",
            found=type(rows).__name__,
        )
    _check_size(len(rows), max_rows, endpoint, empty_ok)
    if not rows:
        return pa.table({})
    try:  # column by column: a few times faster than Table.from_pylist for small requests
        return pa.table({name: [r.get(name) for r in rows] for name in rows[0]})
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InvalidInputError(
            f"the rows sent to endpoint {endpoint!r} mix types within a column: {exc}",
            hint="send every value of a column with one JSON type",
            endpoint=endpoint,
        ) from exc


def _check_size(count: int, max_rows: int, endpoint: str, empty_ok: bool) -> None:
    if count == 0 and not empty_ok:
        raise InvalidInputError(
            f"the request to endpoint {endpoint!r} has no rows",
            hint='send {"rows": [{...}, ...]} with at least one row',
            expected="at least 1 row",
            found=0,
        )
    if count > max_rows:
        raise TooLargeError(
            f"the request to endpoint {endpoint!r} has {count} rows, over the limit of {max_rows}",
            hint="split it into smaller requests (setting serving_max_rows)",
            limit=max_rows,
            found=count,
        )


def answer(
    deployment: Deployment,
    slot: Slot,
    table: pa.Table,
    request_id: str,
    batcher: Batcher | None = None,
) -> Prediction:
    """``slot``'s predictions for ``table`` (through ``batcher`` when given, sharing one
    model call with concurrent requests)."""
    predictor = deployment.predictors[slot.name]
    config = deployment.config
    if batcher is None:
        outputs, errors = outputs_of(predictor, table)
    else:
        if predictor.signature is not None:  # refuse bad input here, before it joins a batch
            table = predictor.signature.enforce(table, model=f"model {slot.ref}")
        key = (deployment.workspace, config.endpoint, config.version, slot.name)
        outputs, errors = batcher.submit(key, table, partial(outputs_of, predictor))
    return Prediction(
        request_id, config.endpoint, config.version, slot.name, slot.ref, outputs, errors
    )


async def answer_on_loop(
    deployment: Deployment, slot: Slot, table: pa.Table, request_id: str, batcher: LoopBatcher
) -> Prediction:
    """``answer`` on the event loop, the model call shared through ``batcher``."""
    predictor = deployment.predictors[slot.name]
    config = deployment.config
    if predictor.signature is not None:  # refuse bad input here, before it joins a batch
        table = predictor.signature.enforce(table, model=f"model {slot.ref}")
    key = (deployment.workspace, config.endpoint, config.version, slot.name)
    outputs, errors = await batcher.submit(key, table, partial(outputs_of, predictor))
    return Prediction(
        request_id, config.endpoint, config.version, slot.name, slot.ref, outputs, errors
    )


def outputs_of(predictor: Predictor, table: pa.Table) -> tuple[list[Any], list[str | None]]:
    """Each row's answer and error. If the model raises on the batch (not on the
    signature), each row is predicted alone so the failing rows alone carry errors."""
    try:
        return predictor.predict(table).to_pylist(), [None] * table.num_rows
    except InvalidInputError:
        raise  # the signature refused the input: the whole request is at fault
    except Exception as exc:
        if table.num_rows == 1:
            return [None], [_text(exc)]
        return _row_by_row(predictor, table)


def _row_by_row(predictor: Predictor, table: pa.Table) -> tuple[list[Any], list[str | None]]:
    outputs: list[Any] = []
    errors: list[str | None] = []
    for i in range(table.num_rows):
        try:
            outputs.append(predictor.predict(table.slice(i, 1)).to_pylist()[0])
            errors.append(None)
        except Exception as exc:
            outputs.append(None)
            errors.append(_text(exc))
    return outputs, errors


def _text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


_ZERO = {"bool": False, "string": "", "large_string": ""}


def sample(signature: Signature) -> pa.Table:
    """One row fitting ``signature`` (zeros, empty strings, False) to warm a model with."""
    columns = {}
    for spec in signature.inputs:
        kind = pa.type_for_alias(spec.type) if spec.type in _ALIASES else None
        value = _ZERO.get(spec.type, 0) if kind is not None else None
        columns[spec.name] = pa.array([value], type=kind)
    return pa.table(columns)


_ALIASES = {
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float",
    "double",
    "string",
    "large_string",
}
