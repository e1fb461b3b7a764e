"""Who is asking: the checks every request passes before a service runs, in one place.

FastAPI routes reach them through ``dependencies.get_context``; the online-feature fast
path (``feature_server``) and the MLflow routes call the same ``Callers.context``.

With authentication on (``Settings.auth_required``), the caller is the principal its
``Authorization`` header names (an API token or an OIDC JWT; 401 without one) and the
``X-Lakeworks-User`` header is ignored; a caller with no role in the workspace is refused
(403, audited) before the workspace is even looked up, so its existence is not revealed.
With authentication off (a server on loopback), the caller is the user the header names,
unchecked, as in embedded mode.

A browser cannot send a bearer header when it navigates, so the web UI's sign-in page
(``lakeworks.ui.pages.signin``) keeps the caller's API token in the ``lakeworks_token``
cookie (HttpOnly, SameSite=Strict); ``credential`` turns that cookie into the same
``Bearer`` value, which then passes the same checks and the same audit. A header, when
sent, wins over the cookie.
"""

from __future__ import annotations

import uuid

from lakeworks.context import Context, check_name
from lakeworks.errors import InvalidInputError
from lakeworks.platform import Platform
from lakeworks.security.authn import Authenticator

USER_HEADER = "X-Lakeworks-User"
TOKEN_COOKIE = "lakeworks_token"
REQUEST_ID_HEADER = "X-Request-Id"
USER_MAX = 256
REQUEST_ID_MAX = 128


def credential(authorization: str | None, cookie: str | None) -> str | None:
    """The request's credential: its ``Authorization`` header, else the sign-in cookie
    as a bearer token (None: neither).

    Example:
        >>> credential(None, "lw_abc")
        'Bearer lw_abc'
    """
    if authorization is not None or not cookie:
        return authorization
    return f"Bearer {cookie}"


class Callers:
    """The request checks of one app: credential, workspace name, role and existence.

    Workspaces seen to exist are remembered (one catalog read per workspace per app, not
    per request). Workspaces are never deleted, so a remembered one never goes stale; a
    route that deletes workspaces must call ``forget``.
    """

    def __init__(self, platform: Platform, authenticator: Authenticator | None) -> None:
        self.platform = platform
        self.authenticator = authenticator
        self._known: set[str] = set()

    def context(
        self,
        ws: str,
        user: str | None = None,
        authorization: str | None = None,
        request_id: str | None = None,
        source: str | None = None,
        operation: str | None = None,
    ) -> Context:
        """The caller in workspace ``ws``; 401 without a valid credential (auth on), 403
        without a role in ``ws`` or without the permission of ``operation`` (the route's,
        checked before the request does any work), 404 for a workspace that does not
        exist."""
        check_name("workspace", ws)
        ctx = self.caller(ws, user, authorization, request_id, source)
        principal = ctx.principal
        if principal is not None and not principal.admin:
            if principal.role(ws) is None:
                self.platform.guard.deny(ctx, "workspaces.access", "data.read", ws)
            if operation is not None:
                self.platform.guard.check(ctx, operation)
        if ws not in self._known:
            self.platform.catalog.workspace(ws)  # NotFoundError -> 404
            self._known.add(ws)
        return ctx

    def caller(
        self,
        ws: str,
        user: str | None = None,
        authorization: str | None = None,
        request_id: str | None = None,
        source: str | None = None,
    ) -> Context:
        """The caller acting on ``ws``, authenticated but not checked against it (for
        routes that create or list workspaces)."""
        request_id = (request_id or uuid.uuid4().hex)[:REQUEST_ID_MAX]
        if self.authenticator is not None:
            principal = self.authenticator.principal(authorization)
            return Context(ws, principal.name, principal, request_id, source)
        user = "anonymous" if user is None else user
        if not 1 <= len(user) <= USER_MAX:
            raise InvalidInputError(
                f"invalid request: header.{USER_HEADER}: give 1 to {USER_MAX} characters",
                hint="see /docs for the request schema",
            )
        return Context(workspace=ws, user=user, request_id=request_id, source=source)

    def forget(self, ws: str) -> None:
        self._known.discard(ws)
