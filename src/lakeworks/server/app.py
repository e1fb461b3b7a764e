"""The FastAPI app factory: ``create_app(settings)`` opens one Platform and mounts the routers.

Example:
    >>> from fastapi.testclient import TestClient
    >>> from lakeworks.config import Settings
    >>> app = create_app(Settings.load(home="/tmp/lw-app-doctest"))
    >>> TestClient(app).get("/health").json()["status"]
    'ok'

Run it with ``lakeworks server`` or any ASGI server (``create_app`` takes no request-time
configuration; settings are resolved once, here).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI

import lakeworks
from lakeworks.config import Settings
from lakeworks.platform import Platform
from lakeworks.server import errors
from lakeworks.server.api import (
    endpoints,
    experiments,
    features,
    lineage,
    models,
    monitoring,
    pipelines,
    predictions,
    quality,
    runs,
    sql,
    streams,
    system,
    tables,
    workspaces,
)
from lakeworks.server.callers import Callers
from lakeworks.server.feature_server import FeatureServer
from lakeworks.server.metrics import HttpMetrics, MetricsMiddleware
from lakeworks.server.mlflow import install as install_mlflow
from lakeworks.server.predict_server import PredictServer
from lakeworks.server.shutdown import stop_statements
from lakeworks.serving import rollout
from lakeworks.serving.rollout import Watcher

# the error statuses every route of a router may answer; routes add their own (409 ...)
_SCOPED = errors.responses(400, 404, 422, 503)  # under /api/v1/workspaces/{ws}
ROUTERS = (
    (features.router, _SCOPED),
    (system.router, errors.responses(503)),
    (workspaces.router, errors.responses(400, 422, 503)),
    (tables.router, _SCOPED),
    (sql.router, _SCOPED),
    (quality.router, _SCOPED),
    (quality.workspace_router, _SCOPED),
    (lineage.router, _SCOPED),
    (monitoring.router, _SCOPED),
    (pipelines.router, _SCOPED),
    (models.router, _SCOPED),
    (experiments.router, _SCOPED),
    (runs.router, _SCOPED),
    (streams.router, _SCOPED),
    (endpoints.router, _SCOPED),
    (endpoints.serve_router, errors.responses(400, 404, 413, 422, 503)),
    (predictions.router, _SCOPED),
    (predictions.lineage_router, _SCOPED),
)


def _health_round(platform: Platform) -> None:
    """Flush this process's endpoint metrics and judge endpoint health
    (``serving_health``); serving is loaded only once there is an endpoint."""
    if "serving" in platform.__dict__ or rollout.has_endpoints(platform.catalog):
        platform.serving.round(judge=platform.settings.serving_health)


def create_app(settings: Settings | None = None) -> FastAPI:
    """A FastAPI app over one Platform opened with ``settings`` (default: ``Settings.load()``).

    The platform is on ``app.state.platform`` and is closed when the app shuts down. With
    ``settings.scheduler`` (default) the app's lifespan also runs the pipelines scheduler.
    """
    settings = settings or Settings.load()
    platform = Platform.open(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = platform.pipelines.scheduler().start() if settings.scheduler else None
        health = Watcher(partial(_health_round, platform), settings.serving_health_interval)
        health.start()
        yield
        health.stop()
        stop_statements(platform)  # before waiting for pipeline runs that may be running SQL
        if scheduler is not None:
            scheduler.stop(wait=True)  # runs in flight end before the platform closes
        platform.close()

    app = FastAPI(
        title="lakeworks",
        version=lakeworks.__version__,
        description="Versioned lakehouse tables, SQL and ingestion over one REST API.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.platform = platform
    app.state.metrics = HttpMetrics()
    app.state.callers = Callers(platform)
    # inside the metrics middleware; it checks callers as get_context does
    app.add_middleware(FeatureServer, platform=platform, callers=app.state.callers)
    app.add_middleware(PredictServer, platform=platform, callers=app.state.callers)
    app.state.metrics.statements.set_function(lambda: platform.sql.statements.running)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    errors.install(app)
    for router, answers in ROUTERS:
        app.include_router(router, responses=answers)
    install_mlflow(app)  # MLflow's REST protocol, in its own error shape
    return app
