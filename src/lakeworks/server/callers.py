"""Who is asking: the checks every request passes before a service runs, in one place.

FastAPI routes reach them through ``dependencies.get_context``; the online-feature fast
path (``feature_server``), which answers without FastAPI, calls the same
``Callers.context``. Authentication, when it comes, belongs here, so both doors get it.
"""

from __future__ import annotations

from lakeworks.context import Context, check_name
from lakeworks.errors import InvalidInputError
from lakeworks.platform import Platform

USER_HEADER = "X-Lakeworks-User"
USER_MAX = 256


class Callers:
    """The request checks of one app: workspace name and existence, the user header.

    Workspaces seen to exist are remembered (one catalog read per workspace per app, not
    per request). Workspaces are never deleted, so a remembered one never goes stale; a
    route that deletes workspaces must call ``forget``.
    """

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self._known: set[str] = set()

    def context(self, ws: str, user: str) -> Context:
        """The caller ``user`` in workspace ``ws``; a workspace that does not exist is a 404."""
        check_name("workspace", ws)
        if not 1 <= len(user) <= USER_MAX:
            raise InvalidInputError(
                f"invalid request: header.{USER_HEADER}: give 1 to {USER_MAX} characters",
                hint="see /docs for the request schema",
            )
        if ws not in self._known:
            self.platform.catalog.workspace(ws)  # NotFoundError -> 404
            self._known.add(ws)
        return Context(workspace=ws, user=user)

    def forget(self, ws: str) -> None:
        self._known.discard(ws)
