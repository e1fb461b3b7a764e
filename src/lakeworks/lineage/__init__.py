"""Lineage: what every table version was made from, and OpenLineage export. See README.md.

Pipelines mark their tasks with ``lakeworks.lineage.jobs.running(...)``.
"""

from lakeworks.lineage.jobs import JobRun, current_job, record_read, running
from lakeworks.lineage.service import LineageGraph
from lakeworks.lineage.store import Edge, Node

__all__ = ["Edge", "JobRun", "LineageGraph", "Node", "current_job", "record_read", "running"]
