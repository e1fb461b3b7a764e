"""Roles and the permissions each one holds: one table, each role including the one below.

    viewer      read data, metadata and results
    editor      + write tables, run pipelines, log runs
    maintainer  + register code (pipelines, feature SQL, check expressions), deploy
                  endpoints, move model aliases, manage checks and features
    owner       + members, tokens, quotas, secrets, unmasked personal data, the audit log
    admin       a platform administrator: every permission in every workspace, and the
                platform's own (create workspaces, manage users)

A permission is a name ``area.action``. Other parts declare theirs here, with the lowest
role that holds it; operations name them in ``policy.OPERATIONS``.
"""

from __future__ import annotations

from lakeworks.errors import InvalidInputError

ROLES = ("viewer", "editor", "maintainer", "owner")  # lowest first
ADMIN = "admin"

# each permission and the lowest workspace role that holds it (ADMIN: admins only)
PERMISSIONS: dict[str, str] = {
    "data.read": "viewer",
    "data.write": "editor",
    "pipelines.run": "editor",
    "runs.log": "editor",
    "code.register": "maintainer",
    "checks.manage": "maintainer",
    "features.manage": "maintainer",
    "models.deploy": "maintainer",
    "models.alias": "maintainer",
    "members.manage": "owner",
    "tokens.manage": "owner",
    "quotas.manage": "owner",
    "secrets.manage": "owner",
    "pii.unmask": "owner",
    "audit.read": "owner",
    "audit.verify": ADMIN,
    "usage.read": "viewer",
    "workspaces.create": ADMIN,
    "users.manage": ADMIN,
    "members.read": "viewer",
}

_RANK = {role: rank for rank, role in enumerate(ROLES)}


def check_role(role: str) -> str:
    """``role`` if it is a workspace role, else an InvalidInputError naming the roles."""
    if role not in _RANK:
        raise InvalidInputError(
            f"unknown role {role!r}", hint=f"use one of {', '.join(ROLES)}", role=role
        )
    return role


def holds(role: str | None, permission: str) -> bool:
    """Whether workspace role ``role`` holds ``permission`` (None: no role at all)."""
    lowest = PERMISSIONS[permission]
    return role is not None and lowest in _RANK and _RANK[role] >= _RANK[lowest]


def permissions_of(role: str) -> frozenset[str]:
    """Every permission ``role`` holds (``admin``: all of them)."""
    if role == ADMIN:
        return frozenset(PERMISSIONS)
    return frozenset(p for p in PERMISSIONS if holds(role, p))
