"""What every route needs: the app's Platform, the caller's Context, and the path
parameters every router shares, validated at the door (names by the rule of
``lakeworks.context.check_name``, ids within the 64-bit range the catalog stores)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator

from lakeworks.context import Context, check_name
from lakeworks.platform import Platform
from lakeworks.server import access
from lakeworks.server.callers import (
    REQUEST_ID_HEADER,
    TOKEN_COOKIE,
    USER_HEADER,
    USER_MAX,
    Callers,
    credential,
)

# check_name's rule as a pattern: lower-case letters, digits, underscores, no digit first
NAME_PATTERN = r"^[a-z_][a-z0-9_]*$"
NAME_MAX = 128
ID_MAX = 2**63 - 1  # the largest id a 64-bit integer column holds


def name_rule(kind: str, info: Callable[..., Any] = Path, example: str = "orders") -> Any:
    """A name parameter checked at the door by ``check_name`` (so its error says
    ``invalid table name '0'`` and the fix), its rule written into the OpenAPI document."""
    rule = {"pattern": NAME_PATTERN, "minLength": 1, "maxLength": NAME_MAX}
    where = info(description=f"{kind} name", json_schema_extra=rule, examples=[example])
    return Annotated[str, where, AfterValidator(lambda value: check_name(kind, value))]


WorkspaceName = name_rule("workspace", example="default")
TableName = name_rule("table")
PipelineName = name_rule("pipeline", example="daily_orders")
TaskName = name_rule("task", example="extract")
DefinitionName = name_rule("feature definition", example="rider_stats")
RecordId = Annotated[int, Path(description="a record id", ge=1, le=ID_MAX)]
User = Annotated[str, Header(alias=USER_HEADER, min_length=1, max_length=USER_MAX)]


def get_platform(request: Request) -> Platform:
    return request.app.state.platform


def get_callers(request: Request) -> Callers:
    return request.app.state.callers


# documents the bearer scheme in OpenAPI; the header itself is read by Callers (which
# also takes Basic with a token as the password, as MLflow's client may send it)
_BEARER = HTTPBearer(auto_error=False, description="an API token or an OIDC JWT")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]


def request_facts(request: Request) -> dict[str, str | None]:
    """The request's credential (its header, or the UI's sign-in cookie), id, client
    address and the operation its route runs (``access.ROUTES``), as ``Callers`` takes them."""
    client = request.client
    return {
        "authorization": credential(
            request.headers.get("authorization"), request.cookies.get(TOKEN_COOKIE)
        ),
        "request_id": request.headers.get(REQUEST_ID_HEADER),
        "source": client.host if client else None,
        "operation": access.operation(request.scope.get("endpoint")),
    }


def get_context(
    callers: Annotated[Callers, Depends(get_callers)],
    ws: WorkspaceName,
    request: Request,
    _bearer: Bearer,
    user: User = "anonymous",
) -> Context:
    """The caller in workspace ``ws``, through the checks the feature server shares."""
    return callers.context(ws, user, **request_facts(request))


def get_caller(
    callers: Annotated[Callers, Depends(get_callers)],
    request: Request,
    _bearer: Bearer,
    user: User = "anonymous",
) -> Context:
    """The caller of a route outside a workspace (authenticated; a route needing a
    platform permission, such as creating workspaces, is checked here)."""
    facts = request_facts(request)
    operation = facts.pop("operation")
    ctx = callers.caller(callers.platform.settings.workspace, user, **facts)
    if operation is not None:
        callers.platform.guard.check(ctx, operation)
    return ctx


PlatformDep = Annotated[Platform, Depends(get_platform)]
ContextDep = Annotated[Context, Depends(get_context)]
CallerDep = Annotated[Context, Depends(get_caller)]
