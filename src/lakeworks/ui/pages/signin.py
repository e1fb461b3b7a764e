"""``/signin`` and ``/signout``: the web UI under authentication.

A browser cannot send ``Authorization: Bearer`` when it navigates, so the sign-in page
takes an API token, checks it with the server's authenticator (a wrong one is answered
on the page, 401), and keeps it in the ``lakeworks_token`` cookie: HttpOnly (page
scripts never see it), SameSite=Strict (another site's page cannot make the browser send
it) and Secure when the page came over HTTPS. ``Callers`` accepts the cookie exactly like
a bearer token. Signing out deletes it. With authentication off both pages just say so.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lakeworks.errors import UnauthenticatedError
from lakeworks.server.callers import TOKEN_COOKIE, Callers, credential
from lakeworks.server.dependencies import get_callers
from lakeworks.ui.render import templates

router = APIRouter()
Token = Annotated[str, Form(min_length=1, max_length=4096)]
Next = Annotated[str, Form(max_length=2048)]


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this server, never another host."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _form(request: Request, target: str, message: str | None, status: int) -> HTMLResponse:
    callers: Callers = get_callers(request)
    context = {
        "ws": None,
        "workspaces": [],
        "section": None,
        "title": "Sign in",
        "next": safe_next(target),
        "message": message,
        "auth": callers.authenticator is not None,
    }
    return templates.TemplateResponse(request, "signin.html", context, status_code=status)


def visible(request: Request, names: list[str]) -> list[str]:
    """Of the workspaces ``names``, those the request's caller has a role in (all of them
    with authentication off, or for an administrator); UnauthenticatedError (the sign-in
    page, for a navigation) without a valid credential."""
    authenticator = get_callers(request).authenticator
    if authenticator is None:
        return names
    said = credential(request.headers.get("authorization"), request.cookies.get(TOKEN_COOKIE))
    principal = authenticator.principal(said)
    return names if principal.admin else [n for n in names if principal.role(n) is not None]


@router.get("/signin")
def signin_form(request: Request, next: str = "/") -> HTMLResponse:  # noqa: A002
    return _form(request, next, None, 200)


@router.post("/signin")
def signin(request: Request, token: Token, next: Next = "/") -> Response:  # noqa: A002
    """Check ``token`` and keep it in the sign-in cookie; a wrong one is shown the form."""
    authenticator = get_callers(request).authenticator
    if authenticator is None:
        return RedirectResponse(safe_next(next), status_code=303)
    try:
        authenticator.principal(f"Bearer {token.strip()}")
    except UnauthenticatedError as exc:
        return _form(request, next, exc.message, 401)
    answer = RedirectResponse(safe_next(next), status_code=303)
    answer.set_cookie(
        TOKEN_COOKIE,
        token.strip(),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return answer


@router.post("/signout")
def signout() -> Response:
    answer = RedirectResponse("/signin", status_code=303)
    answer.delete_cookie(TOKEN_COOKIE, path="/", httponly=True, samesite="strict")
    return answer
