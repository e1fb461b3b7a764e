"""The policy: the one table of every service operation and the permission it needs.

An operation is ``<service>.<method>``, the service named as ``Platform`` names it
(``tables.write`` is ``Platform.tables.write``). The guard wraps each listed method of
each service the composition root builds (``guard.Guard.protect``), so every door (SDK,
CLI, REST, MLflow routes, the feature server) passes the same check. A method that takes
a Context and is missing here fails ``tests/security/test_policy.py``: a new operation
cannot ship unprotected.

``INTERNAL`` lists the methods only other services call, in the middle of an operation
that was itself checked (a write's quality gate, lineage's schema reads); they are not
wrapped. Operations needing a permission in ``QUIET`` are checked but not audited: they
are the high-frequency logging of a training loop, whose run is itself the record.

Other parts add their operations here, e.g. ``"secrets.put": "secrets.manage"``.
"""

from __future__ import annotations

from lakeworks.errors import InvalidInputError

READ, WRITE, RUN, LOG = "data.read", "data.write", "pipelines.run", "runs.log"
CODE, CHECKS, FEATURES = "code.register", "checks.manage", "features.manage"
DEPLOY, ALIAS = "models.deploy", "models.alias"


def _service(name: str, **by_permission: str) -> dict[str, str]:
    """``{"<name>.<method>": permission}`` from ``permission=\"method method ...\"``."""
    table: dict[str, str] = {}
    for key, methods in by_permission.items():
        permission = _PERMISSION_NAMES[key]
        table.update({f"{name}.{method}": permission for method in methods.split()})
    return table


_PERMISSION_NAMES = {
    "read": READ,
    "write": WRITE,
    "run": RUN,
    "log": LOG,
    "code": CODE,
    "checks": CHECKS,
    "features": FEATURES,
    "deploy": DEPLOY,
    "alias": ALIAS,
    "members": "members.manage",
    "tokens": "tokens.manage",
    "audit": "audit.read",
    "verify": "audit.verify",
    "members_read": "members.read",
    "create": "workspaces.create",
    "users": "users.manage",
    "secrets": "secrets.manage",
    "rotate": "secrets.rotate",
    "pii_tag": "pii.tag",
    "unmask": "pii.unmask",
    "retention": "retention.manage",
    "quotas": "quotas.manage",
    "usage": "usage.read",
}

OPERATIONS: dict[str, str] = {
    **_service(
        "tables",
        read="describe exists history list read",
        write="create write upsert delete drop compact vacuum",
    ),
    # a write statement is checked again where it writes (tables.write)
    **_service("sql", read="query execute connect table_names"),
    **_service("ingest", write="load"),
    **_service(
        "pipelines",
        read="get list run_info runs task_logs wait definition",
        run="run backfill cancel resume pause",
        code="register register_code",
    ),
    **_service(
        "quality",
        read="checks results profile failures",
        run="run run_many",
        write="reload",
        code="add",
        checks="remove",
    ),
    **_service("lineage", read="graph view_readers"),
    **_service(
        "features",
        read="list get versions materializations training_set online",
        write="materialize push",
        code="apply",
        features="rollback",
    ),
    **_service(
        "tracking",
        read="best_run download_artifacts get_experiment get_experiment_by_name "
        "get_metric_history get_run get_run_info list_artifacts list_experiments "
        "list_inputs open_artifact search_runs metric_series",
        log="create_run heartbeat log_artifact log_artifact_stream log_artifacts log_batch "
        "log_input log_metric log_param log_points set_tag delete_tag set_note update_run",
        write="create_experiment rename_experiment set_experiment_tag delete_experiment "
        "restore_experiment delete_run restore_run gc",
    ),
    **_service(
        "registry",
        read="alias_events approvals get_model get_version get_version_by_alias lineage "
        "list_models list_versions load reports resolve search_models search_versions",
        write="create_model register rename_model update_model update_version set_tag delete_tag",
        alias="set_alias delete_alias approve delete_model delete_version",
    ),
    **_service(
        "serving",
        read="predict predict_on_loop list show history deployment metrics series "
        "live_metrics ab_readout drift trace lineage",
        write="feedback score",
        deploy="deploy promote rollback delete change set_health set_reference",
    ),
    **_service(
        "streams",
        read="list tail lag groups consumer log_source",
        write="publish ingest trim",
    ),
    **_service(
        "logged_models",
        read="get search list_artifacts open_artifact",
        log="create finalize log_params set_tags delete_tag log_artifact_stream delete",
    ),
    **_service("monitoring", read="compare"),
    # long-running stream processors: they publish, write tables and push features
    **_service("stream_features", write="run"),
    **_service("stream_scoring", write="score"),
    **_service("hpo", log="tune"),
    # the security services' own operations
    **_service("workspaces", read="get", create="create"),
    **_service(
        "identities",
        members_read="grants",
        members="grant revoke",
        users="create_user disable_user list_users add_to_group remove_from_group",
    ),
    **_service("tokens", tokens="create list revoke"),
    **_service("audit", audit="list export", verify="verify"),
    # data protection: secrets, personal data, retention
    **_service("secrets", secrets="set delete list", rotate="rotate_key"),
    **_service("pii", read="scan tags", pii_tag="tag", unmask="untag"),
    **_service("anonymiser", write="anonymise"),
    **_service("retention", read="rules runs", retention="set remove run", write="gc"),
    # quotas and costs (their limit/check/taken are the services' Limits, not operations)
    **_service("quotas", quotas="set", usage="show"),
    **_service("costs", usage="of_workspace"),
}

# called by other services inside an operation that was checked, never by a door
INTERNAL = frozenset(
    {
        "serving.log_prediction",  # inside predict, which was checked
        "serving.slot_metric",  # the health watcher's round, as the platform's own user
        "tables.current",
        "tables.entry",
        "tables.open",
        "quality.connect",
        "quality.gate",
        "quality.history",
        "quality.record",
        "quality.profile_later",
        "lineage.sources",
        "lineage.schema",
        "lineage.tracking_run",
        "tracking.record_run",
        "workspaces.list",  # answers only the workspaces the caller may see
        "secrets.value",  # a service resolving secret://name inside a checked operation
        "masking.masks",  # the lake asking how the caller reads, inside a checked read
        "masking.policies",  # the feature store asking the same, inside a checked read
    }
)

# checked, not audited: a training loop's logging (its run is the record)
QUIET = frozenset({LOG})
# listings that need a manager's permission but change nothing
UNAUDITED = frozenset({"tokens.list", "identities.list_users"})
# reading changes nothing: only denials of these are audited
READS = frozenset({READ, "usage.read", "audit.read", "members.read"})


def permission(operation: str) -> str:
    """The permission ``operation`` needs; an operation not in the policy is refused."""
    try:
        return OPERATIONS[operation]
    except KeyError:
        raise InvalidInputError(
            f"operation {operation!r} is not in the security policy",
            hint="add it to lakeworks.security.policy.OPERATIONS",
            operation=operation,
        ) from None


def audited(operation: str) -> bool:
    """Whether an allowed ``operation`` is written to the audit log (changes are)."""
    needed = OPERATIONS[operation]
    return needed not in READS and needed not in QUIET and operation not in UNAUDITED


def methods(service: str) -> dict[str, str]:
    """The policy of one service: method name -> permission."""
    prefix = f"{service}."
    return {op[len(prefix) :]: p for op, p in OPERATIONS.items() if op.startswith(prefix)}
