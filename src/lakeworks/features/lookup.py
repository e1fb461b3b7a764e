"""Online reads: the latest value of each requested feature for each entity row.

Each value comes with a status: ``present``, ``unknown_entity`` (the store has no value
for the key: never seen, or not materialized yet) or ``expired`` (the value is older than
the view's TTL; it is returned as null). A view that was never materialized nor pushed is
an error, not a column of nulls.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyarrow as pa

from lakeworks.errors import InvalidInputError
from lakeworks.features.definitions import FeatureView
from lakeworks.features.online.base import OnlineStore, encode_key

PRESENT, UNKNOWN, EXPIRED = "present", "unknown_entity", "expired"


@dataclass(frozen=True)
class OnlineResult:
    """Per requested entity row: ``values[i][feature]`` and ``status[i][feature]``."""

    features: tuple[str, ...]
    values: list[dict[str, Any]]
    status: list[dict[str, str]]

    def to_arrow(self) -> pa.Table:
        return pa.Table.from_pylist(self.values, schema=None) if self.values else pa.table({})

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "results": [
                {"values": v, "status": s} for v, s in zip(self.values, self.status, strict=True)
            ],
        }


@dataclass(frozen=True)
class ViewPlan:
    view: str
    keys: tuple[str, ...]
    features: tuple[tuple[str, str], ...]  # (feature, output name)
    ttl_us: int | None


@dataclass(frozen=True)
class Plan:
    """What one online request reads, resolved once per feature list and cached."""

    features: tuple[str, ...]
    views: tuple[ViewPlan, ...]


def plan(
    pairs: list[tuple[FeatureView, str]], names: list[str], keys: dict[str, list[str]]
) -> Plan:
    views: dict[str, list[tuple[str, str]]] = {}
    by_name = {}
    for (view, feature), name in zip(pairs, names, strict=True):
        views.setdefault(view.name, []).append((feature, name))
        by_name[view.name] = view
    return Plan(
        tuple(names),
        tuple(
            ViewPlan(
                v,
                tuple(keys[v]),
                tuple(fs),
                None if by_name[v].ttl is None else int(by_name[v].ttl.total_seconds() * 1e6),
            )
            for v, fs in views.items()
        ),
    )


def read(
    store: OnlineStore, workspace: str, plan: Plan, rows: list[dict[str, Any]]
) -> OnlineResult:
    if not isinstance(rows, list) or not rows:
        raise InvalidInputError("give at least one entity row, e.g. [{'rider_id': 7}]")
    now_us = time.time_ns() // 1000
    values: list[dict[str, Any]] = [{} for _ in rows]
    status: list[dict[str, str]] = [{} for _ in rows]
    for vp in plan.views:
        keys = [_key(row, vp) for row in rows]
        records = store.read(workspace, vp.view, keys)
        for i, record in enumerate(records):
            out, st = values[i], status[i]
            if record is None:
                for _, name in vp.features:
                    out[name], st[name] = None, UNKNOWN
            elif vp.ttl_us is not None and record.event_us < now_us - vp.ttl_us:
                for _, name in vp.features:
                    out[name], st[name] = None, EXPIRED
            else:
                stored = _decode(record.values)
                for feature, name in vp.features:
                    out[name], st[name] = stored.get(feature), PRESENT
    order = plan.features
    if len(plan.views) == 1:  # already in the order asked
        return OnlineResult(order, values, status)
    return OnlineResult(
        order,
        [{n: v[n] for n in order} for v in values],
        [{n: s[n] for n in order} for s in status],
    )


@lru_cache(maxsize=65_536)
def _decode(raw: str) -> dict[str, Any]:
    """Stored values, decoded once per distinct stored text (never stale: the text is the
    value). Callers only read from the dict."""
    return json.loads(raw)


def _key(row: dict[str, Any], vp: ViewPlan) -> str:
    try:
        if len(vp.keys) == 1:
            value = row[vp.keys[0]]
            if type(value) is int:  # the common case, without json.dumps
                return f"[{value}]"
            return encode_key([value])
        return encode_key([row[k] for k in vp.keys])
    except KeyError as exc:
        raise InvalidInputError(
            f"an entity row lacks key column {exc.args[0]!r} that feature view {vp.view!r} "
            "joins on",
            hint=f"give every row the keys {list(vp.keys)}",
            view=vp.view,
            missing=exc.args[0],
        ) from None
    except (TypeError, AttributeError) as exc:
        raise InvalidInputError(f"entity rows must be objects of key -> value: {exc}") from None
