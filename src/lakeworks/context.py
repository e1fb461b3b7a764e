"""Who is asking, in which workspace. Every service call takes a Context first.

A Context from an embedded door (SDK, CLI without a server) has no ``principal``: the
person at the machine owns their local catalog and is never checked. A Context made by
the server from a credential carries the authenticated ``Principal``, and the security
guard checks each service operation against its roles (``lakeworks.security.guard``).
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lakeworks.errors import InvalidInputError

_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True, eq=False)
class Principal:
    """An authenticated caller, resolved from a credential when the request began.

    ``roles`` maps each workspace to the caller's role there (grants to the user and to
    its groups, narrowed by the token's scope); ``admin`` is a platform administrator.
    A role changed after the credential was resolved applies from the next request.
    """

    name: str
    kind: str = "user"  # user | service
    groups: tuple[str, ...] = ()
    roles: Mapping[str, str] = field(default_factory=dict)
    admin: bool = False
    via: str = "token"  # token | oidc | open (auth off: the stated user, trusted)
    token: int | None = None  # the id of the API token it was resolved from

    def role(self, workspace: str) -> str | None:
        return self.roles.get(workspace)

    def data(self, workspace: str) -> dict[str, Any]:
        """This principal as plain JSON data, its roles narrowed to ``workspace``: what a
        pipeline run carries to its tasks (in a thread, a process or on a Dask worker)."""
        role = self.role(workspace)
        return {
            "name": self.name,
            "kind": self.kind,
            "groups": list(self.groups),
            "roles": {workspace: role} if role else {},
            "admin": self.admin,
            "via": self.via,
            "token": self.token,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Principal:
        """The principal ``data`` describes (the inverse of ``data``)."""
        return cls(
            data["name"],
            data.get("kind", "user"),
            tuple(data.get("groups", ())),
            dict(data.get("roles", {})),
            bool(data.get("admin", False)),
            data.get("via", "token"),
            data.get("token"),
        )


@dataclass(frozen=True)
class Context:
    """The caller of a service: a user name and the workspace they act in.

    ``principal``: the authenticated caller (None in embedded mode: never checked);
    ``request_id`` and ``source`` (client address) are recorded in the audit log.
    """

    workspace: str
    user: str
    principal: Principal | None = field(default=None, compare=False)
    request_id: str | None = field(default=None, compare=False)
    source: str | None = field(default=None, compare=False)

    @classmethod
    def local(cls, workspace: str = "default", user: str | None = None) -> Context:
        """A context for the person at this machine (their OS login unless named)."""
        return cls(workspace=workspace, user=user or _os_user())


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "local"


def check_name(kind: str, name: str) -> str:
    """Validate a workspace or table name: lower-case letters, digits and underscores.

    Names become folder names and SQL identifiers, so they are kept simple.
    """
    if not name or not (name[0].isalpha() or name[0] == "_") or set(name) - _NAME_CHARS:
        raise InvalidInputError(
            f"invalid {kind} name {name!r}",
            hint="use lower-case letters, digits and underscores, starting with a letter",
            kind=kind,
            name=name,
        )
    if len(name) > 128:
        raise InvalidInputError(f"{kind} name {name!r} is longer than 128 characters")
    return name
