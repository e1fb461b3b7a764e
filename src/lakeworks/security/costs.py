"""Cost allocation: metered usage times the price list of the settings (``prices``).

A report groups usage by any of ``workspace``, ``user`` and ``pipeline`` over
``[since, until)`` and gives, per group, the quantities in billing units and their cost:

==========================  ==========================================  ==================
quantity                    from                                        price (``prices``)
==========================  ==========================================  ==================
storage_gb_hours            storage samples: bytes x hours each holds   storage_gb_month
task_cpu_hours              task attempts' CPU time                     task_cpu_hour
task_peak_memory_gb         the largest peak of a task attempt          (reported only)
sql_scanned_gb              Delta files read by SQL statements          sql_scanned_tb
serving_requests            predictions served                          serving_million_requests
serving_cpu_hours           CPU time of predictions                     serving_cpu_hour
==========================  ==========================================  ==================

Storage belongs to the workspace (its user is ``-``, its pipeline none); a month is
730 hours. Bytes freed by retention and gc show as the storage samples falling.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from lakeworks import limits
from lakeworks.errors import InvalidInputError
from lakeworks.security.usage import PEAK_KINDS, SAMPLER, STORAGE_KINDS

if TYPE_CHECKING:
    from lakeworks.config import Settings
    from lakeworks.context import Context
    from lakeworks.security.ledger import Ledger, UsageRecord
    from lakeworks.security.usage import Usage

GROUPS = ("workspace", "user", "pipeline")
GB, HOUR, MONTH_HOURS = 1e9, 3600.0, 730.0
# metered kind -> (quantity, its unit from the recorded one, price name, price unit)
METERED = {
    limits.TASK_CPU_SECONDS: ("task_cpu_hours", 1 / HOUR, "task_cpu_hour", 1.0),
    limits.TASK_PEAK_MEMORY_BYTES: ("task_peak_memory_gb", 1 / GB, None, 1.0),
    limits.SQL_SCANNED_BYTES: ("sql_scanned_gb", 1 / GB, "sql_scanned_tb", 1e-3),
    limits.SERVING_REQUESTS: ("serving_requests", 1.0, "serving_million_requests", 1e-6),
    limits.SERVING_CPU_SECONDS: ("serving_cpu_hours", 1 / HOUR, "serving_cpu_hour", 1.0),
}
QUANTITIES = ("storage_gb_hours", *(q for q, *_ in METERED.values()))
DEFAULT_PRICES = {
    "storage_gb_month": 0.023,
    "task_cpu_hour": 0.05,
    "sql_scanned_tb": 5.0,
    "serving_million_requests": 0.20,
    "serving_cpu_hour": 0.05,
}


@dataclass(frozen=True)
class CostLine:
    """One group: its keys (``{"workspace": "sales"}``), quantities and cost by price."""

    group: dict[str, str | None]
    quantities: dict[str, float]
    costs: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.costs.values())


@dataclass(frozen=True)
class CostReport:
    by: tuple[str, ...]
    since: datetime
    until: datetime
    lines: tuple[CostLine, ...]

    @property
    def total(self) -> float:
        return sum(line.total for line in self.lines)


class Costs:
    def __init__(self, ledger: Ledger, usage: Usage, settings: Settings) -> None:
        self.ledger = ledger
        self.usage = usage
        unknown = sorted(set(settings.prices) - set(DEFAULT_PRICES))
        if unknown:
            raise InvalidInputError(
                f"unknown price(s) {unknown} in the prices setting",
                hint=f"the prices are {', '.join(DEFAULT_PRICES)}",
                expected=list(DEFAULT_PRICES),
                found=unknown,
            )
        self.prices = {**DEFAULT_PRICES, **settings.prices}

    def report(
        self,
        by: tuple[str, ...] = ("workspace",),
        since: datetime | str = "30d",
        until: datetime | None = None,
        workspace: str | None = None,
    ) -> CostReport:
        """Usage and cost per group of ``by`` in ``[since, until)`` (default: now), of one
        workspace or all. ``since``: a time or a span back from now (``30d``, ``12h``).

        Example: ``costs.report(("workspace", "user"), since="7d")``.
        """
        by = check_groups(by)
        if workspace is not None:
            self.ledger.catalog.workspace(workspace)  # NotFoundError for a typo
        self.usage.flush()  # what waits in this process's buffer counts too (stamped now)
        until = until or datetime.now(UTC)
        start = since_time(since, until)
        sums: dict[tuple, dict[str, float]] = defaultdict(lambda: dict.fromkeys(QUANTITIES, 0.0))
        for total in self.ledger.totals(start, until, list(METERED), workspace):
            quantity, scale, *_ = METERED[total.kind]
            into = sums[_key(by, total.workspace, total.user, total.pipeline)]
            if total.kind in PEAK_KINDS:
                into[quantity] = max(into[quantity], total.largest * scale)
            else:
                into[quantity] += total.total * scale
        samples = self.ledger.samples(until, STORAGE_KINDS, workspace)
        for ws, byte_hours in storage_byte_hours(samples, start, until).items():
            sums[_key(by, ws, SAMPLER, None)]["storage_gb_hours"] += byte_hours / GB
        lines = [self._line(by, key, quantities) for key, quantities in sums.items()]
        lines.sort(key=lambda line: (-line.total, tuple(str(v) for v in line.group.values())))
        return CostReport(by, start, until, tuple(lines))

    def of_workspace(
        self,
        ctx: Context,
        by: tuple[str, ...] | str = ("user", "pipeline"),
        since: datetime | str = "30d",
        until: datetime | None = None,
    ) -> CostReport:
        """``report`` of the caller's workspace only (what REST answers, ``usage.read``)."""
        return self.report(by, since=since, until=until, workspace=ctx.workspace)

    def _line(self, by: tuple[str, ...], key: tuple, quantities: dict[str, float]) -> CostLine:
        costs = {
            "storage_gb_month": quantities["storage_gb_hours"]
            / MONTH_HOURS
            * self.prices["storage_gb_month"]
        }
        for quantity, _, price, unit in METERED.values():
            if price is not None:
                costs[price] = quantities[quantity] * unit * self.prices[price]
        return CostLine(dict(zip(by, key, strict=True)), quantities, costs)


