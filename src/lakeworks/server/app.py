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
from lakeworks.protection.schedule import RetentionSchedule
from lakeworks.security.authn import Authenticator
from lakeworks.security.usage import Sampler
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
    protection,
    quality,
    quotas,
    runs,
    security,
    sql,
    streams,
    system,
    tables,
    workspaces,
)
from lakeworks.server.callers import Callers
from lakeworks.server.feature_server import FeatureServer
from lakeworks.server.metrics import CostGauges, HttpMetrics, MetricsMiddleware
from lakeworks.server.mlflow import install as install_mlflow
from lakeworks.server.predict_server import PredictServer
from lakeworks.server.shutdown import stop_statements
from lakeworks.serving import rollout
from lakeworks.serving.rollout import Watcher
from lakeworks.ui.mount import install as install_ui

# the error statuses every route of a router may answer; routes add their own (409 ...)
# under /api/v1/workspaces/{ws}; 401 and 403 when authentication is on
_SCOPED = errors.responses(400, 401, 403, 404, 422, 503)
ROUTERS = (
    (features.router, _SCOPED),
    (system.router, errors.responses(503)),
    (workspaces.router, errors.responses(400, 401, 403, 422, 503)),
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
    (protection.router, _SCOPED),
    (endpoints.router, _SCOPED),
    (quotas.router, _SCOPED),
    (endpoints.serve_router, errors.responses(400, 401, 403, 404, 413, 422, 429, 503)),
    (predictions.router, _SCOPED),
    (predictions.lineage_router, _SCOPED),
    (security.router, errors.responses(401, 403, 422, 503)),
    (security.scoped, _SCOPED),
)


def authenticator(settings: Settings, platform: Platform) -> Authenticator | None:
    """The server's authenticator, or None when it runs without authentication."""
    if not settings.auth_required:
        return None
    return Authenticator(settings, platform.identities, platform.tokens)


def _health_round(platform: Platform) -> None:
    """Flush this process's endpoint metrics and judge endpoint health
    (``serving_health``); serving is loaded only once there is an endpoint."""
    if "serving" in platform.__dict__ or rollout.has_endpoints(platform.catalog):
        platform.serving.round(judge=platform.settings.serving_health)


def create_app(settings: Settings | None = None) -> FastAPI:
    """A FastAPI app over one Platform opened with ``settings`` (default: ``Settings.load()``).

    The platform is on ``app.state.platform`` and is closed when the app shuts down.
    Requests must carry a credential when ``settings.auth_required`` (see ``Callers``). With
    ``settings.scheduler`` (default) the app's lifespan also runs the pipelines scheduler.
    """
    settings = settings or Settings.load()
    platform = Platform.open(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if "sql" in platform.__dict__:  # started again after a stop (test clients do this)
            platform.sql.statements.accept()
        scheduler = platform.pipelines.scheduler().start() if settings.scheduler else None
        retention = _retention_schedule(platform, settings)
        sampler = Sampler(platform.usage, settings.usage_sample_seconds).start()
        health = Watcher(partial(_health_round, platform), settings.serving_health_interval)
        health.start()
        yield
        health.stop()
        sampler.stop()
        stop_statements(platform)  # before waiting for pipeline runs that may be running SQL
        if retention is not None:
            retention.stop()
        if scheduler is not None:
            scheduler.stop(wait=True)  # runs in flight end before the platform closes
        platform.close()

    app = FastAPI(
        title="lakeworks",
        version=lakeworks.__version__,
        description="Versioned lakehouse tables, SQL and ingestion over one REST API.",
        lifespan=lifespan,
        docs_url=None,  # the UI serves /docs from vendored assets (no CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.platform = platform
    app.state.metrics = HttpMetrics()
    app.state.callers = Callers(platform, authenticator(settings, platform))
    # inside the metrics middleware; it checks callers as get_context does
    app.add_middleware(FeatureServer, platform=platform, callers=app.state.callers)
    app.add_middleware(PredictServer, platform=platform, callers=app.state.callers)
    app.state.metrics.statements.set_function(lambda: platform.sql.statements.running)
    app.state.metrics.registry.register(CostGauges(platform.costs))
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    errors.install(app)
    for router, answers in ROUTERS:
        app.include_router(router, responses=answers)
    install_mlflow(app)  # MLflow's REST protocol, in its own error shape
    install_ui(app)  # the web UI under / and /w/<ws>, after every API route
    return app


def _retention_schedule(platform: Platform, settings: Settings) -> RetentionSchedule | None:
    """Retention rules applied every ``retention_interval`` seconds, beside the scheduler."""
    if not settings.scheduler or settings.retention_interval <= 0:
        return None
    return RetentionSchedule(platform.retention, settings.retention_interval).start()
