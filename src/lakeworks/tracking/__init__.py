"""Experiment tracking: experiments, runs, params, metrics, tags, inputs and artifacts.

``service.Tracking`` is the one surface every door calls; ``client`` is the SDK's
asynchronous run logger; ``artifacts`` stores files by content hash.
"""

from lakeworks.tracking.records import (
    ArtifactInfo,
    Experiment,
    GcResult,
    Metric,
    Run,
    RunInfo,
    RunInput,
)

__all__ = ["ArtifactInfo", "Experiment", "GcResult", "Metric", "Run", "RunInfo", "RunInput"]
