"""Security fixtures: the pipelines fixtures (a pipeline file registered in the test's
workspace), and helpers that read the usage table back."""

from __future__ import annotations

from lakeworks.platform import Platform
from lakeworks.security.ledger import UsageRecord
from tests.pipelines.conftest import define, pipelines, register  # noqa: F401 - fixtures


def usage_of(platform: Platform, kind: str) -> list[UsageRecord]:
    """Every usage record of ``kind`` written so far (the meter's buffer flushed first)."""
    from datetime import UTC, datetime, timedelta

    platform.usage.flush()
    now = datetime.now(UTC) + timedelta(seconds=1)
    return [r for r in platform._ledger.samples(now, [kind], None)]
