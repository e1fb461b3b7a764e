"""API tokens: created once and shown once, stored only as the SHA-256 of the secret.

A token belongs to a user. Scoped to a workspace, it carries a role there (the token is
the grant: revoking it takes the role away) and reaches no other workspace; unscoped, it
carries its user's grants, and the admin flag of an administrator. Tokens expire
(``expires``), are revoked, and record when they were last used (to within a minute).

Example:
    >>> from lakeworks.meta.catalog import Catalog, aware
    >>> from lakeworks.meta.engine import make_engine, upgrade
    >>> engine = make_engine("sqlite:///:memory:"); _ = upgrade(engine)
    >>> catalog = Catalog(engine); _ = catalog.create_workspace("sales", "me")
    >>> tokens = Tokens(catalog, Identities(catalog))
    >>> made = tokens.create(Context("sales", "me"), "ana", role="viewer", expires="30d")
    >>> made.secret.startswith("lw_"), made.token.role
    (True, 'viewer')
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from lakeworks.meta.catalog import Catalog, aware
from lakeworks.meta.security_models import TokenRow
from lakeworks.security.identities import Identities, check_principal_name
from lakeworks.security.roles import check_role

PREFIX = "lw_"
_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed: never its secret."""

    id: int
    prefix: str
    user: str
    workspace: str | None
    role: str | None
    description: str | None
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class NewToken:
    """A token just created; ``secret`` is shown this once and stored nowhere."""

    secret: str
    token: TokenInfo


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``2w``, ``45s`` as a timedelta."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise InvalidInputError(
            f"invalid duration {text!r}", hint="write a number and a unit: 30d, 12h, 90m, 2w"
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class Tokens:
    """Creates, lists and revokes the API tokens of one catalog."""

    def __init__(self, catalog: Catalog, identities: Identities) -> None:
        self.catalog = catalog
        self.identities = identities

    def create(
        self,
        ctx: Context,
        user: str,
        *,
        role: str | None = None,
        expires: str | None = "90d",
        description: str | None = None,
        scoped: bool = True,
    ) -> NewToken:
        """A token for ``user`` in the context's workspace with ``role`` (None: the user's
        own grants there); ``scoped=False`` makes a token for every workspace the user
        has a role in (and the admin flag), which only an administrator may make."""
        self._check(ctx, user, role, scoped)
        secret = PREFIX + secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        row = TokenRow(
            digest=digest(secret),
            prefix=secret[:10],
            user=user,
            workspace=ctx.workspace if scoped else None,
            role=role if scoped else None,
            description=description,
            created_at=now,
            created_by=ctx.user,
            expires_at=now + duration(expires) if expires else None,
        )
        with self.catalog.session() as session:
            session.add(row)
            session.flush()
            info = _info(row)
        return NewToken(secret, info)

    def _check(self, ctx: Context, user: str, role: str | None, scoped: bool) -> None:
        check_principal_name(user)
        if not scoped and ctx.principal is not None and not ctx.principal.admin:
            raise PermissionDeniedError(
                f"{ctx.user!r} may not create a token for every workspace",
                hint="create a token scoped to one workspace, or ask an administrator",
                permission="users.manage",
                workspace=ctx.workspace,
            )
        if role is not None:
            check_role(role)
        if scoped:
            self.catalog.workspace(ctx.workspace)  # NotFoundError names it

    def list(self, ctx: Context, all_workspaces: bool = False) -> list[TokenInfo]:
        """The tokens of the context's workspace (``all_workspaces``: every token)."""
        query = select(TokenRow).order_by(TokenRow.id)
        if not all_workspaces:
            query = query.where(TokenRow.workspace == ctx.workspace)
        with self.catalog.session() as session:
            return [_info(row) for row in session.scalars(query)]

    def revoke(self, ctx: Context, token_id: int) -> TokenInfo:
        """Revoke a token of the context's workspace: refused (401) from the next request."""
        with self.catalog.session() as session:
            row = session.get(TokenRow, token_id)
            if row is None or (row.workspace not in (None, ctx.workspace)):
                raise NotFoundError(
                    f"token {token_id} does not exist in workspace {ctx.workspace!r}",
                    token=token_id,
                    workspace=ctx.workspace,
                )
            if row.workspace is None and ctx.principal is not None and not ctx.principal.admin:
                raise NotFoundError(f"token {token_id} is not a token of {ctx.workspace!r}")
            row.revoked_at = row.revoked_at or datetime.now(UTC)
            info = _info(row)
        self.identities.changed()
        return info

    def find(self, secret: str) -> TokenInfo | None:
        """The token whose secret is ``secret`` (None when there is none)."""
        with self.catalog.session() as session:
            row = session.scalar(select(TokenRow).where(TokenRow.digest == digest(secret)))
            return _info(row) if row else None

    def get(self, token_id: int) -> TokenInfo | None:
        """The token ``token_id`` (None when there is none): for a principal stored with
        the id of the token it was resolved from (``security.standing``)."""
        with self.catalog.session() as session:
            row = session.get(TokenRow, token_id)
            return _info(row) if row else None

    def used(self, token_id: int) -> None:
        """Record that the token was used now."""
        with self.catalog.session() as session:
            now = datetime.now(UTC)
            session.execute(
                update(TokenRow).where(TokenRow.id == token_id).values(last_used_at=now)
            )


def _info(row: TokenRow) -> TokenInfo:
    return TokenInfo(
        row.id,
        row.prefix,
        row.user,
        row.workspace,
        row.role,
        row.description,
        aware(row.created_at),
        row.created_by,
        aware(row.expires_at),
        aware(row.revoked_at),
        aware(row.last_used_at),
    )
