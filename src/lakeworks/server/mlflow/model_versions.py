"""placeholder"""

from fastapi import APIRouter

from lakeworks.server.mlflow.errors import MlflowRoute

router = APIRouter(route_class=MlflowRoute)
