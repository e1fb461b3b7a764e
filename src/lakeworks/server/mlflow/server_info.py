"""/api/3.0/mlflow/server-info: what this server offers, as the MLflow client asks.

The client reads it before using a workspace (``MLFLOW_WORKSPACE``) and before uploading
artifacts (multipart and presigned transfers are off: files stream through the proxy).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from lakeworks.server.mlflow.errors import MlflowRoute

router = APIRouter(route_class=MlflowRoute, tags=["mlflow server"])

INFO = {
    "store_type": "SqlStore",
    "artifact_serving_enabled": True,
    "workspaces_enabled": True,
    "multipart_uploads_enabled": False,
    "multipart_downloads_enabled": False,
    "artifacts_presigned_only": False,
}


@router.get("/server-info")
def server_info() -> Any:
    return INFO


@router.get("/server-features")
def server_features() -> Any:
    return INFO
