"""The policy covers every service operation, and names only declared permissions."""

from __future__ import annotations

import inspect

import pytest

from lakeworks.config import Settings
from lakeworks.platform import Platform
from lakeworks.security import policy
from lakeworks.security.roles import PERMISSIONS, ROLES, holds, permissions_of

SERVICES = (
    "tables",
    "sql",
    "ingest",
    "pipelines",
    "quality",
    "lineage",
    "features",
    "tracking",
    "registry",
    "serving",
    "streams",
    "stream_features",
    "stream_scoring",
    "logged_models",
    "monitoring",
    "hpo",
    "workspaces",
    "identities",
    "tokens",
    "audit",
    "secrets",
    "masking",
    "pii",
    "anonymiser",
    "retention",
    "quotas",
    "costs",
)


def _operations(service: object, name: str) -> set[str]:
    """``name.method`` of each public method whose first parameter is the Context."""
    found = set()
    for method, fn in inspect.getmembers(type(service), inspect.isfunction):
        params = list(inspect.signature(fn).parameters)
        if not method.startswith("_") and params[1:2] == ["ctx"]:
            found.add(f"{name}.{method}")
    return found


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Platform:
    home = tmp_path_factory.mktemp("policy")
    platform = Platform.open(Settings.load(home=home, progress=False))
    yield platform
    platform.close()


@pytest.mark.parametrize("name", SERVICES)
def test_every_operation_of_every_service_is_in_the_policy(platform: Platform, name: str) -> None:
    service = getattr(platform, name)
    missing = _operations(service, name) - set(policy.OPERATIONS) - policy.INTERNAL
    assert not missing, f"add these to lakeworks.security.policy.OPERATIONS: {sorted(missing)}"


@pytest.mark.parametrize("name", SERVICES)
def test_every_listed_operation_exists_and_is_wrapped(platform: Platform, name: str) -> None:
    service = getattr(platform, name)
    for method in policy.methods(name):
        assert method in vars(service), f"{name}.{method} is not wrapped by the guard"
        assert callable(getattr(type(service), method))


def test_every_operation_needs_a_declared_permission() -> None:
    unknown = {op: p for op, p in policy.OPERATIONS.items() if p not in PERMISSIONS}
    assert not unknown


def test_roles_include_the_one_below() -> None:
    held = [permissions_of(role) for role in ROLES]
    assert all(low < high for low, high in zip(held, held[1:], strict=False))
    assert permissions_of("admin") == frozenset(PERMISSIONS)


@pytest.mark.parametrize(
    ("role", "permission", "expected"),
    [
        ("viewer", "data.read", True),
        ("viewer", "data.write", False),
        ("editor", "code.register", False),
        ("maintainer", "code.register", True),
        ("maintainer", "members.manage", False),
        ("owner", "members.manage", True),
        ("owner", "workspaces.create", False),
        (None, "data.read", False),
    ],
)
def test_holds(role: str | None, permission: str, expected: bool) -> None:
    assert holds(role, permission) is expected


def test_an_operation_outside_the_policy_is_refused() -> None:
    from lakeworks.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="not in the security policy"):
        policy.permission("tables.teleport")
