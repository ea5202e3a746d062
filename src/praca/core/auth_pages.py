"""Staff sign-in, sign-out and personal API tokens (pages under /staff)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from praca.core import auth
from praca.core.auth import AnyStaff
from praca.core.db import DbSession
from praca.core.i18n import _
from praca.core.security import csrf_protect, rate_limit
from praca.core.web import render

router = APIRouter(prefix="/staff", include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: a login link must not bounce staff to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/staff"


@router.get("")
def staff_home(user: AnyStaff) -> Response:
    """Each role starts where its work is."""
    if user.role in ("dpo", "admin"):
        return RedirectResponse("/staff/dashboard", status_code=303)
    return RedirectResponse({"liaison": "/staff/cases", "steward": "/staff/data"}.get(user.role, "/staff/devices"), 303)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "staff/login.html", {"next": _safe_next(next)})


@router.post("/login", dependencies=[Depends(csrf_protect), Depends(rate_limit("login"))])
def login(request: Request, session: DbSession, email: Annotated[str, Form(max_length=320)],
          password: Annotated[str, Form(max_length=200)], next: Annotated[str, Form()] = "/staff") -> Response:
    user = auth.authenticate(session, email, password)
    if user is None:
        session.commit()  # keeps the audit entry of the failed attempt
        return render(request, "staff/login.html",
                      {"next": _safe_next(next), "email": email,
                       "error": _("Wrong e-mail or password.")}, status_code=401)
    settings = request.app.state.settings
    token = auth.start_session(session, user, settings.session_hours)
    session.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(auth.SESSION_COOKIE, token, httponly=True, samesite="lax", secure=settings.secure_cookies,
                        max_age=settings.session_hours * 3600, path="/")
    return response


@router.post("/logout", dependencies=[Depends(csrf_protect)])
def logout(request: Request, session: DbSession) -> Response:
    token = request.cookies.get(auth.SESSION_COOKIE)
    if token:
        auth.end_session(session, token)
        session.commit()
    response = RedirectResponse("/staff/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


@router.get("/tokens")
def tokens(request: Request, user: AnyStaff, session: DbSession) -> Response:
    return render(request, "staff/tokens.html", {"user": user, "tokens": auth.list_api_tokens(session, user)})


@router.post("/tokens", dependencies=[Depends(csrf_protect)])
def new_token(request: Request, user: AnyStaff, session: DbSession,
              name: Annotated[str, Form(min_length=1, max_length=100)]) -> Response:
    token = auth.issue_api_token(session, user, name)
    session.commit()
    return render(request, "staff/tokens.html",
                  {"user": user, "tokens": auth.list_api_tokens(session, user), "new_token": token})


@router.post("/tokens/{token_id}/revoke", dependencies=[Depends(csrf_protect)])
def revoke_token(user: AnyStaff, session: DbSession, token_id: int) -> Response:
    auth.revoke_api_token(session, user, token_id)
    session.commit()
    return RedirectResponse("/staff/tokens", status_code=303)
