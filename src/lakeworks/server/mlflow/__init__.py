"""MLflow's REST protocol over lakeworks services, so the unmodified ``mlflow`` client
(and every library that logs to MLflow) works against ``lakeworks server``.

One module per API family: ``experiments``, ``runs``, ``metrics``, ``artifacts``,
``logged_models``, ``registered_models``, ``model_versions``; ``messages`` reads requests,
``shapes`` writes MLflow's JSON, ``errors`` answers in MLflow's error shape. Routes are
doors: each translates and calls one service method.

The routes are served at ``/api/2.0/mlflow/...`` (and ``/ajax-api/2.0/mlflow/...``, the
UI's spelling) in the default workspace, and again under ``/workspaces/<ws>`` for a
tracking URI ``http://host:port/workspaces/<ws>``. Any other path under them answers
ENDPOINT_NOT_FOUND in MLflow's shape. See docs/mlflow.md. They are left out of lakeworks'
OpenAPI document: MLflow's REST API reference documents them, and their answers follow
MLflow's error shape, not ``ErrorBody``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from lakeworks.server.mlflow import (
    artifacts,
    experiments,
    logged_models,
    metrics,
    model_versions,
    registered_models,
    runs,
    server_info,
)
from lakeworks.server.mlflow.errors import MlflowRoute, endpoint_not_found

TRACKING = (
    experiments.router,
    runs.router,
    metrics.router,
    artifacts.router,
    logged_models.router,
    registered_models.router,
    model_versions.router,
)
WORKSPACE_PREFIX = "/workspaces/{ws}"
API_PREFIXES = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
INFO_PREFIXES = ("/api/3.0/mlflow", "/ajax-api/3.0/mlflow")
ARTIFACTS_PREFIX = "/api/2.0/mlflow-artifacts"
CATCH_ALL_PREFIXES = (*API_PREFIXES, *INFO_PREFIXES, ARTIFACTS_PREFIX)
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]

unknown = APIRouter(route_class=MlflowRoute)


@unknown.api_route("/{rest:path}", methods=METHODS, include_in_schema=False)
def not_an_endpoint(request: Request) -> JSONResponse:
    return endpoint_not_found(request)


def install(app: FastAPI) -> None:
    """Mount the MLflow routes, in the default workspace and under ``/workspaces/<ws>``."""
    for workspace in ("", WORKSPACE_PREFIX):
        for api in API_PREFIXES:
            for router in TRACKING:
                app.include_router(router, prefix=workspace + api, include_in_schema=False)
        for api in INFO_PREFIXES:
            app.include_router(server_info.router, prefix=workspace + api, include_in_schema=False)
        app.include_router(
            artifacts.proxy, prefix=workspace + ARTIFACTS_PREFIX, include_in_schema=False
        )
        for prefix in CATCH_ALL_PREFIXES:  # after every real route: the first match wins
            app.include_router(unknown, prefix=workspace + prefix)
