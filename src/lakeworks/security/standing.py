"""A principal's standing now: what a principal stored earlier may still do.

A pipeline stores the principal of whoever registered it, and its scheduled and event runs
act as it later, maybe months later. Before a run starts, ``narrow`` resolves that
principal again the way its credential would be resolved now (``security.authn``) and
keeps no more than both allow: each role lowered to the one held now (gone where none
is), admin only while still an admin, and nothing for a disabled or deleted user or a
revoked or expired token.

Example:
    >>> from lakeworks.context import Principal
    >>> stored = Principal("mia", roles={"sales": "maintainer"}, token=7)
    >>> narrow(stored, identities, tokens).roles  # doctest: +SKIP
    {'sales': 'editor'}
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lakeworks.context import Principal
from lakeworks.security.roles import ROLES

if TYPE_CHECKING:
    from lakeworks.security.identities import Identities
    from lakeworks.security.tokens import Tokens


def narrow(principal: Principal, identities: Identities, tokens: Tokens) -> Principal:
    """``principal`` with no more than it would be granted if it signed in now."""
    identity = identities.identity(principal.name)
    if identity is not None and identity.disabled:
        return _nothing(principal)
    if principal.token is not None:  # an API token: its scope and role, while it lives
        token = tokens.get(principal.token)
        if token is None or not _live(token.revoked_at, token.expires_at):
            return _nothing(principal)
        held = identities.roles_of(principal.name, ())
        if token.workspace is None:
            now, admin = held, bool(identity and identity.admin)
        else:
            role = token.role or held.get(token.workspace)
            now, admin = ({token.workspace: role} if role else {}), False
    elif identity is None and principal.via != "oidc":  # deleted since
        return _nothing(principal)
    else:  # single sign-on or a local identity: the grants to it and its groups
        now = identities.roles_of(principal.name, principal.groups)
        admin = bool(identity and identity.admin)
    roles = {
        ws: min(role, now[ws], key=ROLES.index) for ws, role in principal.roles.items() if ws in now
    }
    return replace(principal, roles=roles, admin=principal.admin and admin)


def _live(revoked_at: datetime | None, expires_at: datetime | None) -> bool:
    if revoked_at is not None:
        return False
    if expires_at is None:
        return True
    expires = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)
    return expires > datetime.now(UTC)


def _nothing(principal: Principal) -> Principal:
    return replace(principal, roles={}, admin=False)
