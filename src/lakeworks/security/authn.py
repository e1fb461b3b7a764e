"""Authentication: from an ``Authorization`` header to a Principal, or a 401.

``Bearer lw_...`` is an API token (``tokens``); any other bearer of three dot-separated
parts is an OIDC JWT when an issuer is configured (``oidc``). MLflow's client sends
``MLFLOW_TRACKING_TOKEN`` this way. Basic auth (``MLFLOW_TRACKING_USERNAME``/``PASSWORD``)
is accepted with an API token as the password, the user name being ignored: the token says
who the caller is.

A resolved principal is cached for ``auth_cache_seconds`` under the SHA-256 of the
credential and the identities' ``generation``, so the check of a request costs a dict
lookup; a token revoked or a grant changed in this process misses the cache at once.
Once its time is up, a JWT or token is refused even from the cache. A token's last-used
time is written at most once a minute.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from datetime import UTC, datetime, timedelta

from lakeworks.cache import BoundedCache
from lakeworks.config import Settings
from lakeworks.context import Principal
from lakeworks.errors import UnauthenticatedError
from lakeworks.security.identities import Identities
from lakeworks.security.oidc import OidcVerifier
from lakeworks.security.tokens import PREFIX, TokenInfo, Tokens

_HOW = "send Authorization: Bearer <token>; create one with lakeworks tokens create"


class Authenticator:
    """Resolves credentials to principals for one server."""

    def __init__(self, settings: Settings, identities: Identities, tokens: Tokens) -> None:
        self.settings = settings
        self.identities = identities
        self.tokens = tokens
        self.oidc = OidcVerifier(settings) if settings.oidc_issuer else None
        self._cache: BoundedCache[tuple[Principal, float]] = BoundedCache(10_000)

    def principal(self, authorization: str | None) -> Principal:
        """The caller an ``Authorization`` header value names; UnauthenticatedError else."""
        credential = _credential(authorization)
        key = (hashlib.sha256(credential.encode()).digest(), self.identities.generation)
        found = self._cache.get(key)
        now = time.monotonic()
        if found is not None and found[1] > now:
            return found[0]
        principal, until = self._resolve(credential)
        ttl = min(self.settings.auth_cache_seconds, until - time.time())
        if ttl > 0:
            self._cache.put(key, (principal, now + ttl))
        return principal

    def _resolve(self, credential: str) -> tuple[Principal, float]:
        """The principal and the wall-clock time its credential expires."""
        if credential.startswith(PREFIX):
            return self._token(credential)
        if self.oidc is not None and credential.count(".") == 2:
            claims = self.oidc.verify(credential)
            identity = self.identities.identity(claims.user)
            if identity is not None and identity.disabled:
                raise UnauthenticatedError(f"user {claims.user!r} is disabled", hint=_HOW)
            roles = self.identities.roles_of(claims.user, claims.groups)
            admin = bool(identity and identity.admin)
            principal = Principal(claims.user, "user", claims.groups, roles, admin, via="oidc")
            return principal, claims.expires or float("inf")
        raise UnauthenticatedError("the bearer token is not one this server issued", hint=_HOW)

    def _token(self, secret: str) -> tuple[Principal, float]:
        token = self.tokens.find(secret)
        if token is None:
            raise UnauthenticatedError("unknown API token", hint=_HOW)
        _check_live(token)
        identity = self.identities.identity(token.user)
        if identity is not None and identity.disabled:
            raise UnauthenticatedError(f"user {token.user!r} is disabled", hint=_HOW)
        groups = self.identities.groups_of(token.user)
        if token.workspace is None:
            roles = self.identities.roles_of(token.user, groups)
            admin = bool(identity and identity.admin)
        else:
            held = self.identities.roles_of(token.user, groups).get(token.workspace)
            role = token.role or held
            roles, admin = ({token.workspace: role} if role else {}), False
        if _stale(token.last_used_at):
            self.tokens.used(token.id)
        kind = identity.kind if identity else "user"
        until = token.expires_at.timestamp() if token.expires_at else float("inf")
        principal = Principal(token.user, kind, groups, roles, admin, via="token", token=token.id)
        return principal, until


def _stale(last_used: datetime | None) -> bool:
    """Whether the token's last-used time is worth a write (older than a minute): under
    load every replica re-resolves each token every ``auth_cache_seconds``."""
    return last_used is None or datetime.now(UTC) - last_used > timedelta(seconds=60)


def _check_live(token: TokenInfo) -> None:
    if token.revoked_at is not None:
        raise UnauthenticatedError(
            f"API token {token.prefix}... was revoked at {token.revoked_at:%Y-%m-%d %H:%M}",
            hint=_HOW,
        )
    expires = token.expires_at
    if expires is not None:
        expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
        if expires <= datetime.now(UTC):
            raise UnauthenticatedError(
                f"API token {token.prefix}... expired at {expires:%Y-%m-%d %H:%M} UTC",
                hint=_HOW,
            )


def _credential(authorization: str | None) -> str:
    """The secret of a ``Bearer`` or ``Basic`` (token as password) header value."""
    if not authorization:
        raise UnauthenticatedError("this server requires authentication", hint=_HOW)
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            password = base64.b64decode(value, validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            password = ""
        if password:
            return password
    raise UnauthenticatedError("malformed Authorization header", hint=_HOW)
