"""Who is asking, in which workspace. Every service call takes a Context first."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from lakeworks.errors import InvalidInputError

_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True)
class Context:
    """The caller of a service: a user name and the workspace they act in."""

    workspace: str
    user: str

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
