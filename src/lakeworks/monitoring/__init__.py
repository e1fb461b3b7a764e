"""Monitoring: drift statistics and drift reports between two samples of data.

``platform.monitoring.compare(ctx, "orders@v3", "orders")`` (``ws.monitor.compare`` in the
SDK) says, per column, which statistic decided, its value and threshold, and whether the
column drifted. See ``docs/monitoring.md``.
"""

from lakeworks.monitoring.report import ColumnDrift, DriftReport, Side

__all__ = ["ColumnDrift", "DriftReport", "Side"]
