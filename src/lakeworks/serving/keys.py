"""Requests by entity key: the endpoint's feature service read from the online store,
in-process, and each key's features become one input row.

A key whose features are not all present (an unknown entity, or a value older than its
view's TTL) gets a per-row error naming the key and the features; the other keys are
answered.

Example:
    >>> check_keys([{"customer_id": 7}], max_rows=10, endpoint="churn")
    [{'customer_id': 7}]
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from lakeworks.errors import InvalidInputError, TooLargeError

if TYPE_CHECKING:
    from lakeworks.context import Context
    from lakeworks.features.service import Features
    from lakeworks.serving.prediction import Prediction


@dataclass(frozen=True)
class KeyedRows:
    """The rows to predict (for the keys in ``answered``) and per key the error, if any."""

    rows: list[dict[str, Any]]
    answered: list[int]
    errors: list[str | None]
    views: dict[str, int] = field(default_factory=dict)  # view read: its version


def check_keys(keys: Any, max_rows: int, *, endpoint: str) -> list[dict[str, Any]]:
    """``keys`` as sent: a non-empty list of objects, within ``max_rows``."""
    if not isinstance(keys, list) or not all(isinstance(k, dict) and k for k in keys):
        raise InvalidInputError(
            f"endpoint {endpoint!r} takes keys as a list of JSON objects naming an entity",
            hint='send {"keys": [{"customer_id": 7}]}',
            expected="list of non-empty objects",
            found=type(keys).__name__,
        )
    if not keys:
        raise InvalidInputError(
            f"the request to endpoint {endpoint!r} has no keys",
            expected="at least 1 key",
            found=0,
        )
    if len(keys) > max_rows:
        raise TooLargeError(
            f"the request to endpoint {endpoint!r} has {len(keys)} keys, over the limit "
            f"of {max_rows}",
            hint="split it into smaller requests (setting serving_max_rows)",
            limit=max_rows,
            found=len(keys),
        )
    return keys


def read(
    features: Features | None,
    ctx: Context,
    service: str | None,
    endpoint: str,
    keys: list[dict[str, Any]],
) -> KeyedRows:
    """The online features of each key, as model input rows."""
    if features is None or service is None:
        raise InvalidInputError(
            f"endpoint {endpoint!r} has no feature service, so it takes rows, not keys",
            hint="deploy it with features='<feature service>' or send rows",
            endpoint=endpoint,
        )
    result = features.online(ctx, service, keys, unmasked=True)  # the model reads raw
    rows: list[dict[str, Any]] = []
    answered: list[int] = []
    errors: list[str | None] = []
    for i, (values, status) in enumerate(zip(result.values, result.status, strict=True)):
        missing = {f: s for f, s in status.items() if s != "present"}
        if missing:
            errors.append(f"entity {keys[i]} has no online value for {_listed(missing)}")
            continue
        errors.append(None)
        rows.append(values)
        answered.append(i)
    return KeyedRows(rows, answered, errors, _views(features, ctx, service))


def _views(features: Features, ctx: Context, service: str) -> dict[str, int]:
    """The version of each view ``service`` reads (refs are ``view`` or ``view:feature``)."""
    snapshot = features.registry.snapshot(ctx)
    names = {ref.split(":", 1)[0] for ref in snapshot.service(service).features}
    return {n: snapshot.views[n].version for n in sorted(names) if n in snapshot.views}


def merge(keyed: KeyedRows, prediction: Prediction) -> Prediction:
    """The answer per key: ``prediction``'s row where the features were read, else the
    error saying why not (``prediction`` has one row per entry of ``keyed.answered``)."""
    outputs: list[dict[str, Any] | None] = [None] * len(keyed.errors)
    errors = list(keyed.errors)
    for j, i in enumerate(keyed.answered):
        outputs[i] = prediction.outputs[j]
        errors[i] = prediction.errors[j]
    return replace(prediction, outputs=outputs, errors=errors)


def _listed(missing: dict[str, str]) -> str:
    return ", ".join(f"{feature} ({status})" for feature, status in sorted(missing.items()))
