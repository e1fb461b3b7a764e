"""The operation each route runs: the doors' half of the security policy.

Every route of the app is listed here by its endpoint function, with the operation of
``lakeworks.security.policy.OPERATIONS`` whose permission it needs (for a route running
several, the most demanding), or in ``PUBLIC`` (answered to anyone, or to any
authenticated caller). The route's permission is checked when the caller's context is
built, before the request body is read, so a denied request does no work at all; the
services check each operation again, whichever door called them. ``tests/security``
walks ``app.routes``: a route missing here fails, and each role must get exactly what
the policy says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# answered without a credential, or to any authenticated caller (it checks inside)
PUBLIC = frozenset(
    {
        "fastapi.applications.openapi",
        "fastapi.applications.swagger_ui_html",
        "fastapi.applications.swagger_ui_redirect",
        "fastapi.applications.redoc_html",
        "api.system.health",
        "api.system.metrics",
        "api.workspaces.list_workspaces",  # lists only the caller's workspaces
        "api.security.me",
        "mlflow.server_info.server_info",
        "mlflow.server_info.server_features",
        "mlflow.not_an_endpoint",
        "lakeworks.ui.docs.swagger_ui",  # the API docs page (its assets are static files)
        "lakeworks.ui.pages.home.root",  # a redirect to a workspace's home page
        "lakeworks.ui.pages.signin.signin_form",  # the UI's sign-in page (takes a token)
        "lakeworks.ui.pages.signin.signin",
        "lakeworks.ui.pages.signin.signout",  # deletes the sign-in cookie
    }
)

# the web UI's pages (``lakeworks.ui.pages``): a page shows what its services read, each
# call checked again by the guard; the route needs the most demanding read it shows
_UI = {
    "home.home": "tables.list",
    "tables.table_list": "tables.list",
    "tables.table_detail": "tables.describe",
    "tables.table_preview": "tables.read",
    "tables.table_quarantine": "quality.results",
    "sql.sql_editor": "tables.list",
    "pipelines.pipeline_list": "pipelines.list",
    "pipelines.pipeline_detail": "pipelines.get",
    "pipelines.run_detail": "pipelines.run_info",
    "pipelines.run_live": "pipelines.run_info",
    "pipelines.task_log": "pipelines.task_logs",
    "lineage.lineage_index": "tables.list",
    "lineage.lineage_graph": "lineage.graph",
    "features.feature_index": "features.list",
    "features.definition": "features.versions",
    "experiments.experiment_list": "tracking.list_experiments",
    "experiments.experiment_runs": "tracking.search_runs",
    "experiments.run_detail": "tracking.get_run",
    "experiments.run_live": "tracking.get_run",
    "experiments.artifact_preview": "tracking.open_artifact",
    "experiments.compare": "tracking.search_runs",
    "models.model_list": "registry.list_models",
    "models.model_detail": "registry.get_model",
    "endpoints.endpoint_list": "serving.list",
    "endpoints.endpoint_detail": "serving.show",
    "endpoints.endpoint_live": "serving.show",
    "endpoints.endpoint_charts": "serving.series",
    "endpoints.endpoint_drift": "serving.drift",
    "admin.admin": "identities.grants",
    "admin.admin_quotas": "quotas.show",
    "admin.admin_costs": "costs.of_workspace",
}

_API = {
    "features": {
        "list_definitions": "features.list",
        "definition_versions": "features.versions",
        "online_features": "features.online",
        "training_set": "features.training_set",
        "push_features": "features.push",
    },
    "workspaces": {"create_workspace": "workspaces.create", "get_workspace": "workspaces.get"},
    "tables": {
        "list_tables": "tables.list",
        "describe_table": "tables.describe",
        "table_history": "tables.history",
        "preview_table": "tables.read",
        "write_rows": "tables.write",
        "drop_table": "tables.drop",
        "table_loads": "tables.describe",
    },
    "predictions": {
        "ab": "serving.ab_readout",
        "drift": "serving.drift",
        "feedback": "serving.feedback",
        "model_metrics": "serving.live_metrics",
        "prediction": "serving.trace",
        "set_reference": "serving.set_reference",
    },
    "sql": {"run_sql": "sql.execute", "export_sql": "sql.execute"},
    "quality": {
        "list_checks": "quality.checks",
        "add_checks": "quality.add",
        "remove_check": "quality.remove",
        "run_checks": "quality.run",
        "results": "quality.results",
        "reload": "quality.reload",
        "profile": "quality.profile",
        "run_many": "quality.run_many",
    },
    "lineage": {"lineage": "lineage.graph", "node_lineage": "serving.lineage"},
    "monitoring": {"compare": "monitoring.compare"},
    "pipelines": {
        "list_pipelines": "pipelines.list",
        "register": "pipelines.register_code",
        "get_pipeline": "pipelines.get",
        "pause": "pipelines.pause",
        "unpause": "pipelines.pause",
        "run": "pipelines.run",
        "backfill": "pipelines.backfill",
        "runs": "pipelines.runs",
        "run_info": "pipelines.run_info",
        "task_log": "pipelines.task_logs",
        "cancel": "pipelines.cancel",
        "resume": "pipelines.resume",
    },
    "models": {
        "list_models": "registry.list_models",
        "get_model": "registry.get_model",
        "list_versions": "registry.list_versions",
        "get_version": "registry.get_version",
        "set_alias": "registry.set_alias",
        "delete_alias": "registry.delete_alias",
        "alias_events": "registry.alias_events",
        "approve": "registry.approve",
        "approvals": "registry.approvals",
        "reports": "registry.reports",
    },
    "experiments": {
        "list_experiments": "tracking.list_experiments",
        "create_experiment": "tracking.create_experiment",
        "get_experiment": "tracking.get_experiment",
    },
    "runs": {
        "search_runs_by_query": "tracking.search_runs",
        "search_runs": "tracking.search_runs",
        "get_run": "tracking.get_run",
        "delete_run": "tracking.delete_run",
        "metric_history": "tracking.get_metric_history",
        "list_artifacts": "tracking.list_artifacts",
        "download_artifact": "tracking.open_artifact",
    },
    "streams": {
        "list_streams": "streams.list",
        "publish": "streams.publish",
        "lag": "streams.lag",
    },
    "endpoints": {
        "list_endpoints": "serving.list",
        "deploy": "serving.deploy",
        "show": "serving.show",
        "history": "serving.history",
        "promote": "serving.promote",
        "rollback": "serving.rollback",
        "delete": "serving.delete",
        "predict": "serving.predict",
        "metrics": "serving.metrics",
        "series": "serving.series",
        "score": "serving.score",
        "set_health": "serving.set_health",
    },
    "protection": {
        "list_secrets": "secrets.list",
        "set_secret": "secrets.set",
        "delete_secret": "secrets.delete",
        "pii_tags": "pii.tags",
        "pii_scan": "pii.scan",
        "pii_tag": "pii.tag",
        "pii_untag": "pii.untag",
        "retention_rules": "retention.rules",
        "set_retention": "retention.set",
        "remove_retention": "retention.remove",
        "run_retention": "retention.run",
        "retention_runs": "retention.runs",
    },
    "quotas": {
        "show_quotas": "quotas.show",
        "set_quota": "quotas.set",
        "costs": "costs.of_workspace",
    },
    "security": {
        "audit_all": "audit.verify",  # every workspace's records: administrators
        "verify": "audit.verify",
        "list_members": "identities.grants",
        "grant": "identities.grant",
        "revoke": "identities.revoke",
        "create_token": "tokens.create",
        "list_tokens": "tokens.list",
        "revoke_token": "tokens.revoke",
        "audit": "audit.list",
        "export": "audit.export",
    },
}

_MLFLOW = {
    "experiments": {
        "create": "tracking.create_experiment",
        "get": "tracking.get_experiment",
        "get_by_name": "tracking.get_experiment_by_name",
        "search": "tracking.list_experiments",
        "update": "tracking.rename_experiment",
        "delete": "tracking.delete_experiment",
        "restore": "tracking.restore_experiment",
        "set_tag": "tracking.set_experiment_tag",
    },
    "runs": {
        "create": "tracking.create_run",
        "get": "tracking.get_run",
        "update": "tracking.update_run",
        "delete": "tracking.delete_run",
        "restore": "tracking.restore_run",
        "search": "tracking.search_runs",
        "log_metric": "tracking.log_batch",
        "log_param": "tracking.log_batch",
        "set_tag": "tracking.log_batch",
        "delete_tag": "tracking.delete_tag",
        "log_batch": "tracking.log_batch",
        "log_inputs": "tracking.log_input",
        "log_outputs": "tracking.log_input",
        "log_model": "tracking.log_artifact",
    },
    "metrics": {"get_history": "tracking.get_metric_history"},
    "artifacts": {
        "list_run_artifacts": "tracking.list_artifacts",
        "list_folder": "tracking.list_artifacts",
        "upload": "tracking.log_artifact_stream",
        "download": "tracking.open_artifact",
    },
    "logged_models": {
        "create": "logged_models.create",
        "search": "logged_models.search",
        "get": "logged_models.get",
        "finalize": "logged_models.finalize",
        "delete": "logged_models.delete",
        "set_tags": "logged_models.set_tags",
        "delete_tag": "logged_models.delete_tag",
        "log_params": "logged_models.log_params",
        "list_files": "logged_models.list_artifacts",
    },
    "registered_models": {
        "create": "registry.create_model",
        "get": "registry.get_model",
        "rename": "registry.rename_model",
        "update": "registry.update_model",
        "delete": "registry.delete_model",
        "search": "registry.search_models",
        "set_tag": "registry.set_tag",
        "delete_tag": "registry.delete_tag",
        "set_alias": "registry.set_alias",
        "delete_alias": "registry.delete_alias",
        "get_by_alias": "registry.get_version_by_alias",
        "latest_versions": "registry.list_versions",
    },
    "model_versions": {
        "create": "registry.register",
        "get": "registry.get_version",
        "update": "registry.update_version",
        "delete": "registry.delete_version",
        "search": "registry.search_versions",
        "set_tag": "registry.set_tag",
        "delete_tag": "registry.delete_tag",
        "download_uri": "registry.get_version",
    },
}

ROUTES: dict[str, str] = {
    f"{door}.{module}.{function}": operation
    for door, table in (("api", _API), ("mlflow", _MLFLOW))
    for module, functions in table.items()
    for function, operation in functions.items()
} | {f"lakeworks.ui.pages.{page}": operation for page, operation in _UI.items()}


def route_name(endpoint: Callable[..., Any]) -> str:
    """``api.tables.list_tables``: the endpoint's module under ``lakeworks.server``."""
    return f"{endpoint.__module__.removeprefix('lakeworks.server.')}.{endpoint.__name__}"


def operation(endpoint: Callable[..., Any] | None) -> str | None:
    """The operation the route of ``endpoint`` runs (None: a public route)."""
    return ROUTES.get(route_name(endpoint)) if endpoint is not None else None
