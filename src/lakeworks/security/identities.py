"""Users, service accounts, groups and the grants of roles in workspaces.

A user or service account is a row in ``principals`` (``admin`` marks a platform
administrator); a group is just a name that members belong to (OIDC groups need no row).
A grant gives a user, service account or group one role in one workspace. A principal's
role in a workspace is the highest of its own grant and its groups' grants.

Every change bumps ``generation``, which keys the authenticator's cache, so a grant
revoked in this process applies to the next request at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select

from lakeworks.context import Context, check_name
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.meta.catalog import Catalog, aware
from lakeworks.meta.security_models import GrantRow, GroupMemberRow, PrincipalRow
from lakeworks.security.roles import ROLES, check_role

KINDS = ("user", "service")
GRANTEE_KINDS = ("user", "group")  # a service account is granted as a user
NAME_MAX = 256


@dataclass(frozen=True)
class Identity:
    name: str
    kind: str
    admin: bool
    disabled: bool
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class Grant:
    workspace: str
    grantee: str
    grantee_kind: str
    role: str
    created_at: datetime
    created_by: str


def check_principal_name(name: str) -> str:
    """A user, service account or group name: 1 to 256 printable characters, no spaces."""
    if not 1 <= len(name) <= NAME_MAX or not name.isprintable() or " " in name:
        raise InvalidInputError(
            f"invalid user or group name {name!r}",
            hint=f"use 1 to {NAME_MAX} printable characters without spaces",
            name=name,
        )
    return name


class Identities:
    """The users, groups and grants of one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.generation = 0  # bumped by every change: keys the authenticator's cache

    def changed(self) -> None:
        self.generation += 1

    # users and service accounts ----------------------------------------------------
    def create_user(
        self, ctx: Context, name: str, kind: str = "user", admin: bool = False
    ) -> Identity:
        """Create (or update the kind and admin flag of) a user or service account."""
        check_principal_name(name)
        if kind not in KINDS:
            raise InvalidInputError(f"unknown kind {kind!r}", hint=f"use one of {KINDS}")
        with self.catalog.session() as session:
            row = session.get(PrincipalRow, name)
            if row is None:
                row = PrincipalRow(name=name, disabled=False, created_by=ctx.user)
                row.created_at = datetime.now(UTC)
                session.add(row)
            row.kind, row.admin = kind, admin
            session.flush()
            identity = _identity(row)
        self.changed()
        return identity

    def disable_user(self, ctx: Context, name: str, disabled: bool = True) -> Identity:
        """Disable a user: every token of theirs is refused (401) from the next request."""
        with self.catalog.session() as session:
            row = self._principal(session, name)
            row.disabled = disabled
            identity = _identity(row)
        self.changed()
        return identity

    def list_users(self, ctx: Context) -> list[Identity]:
        with self.catalog.session() as session:
            rows = session.scalars(select(PrincipalRow).order_by(PrincipalRow.name))
            return [_identity(row) for row in rows]

    def identity(self, name: str) -> Identity | None:
        """The user or service account ``name`` (None when it has no row)."""
        with self.catalog.session() as session:
            row = session.get(PrincipalRow, name)
            return _identity(row) if row else None

    def _principal(self, session: object, name: str) -> PrincipalRow:
        row = session.get(PrincipalRow, name)  # type: ignore[attr-defined]
        if row is None:
            raise NotFoundError(
                f"user {name!r} does not exist", hint="lakeworks users create NAME", user=name
            )
        return row

    # groups -----------------------------------------------------------------------
    def add_to_group(self, ctx: Context, group: str, member: str) -> None:
        check_principal_name(group), check_principal_name(member)
        with self.catalog.session() as session:
            if session.get(GroupMemberRow, (group, member)) is None:
                session.add(GroupMemberRow(group_name=group, member=member))
        self.changed()

    def remove_from_group(self, ctx: Context, group: str, member: str) -> None:
        with self.catalog.session() as session:
            session.execute(
                delete(GroupMemberRow).where(
                    GroupMemberRow.group_name == group, GroupMemberRow.member == member
                )
            )
        self.changed()

    def groups_of(self, member: str) -> tuple[str, ...]:
        with self.catalog.session() as session:
            query = select(GroupMemberRow.group_name).where(GroupMemberRow.member == member)
            return tuple(sorted(session.scalars(query)))

    # grants -----------------------------------------------------------------------
    def grant(self, ctx: Context, grantee: str, role: str, kind: str = "user") -> Grant:
        """Give ``grantee`` ``role`` in the context's workspace (replacing its grant)."""
        check_name("workspace", ctx.workspace), check_principal_name(grantee), check_role(role)
        _check_grantee_kind(kind)
        self.catalog.workspace(ctx.workspace)  # NotFoundError for a workspace not created
        with self.catalog.session() as session:
            key = (ctx.workspace, grantee, kind)
            row = session.get(GrantRow, key) or GrantRow(
                workspace=ctx.workspace, grantee=grantee, grantee_kind=kind
            )
            row.role, row.created_at, row.created_by = role, datetime.now(UTC), ctx.user
            session.add(row)
            session.flush()
            granted = _grant(row)
        self.changed()
        return granted

    def revoke(self, ctx: Context, grantee: str, kind: str = "user") -> None:
        """Remove ``grantee``'s grant in the context's workspace (NotFoundError if none)."""
        _check_grantee_kind(kind)
        with self.catalog.session() as session:
            row = session.get(GrantRow, (ctx.workspace, grantee, kind))
            if row is None:
                raise NotFoundError(
                    f"{kind} {grantee!r} has no role in workspace {ctx.workspace!r}",
                    workspace=ctx.workspace,
                    grantee=grantee,
                )
            session.delete(row)
        self.changed()

    def grants(self, ctx: Context) -> list[Grant]:
        """The grants of the context's workspace."""
        query = select(GrantRow).where(GrantRow.workspace == ctx.workspace)
        with self.catalog.session() as session:
            rows = session.scalars(query.order_by(GrantRow.grantee_kind, GrantRow.grantee))
            return [_grant(row) for row in rows]

    def roles_of(self, user: str, groups: Iterable[str]) -> dict[str, str]:
        """Workspace -> the highest role ``user`` holds there, directly or via ``groups``."""
        groups = set(groups) | set(self.groups_of(user))
        query = select(GrantRow).where(
            ((GrantRow.grantee_kind == "user") & (GrantRow.grantee == user))
            | ((GrantRow.grantee_kind == "group") & GrantRow.grantee.in_(groups))
        )
        roles: dict[str, str] = {}
        with self.catalog.session() as session:
            for row in session.scalars(query):
                held = roles.get(row.workspace)
                if held is None or ROLES.index(row.role) > ROLES.index(held):
                    roles[row.workspace] = row.role
        return roles


def _check_grantee_kind(kind: str) -> None:
    if kind not in GRANTEE_KINDS:
        raise InvalidInputError(f"unknown grantee kind {kind!r}", hint=f"use {GRANTEE_KINDS}")


def _identity(row: PrincipalRow) -> Identity:
    created = aware(row.created_at)
    return Identity(row.name, row.kind, row.admin, row.disabled, created, row.created_by)


def _grant(row: GrantRow) -> Grant:
    created = aware(row.created_at)
    return Grant(row.workspace, row.grantee, row.grantee_kind, row.role, created, row.created_by)
