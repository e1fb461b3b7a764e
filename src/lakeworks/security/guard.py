"""The guard: checks each service operation against the policy, and audits it.

The composition root hands every service it builds to ``Guard.protect``, which wraps each
method the policy lists, on that service object, so every caller (a door, or another
service inside an operation) goes through the check. A Context without a principal (the
embedded SDK and CLI: the person at the machine owns the catalog) costs one attribute
test; a principal's roles were resolved with its credential, so the check reads no
database. A denial raises PermissionDeniedError naming the permission and the workspace,
and is audited; an allowed change is audited with its outcome, once (an operation another
audited one runs inside it is checked, not recorded again).

Example:
    >>> from lakeworks.context import Context, Principal
    >>> guard = Guard(audit=None)
    >>> guard.allows(Principal("ana", roles={"sales": "viewer"}), "sales", "data.write")
    False
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from lakeworks.context import Context, Principal
from lakeworks.errors import PermissionDeniedError
from lakeworks.security import policy
from lakeworks.security.roles import ADMIN, PERMISSIONS, holds

if TYPE_CHECKING:
    from lakeworks.security.audit import AuditLog

S = TypeVar("S")
_inside: ContextVar[bool] = ContextVar("lakeworks_audited_operation", default=False)


class Guard:
    """Checks operations of contexts that carry a principal; audits changes and denials."""

    def __init__(self, audit: AuditLog | None) -> None:
        self.audit = audit

    @staticmethod
    def allows(principal: Principal, workspace: str, permission: str) -> bool:
        """Whether ``principal`` holds ``permission`` in ``workspace``."""
        if principal.admin:
            return True
        return PERMISSIONS[permission] != ADMIN and holds(principal.role(workspace), permission)

    def check(self, ctx: Context, operation: str, object: str | None = None) -> None:  # noqa: A002
        """Raise PermissionDeniedError (audited) unless ``ctx`` may run ``operation``."""
        principal = ctx.principal
        if principal is None:
            return
        needed = policy.permission(operation)
        if not self.allows(principal, ctx.workspace, needed):
            self.deny(ctx, operation, needed, object)

    def deny(self, ctx: Context, operation: str, needed: str, object: str | None) -> None:  # noqa: A002
        """Audit the denial, then raise it."""
        self.record(ctx, operation, "denied", object, {"permission": needed})
        role = ctx.principal.role(ctx.workspace) if ctx.principal else None
        raise PermissionDeniedError(
            f"{ctx.user!r} may not {operation} in workspace {ctx.workspace!r}: it needs "
            f"permission {needed!r} (role {role or 'none'})",
            hint="ask an owner of the workspace for a role that holds it",
            permission=needed,
            workspace=ctx.workspace,
            operation=operation,
            user=ctx.user,
        )

    def record(
        self,
        ctx: Context,
        action: str,
        outcome: str,
        object: str | None = None,  # noqa: A002
        details: dict[str, Any] | None = None,
    ) -> None:
        """Append an audit record for ``ctx`` (nothing when the guard has no log)."""
        if self.audit is not None:
            self.audit.record(
                user=ctx.user,
                action=action,
                outcome=outcome,
                workspace=ctx.workspace,
                object=object,
                request_id=ctx.request_id,
                source=ctx.source,
                details=details,
            )

    def protect(self, service_name: str, service: S) -> S:
        """Wrap every method of ``service`` that the policy lists under ``service_name``."""
        for method, needed in policy.methods(service_name).items():
            operation = f"{service_name}.{method}"
            wrapped = self._wrap(operation, needed, getattr(service, method))
            setattr(service, method, wrapped)
        return service

    def _wrap(self, operation: str, needed: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        audited = policy.audited(operation)

        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            ctx = args[0] if args else kwargs.get("ctx")
            principal = ctx.principal if ctx is not None else None
            if principal is None:  # embedded (the catalog's owner), or all workspaces at once
                return fn(*args, **kwargs)
            if not self.allows(principal, ctx.workspace, needed):
                self.deny(ctx, operation, needed, _object(args))
            if not audited or _inside.get():
                return fn(*args, **kwargs)
            return self._run_audited(ctx, operation, fn, args, kwargs)

        return guarded

    def _run_audited(
        self,
        ctx: Context,
        operation: str,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        token = _inside.set(True)
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            self.record(ctx, operation, f"failed:{type(exc).__name__}", _object(args))
            raise
        finally:
            _inside.reset(token)
        self.record(ctx, operation, "ok", _object(args))
        return result


def _object(args: tuple[Any, ...]) -> str | None:
    """What an operation acted on: its first argument after the context, when a name or id."""
    if len(args) > 1 and isinstance(args[1], str | int) and not isinstance(args[1], bool):
        return str(args[1])[:512]
    return None