def storage_byte_hours(
    samples: list[UsageRecord], since: datetime, until: datetime
) -> dict[str, float]:
    """Byte-hours per workspace in ``[since, until)``: each sample's bytes (per store)
    held from its time until the next sample of that store, the last until ``until``.
    Samples must come oldest first."""
    series: dict[tuple[str, str], list[UsageRecord]] = defaultdict(list)
    for sample in samples:
        series[(sample.workspace, sample.kind)].append(sample)
    totals: dict[str, float] = defaultdict(float)
    for (ws, _), points in series.items():
        ends = [p.recorded_at for p in points[1:]] + [until]
        for point, end in zip(points, ends, strict=True):
            start, stop = max(point.recorded_at, since), min(end, until)
            if stop > start:
                totals[ws] += point.amount * (stop - start).total_seconds() / HOUR
    return dict(totals)


def since_time(since: datetime | str, until: datetime) -> datetime:
    """``since`` as a time: a datetime as given (UTC when naive), or ``30d``/``12h``/``15m``
    back from ``until``."""
    if isinstance(since, datetime):
        return since if since.tzinfo else since.replace(tzinfo=UTC)
    units = {"d": "days", "h": "hours", "m": "minutes"}
    text = since.strip().lower()
    try:
        if text[-1:] in units and text[:-1].isdigit():
            return until - timedelta(**{units[text[-1]]: int(text[:-1])})
        moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError):  # not a time, or a span beyond the calendar
        raise InvalidInputError(
            f"cannot read since={since!r}",
            hint="give a span back from now (30d, 12h, 15m) or an ISO time (2026-01-31)",
            expected="30d, 12h, 15m or an ISO time",
            found=since,
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_groups(by: tuple[str, ...] | list[str] | str) -> tuple[str, ...]:
    """``by`` as a tuple of known group names (``"workspace,user"`` is accepted)."""
    names = tuple(b.strip() for b in by.split(",")) if isinstance(by, str) else tuple(by)
    unknown = [b for b in names if b not in GROUPS]
    if unknown or not names:
        raise InvalidInputError(
            f"cannot group costs by {', '.join(unknown) or 'nothing'}",
            hint=f"group by any of {', '.join(GROUPS)}",
            expected=list(GROUPS),
            found=list(names),
        )
    return names


def _key(by: tuple[str, ...], workspace: str, user: str, pipeline: str | None) -> tuple:
    values = {"workspace": workspace, "user": user, "pipeline": pipeline}
    return tuple(values[b] for b in by)


__all__ = ["DEFAULT_PRICES", "GROUPS", "QUANTITIES", "CostLine", "CostReport", "Costs"]
