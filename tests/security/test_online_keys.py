"""The online-keys quota: checked before a materialization or push stores anything."""

from __future__ import annotations

from datetime import timedelta

import pytest

import lakeworks as lw
from lakeworks import limits
from lakeworks.context import Context
from lakeworks.errors import QuotaExceededError
from tests.features.conftest import T0, rides  # noqa: F401 - the rides fixture


def test_a_materialization_over_the_online_keys_quota_stores_nothing(
    rides: lw.Workspace,  # noqa: F811
) -> None:
    platform, ctx = rides.platform, Context("default", "tester")
    platform.quotas.set(ctx, limits.ONLINE_KEYS, 1)  # two riders have values
    with pytest.raises(QuotaExceededError) as excinfo:
        platform.features.materialize(ctx, "rider_trips")
    fields = excinfo.value.fields
    assert (fields["quota"], fields["limit"], fields["used"], fields["requested"]) == (
        "online_keys",
        1,
        0,
        2,
    )
    assert platform.features.online_store.usage("default") == (0, 0)
    platform.quotas.set(ctx, limits.ONLINE_KEYS, 2)
    platform.features.materialize(ctx, "rider_trips")
    assert platform.features.online_store.usage("default")[0] == 2
    platform.features.materialize(ctx, "rider_trips")  # the same keys again: no new key


def test_a_push_over_the_quota_writes_neither_store(rides: lw.Workspace) -> None:  # noqa: F811
    platform, ctx = rides.platform, Context("default", "tester")
    platform.features.materialize(ctx, "rider_trips")
    platform.quotas.set(ctx, limits.ONLINE_KEYS, 2)
    version = platform.tables.open(ctx, "rider_events").version()
    new = {"rider_id": 3, "ts": T0 + timedelta(days=4), "trips": 1, "rating": 5.0}
    with pytest.raises(QuotaExceededError, match="online_keys quota"):
        platform.features.push(ctx, "rider_trips", [new])
    assert platform.tables.open(ctx, "rider_events").version() == version  # offline too
    old = {"rider_id": 1, "ts": T0 + timedelta(days=4), "trips": 15, "rating": 4.8}
    platform.features.push(ctx, "rider_trips", [old])  # an existing key takes no room
