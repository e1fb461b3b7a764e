"""A dedicated serving replica: only the prediction route, ``/health`` and ``/metrics``.

``lakeworks serve --endpoints churn --workers N`` runs ``create_replica_app`` in N uvicorn
worker processes. A replica holds no state of its own: it reads endpoint configurations
from the catalog and picks up every change (a promote, a rollback, a new deployment) at
most ``serving_version_ttl_ms`` after it was made, without a restart; requests in flight
finish on the configuration they started with. Every ``serving_health_interval`` seconds
it flushes its live endpoint counts to the catalog (and judges endpoint health when
``serving_health``); at shutdown it flushes them and writes its prediction log.

Example:
    >>> from fastapi.testclient import TestClient
    >>> from lakeworks.config import Settings
    >>> app = create_replica_app(Settings.load(home="/tmp/lw-replica-doctest"))
    >>> TestClient(app).get("/health").json()["status"]
    'ok'
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

import lakeworks
from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.platform import Platform
from lakeworks.server import errors
from lakeworks.server.app import authenticator
from lakeworks.server.callers import Callers
from lakeworks.server.metrics import HttpMetrics, MetricsMiddleware
from lakeworks.server.predict_server import PredictServer
from lakeworks.server.schemas.system import Health
from lakeworks.serving.rollout import Watcher


def served_endpoints(settings: Settings) -> frozenset[tuple[str, str]] | None:
    """``serving_endpoints`` as (workspace, endpoint) pairs; None when it names none (all).
    ``churn`` is in the settings' workspace, ``team/churn`` in workspace ``team``."""
    names = [n.strip() for n in settings.serving_endpoints.split(",") if n.strip()]
    if not names:
        return None
    pairs = (n.split("/", 1) if "/" in n else (settings.workspace, n) for n in names)
    return frozenset((ws, name) for ws, name in pairs)


def create_replica_app(settings: Settings | None = None) -> FastAPI:
    """A prediction-only app over one Platform (default settings: ``Settings.load()``,
    which is how each uvicorn worker of ``lakeworks serve`` builds its own)."""
    settings = settings or Settings.load()
    platform = Platform.open(settings)

    allowed = served_endpoints(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(_warm, platform, allowed)
        # this replica's live counts reach endpoint_windows every few seconds, where the
        # judges (this one when serving_health, the server's) see them
        judge = settings.serving_health
        health = Watcher(
            lambda: platform.serving.round(judge=judge), settings.serving_health_interval
        )
        health.start()
        yield
        health.stop()
        platform.close()  # closes serving first: its counts flushed, its prediction log written

    app = FastAPI(
        title="lakeworks serving replica", version=lakeworks.__version__, lifespan=lifespan
    )
    app.state.settings = settings
    app.state.platform = platform
    app.state.metrics = HttpMetrics()
    callers = Callers(platform, authenticator(settings, platform))  # as the server's
    app.add_middleware(PredictServer, platform=platform, callers=callers, allowed=allowed)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    errors.install(app)
    app.add_api_route("/health", _health, methods=["GET"])
    app.add_api_route("/metrics", _metrics, methods=["GET"], include_in_schema=False)
    return app


def _warm(platform: Platform, allowed: frozenset[tuple[str, str]] | None) -> None:
    """Load the replica's endpoints before it accepts requests (uvicorn listens once the
    lifespan has started): the first request does not pay for loading the models."""
    for ws, name in sorted(allowed or ()):
        platform.serving.deployment(Context(workspace=ws, user="serve"), name)


def _health(request: Request) -> Health:
    """ok once the catalog answers (503 when it cannot be reached)."""
    request.app.state.platform.catalog.workspaces()
    return Health(status="ok", version=lakeworks.__version__)


def _metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
