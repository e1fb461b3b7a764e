"""Workspace secrets, encrypted at rest; services reveal them through ``secret://name``.

Values are Fernet tokens in the catalog (``security.keys``); no method but ``value``
returns one, and only services call that (the doors list names and dates). A token no
configured key opens raises an error naming the secret: nothing is ever decrypted with
the wrong key.

Example:
    >>> ws.secrets.set("pg_password", "s3cr3t")  # doctest: +SKIP
    >>> url = "postgresql://app:secret://pg_password@db/sales#orders"
    >>> ws.ingest(url, "orders")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import delete, select

from lakeworks.config import Settings
from lakeworks.context import Context, check_name
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.meta.catalog import Catalog, aware, now
from lakeworks.meta.models import WorkspaceRow
from lakeworks.meta.protection import SecretRow
from lakeworks.security.keys import Keyring, keyring

MAX_VALUE = 64 * 1024  # bytes of one secret value
# (ctx, action, outcome, object, details): the guard's audit record
Audit = Callable[[Context, str, str, "str | None", "dict[str, Any] | None"], None]


@dataclass(frozen=True)
class SecretInfo:
    """A secret as the doors show it: never its value."""

    name: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class Rotation:
    """What ``rotate_key`` did: secrets re-encrypted with the newest key."""

    rotated: int
    workspaces: int


class Secrets:
    """The secrets service (``platform.secrets``); a ``SecretResolver`` for other services."""

    def __init__(self, catalog: Catalog, settings: Settings, audit: Audit | None = None) -> None:
        self.catalog = catalog
        self.settings = settings
        self._audit = audit  # guard.record: what changed, never a value

    @cached_property
    def keys(self) -> Keyring:
        return keyring(self.settings)

    def set(self, ctx: Context, name: str, value: str) -> SecretInfo:
        """Create or replace secret ``name`` (encrypted with the newest key)."""
        check_name("secret", name)
        if not isinstance(value, str) or not value:
            raise InvalidInputError(f"secret {name!r} needs a non-empty text value", secret=name)
        if len(value.encode()) > MAX_VALUE:
            raise InvalidInputError(
                f"secret {name!r} is longer than {MAX_VALUE} bytes", secret=name, limit=MAX_VALUE
            )
        token, when = self.keys.encrypt(value), now()
        with self.catalog.session() as s:
            ws_id = workspace_id(s, ctx.workspace)
            row = s.scalar(_row(ws_id, name))
            action = "secret.replaced" if row is not None else "secret.created"
            if row is None:
                row = SecretRow(workspace_id=ws_id, name=name, created_at=when)
                row.created_by = ctx.user
                s.add(row)
            row.ciphertext, row.updated_at, row.updated_by = token, when, ctx.user
            s.flush()
            info = _info(row)
        self._record(ctx, action, name)
        return info

    def list(self, ctx: Context) -> list[SecretInfo]:
        with self.catalog.session() as s:
            ws_id = workspace_id(s, ctx.workspace)
            query = select(SecretRow).where(SecretRow.workspace_id == ws_id)
            return [_info(r) for r in s.scalars(query.order_by(SecretRow.name))]

    def delete(self, ctx: Context, name: str) -> None:
        with self.catalog.session() as s:
            ws_id = workspace_id(s, ctx.workspace)
            gone = s.execute(
                delete(SecretRow).where(SecretRow.workspace_id == ws_id, SecretRow.name == name)
            ).rowcount
        if not gone:
            raise _missing(ctx, name)
        self._record(ctx, "secret.deleted", name)

    def value(self, ctx: Context, name: str) -> str:
        """The value of secret ``name``: for services resolving ``secret://name`` only."""
        with self.catalog.session() as s:
            row = s.scalar(_row(workspace_id(s, ctx.workspace), name))
            token = row.ciphertext if row is not None else None
        if token is None:
            raise _missing(ctx, name)
        value = self.keys.decrypt(token)
        if value is None:
            raise _undecryptable(ctx.workspace, name)
        return value

    def rotate_key(self, ctx: Context) -> Rotation:
        """Re-encrypt every secret of every workspace with the newest key, in one
        transaction: a secret no configured key opens stops it and changes nothing.
        ``ctx`` is who asked (a platform administrator when checked)."""
        with self.catalog.session() as s:
            rows = s.execute(
                select(SecretRow, WorkspaceRow.name).join(
                    WorkspaceRow, WorkspaceRow.id == SecretRow.workspace_id
                )
            ).all()
            for row, workspace in rows:
                token = self.keys.rotate(row.ciphertext)
                if token is None:
                    raise _undecryptable(workspace, row.name)
                row.ciphertext = token
            done = Rotation(len(rows), len({w for _, w in rows}))
        self._record(ctx, "secrets.key_rotated", None, rotated=done.rotated)
        return done

    def _record(self, ctx: Context, action: str, name: str | None, **details: Any) -> None:
        if self._audit is not None:
            self._audit(ctx, action, "ok", name, details or None)


def workspace_id(s, workspace: str) -> int:  # noqa: ANN001
    ws_id = s.scalar(select(WorkspaceRow.id).where(WorkspaceRow.name == workspace))
    if ws_id is None:
        raise NotFoundError(f"workspace {workspace!r} does not exist", workspace=workspace)
    return ws_id


def _row(ws_id: int, name: str):  # noqa: ANN202
    return select(SecretRow).where(SecretRow.workspace_id == ws_id, SecretRow.name == name)


def _info(row: SecretRow) -> SecretInfo:
    return SecretInfo(
        row.name, aware(row.created_at), row.created_by, aware(row.updated_at), row.updated_by
    )


def _missing(ctx: Context, name: str) -> NotFoundError:
    return NotFoundError(
        f"secret {name!r} does not exist in workspace {ctx.workspace!r}",
        hint=f"create it with: lakeworks -w {ctx.workspace} secrets set {name}",
        secret=name,
        workspace=ctx.workspace,
    )


def _undecryptable(workspace: str, name: str) -> InvalidInputError:
    return InvalidInputError(
        f"secret {name!r} of workspace {workspace!r} cannot be decrypted with the configured "
        "secrets key (wrong key, or the key it was stored with was removed)",
        hint="set LAKEWORKS_SECRETS_KEY to the new key followed by the old one(s), "
        "comma-separated, then run lakeworks secrets rotate-key",
        secret=name,
        workspace=workspace,
    )
