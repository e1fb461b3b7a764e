"""/health and /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

import lakeworks
from lakeworks.pipelines import metrics as pipeline_metrics
from lakeworks.server.dependencies import PlatformDep
from lakeworks.server.schemas.system import Health

router = APIRouter(tags=["system"])


@router.get("/health")
def health(platform: PlatformDep) -> Health:
    """ok once the catalog answers; 503 when the metadata database cannot be reached."""
    platform.catalog.workspaces()
    return Health(status="ok", version=lakeworks.__version__)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, platform: PlatformDep) -> Response:
    """Prometheus text exposition of this app's request metrics, the quality and stream
    counters (and consumer lag gauges), the pipeline run and task metrics, the tracking
    counters, the prediction log's, and the endpoints' requests, errors and latency per
    slot (once this process has loaded serving)."""
    body = (
        request.app.state.metrics.render()
        + platform.quality.metrics.render()
        + platform.tracking.metrics.render()
        + platform.streams.metrics.render()
        + generate_latest(pipeline_metrics.REGISTRY)
    )
    if "serving" in platform.__dict__:  # never load serving for a scrape
        body += platform.serving.health.live.render()
        log = platform.serving.predictions
        body += log.metrics.render() if log is not None else b""
    return Response(body, media_type=CONTENT_TYPE_LATEST)
