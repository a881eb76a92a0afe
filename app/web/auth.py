"""Signing in and out, and setting a password from a one-time link."""

from math import ceil
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from app.clock import uk_time
from app.models import utcnow
from app.services import accounts
from app.services.errors import Invalid
from app.web.access import OptionalUser, SessionDep, sign_in_session, sign_out_session
from app.web.forms import SetPasswordForm, SignInForm
from app.web.render import flash, render

router = APIRouter()


def safe_next(path: str | None) -> str:
    """Only a path on this site, so the sign-in page cannot send anyone elsewhere."""
    path = path or ""
    if (not path.startswith("/") or path.startswith("//") or "\\" in path
            or any(ord(c) < 32 for c in path)):
        return "/dashboard"
    return path


def client_ip(request: Request) -> str:
    # The connection's address; `maps serve` puts a forwarded one here only when the request
    # came through a proxy named in FORWARDED_ALLOW_IPS.
    return request.client.host if request.client else "unknown"


def _sign_in_page(request: Request, *, email: str = "", next_path: str = "",
                  errors: dict | None = None, status_code: int = 200):
    return render(request, "auth/sign_in.html", {
        "email": email, "next": next_path, "errors": errors or {}}, status_code=status_code)


@router.get("/sign-in")
def sign_in_form(request: Request, user: OptionalUser,
                 next_path: Annotated[str, Query(alias="next")] = ""):
    if user is not None:
        return RedirectResponse(safe_next(next_path), status_code=303)
    return _sign_in_page(request, next_path=safe_next(next_path) if next_path else "")


@router.post("/sign-in")
def sign_in(request: Request, session: SessionDep, form: Annotated[SignInForm, Form()]):
    email, password, next_path = form.email.strip(), form.password, form.next
    errors = {}
    if not email:
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"
    if errors:
        return _sign_in_page(request, email=email, next_path=next_path, errors=errors,
                             status_code=400)
    result = accounts.sign_in(session, email=email, password=password, ip=client_ip(request),
                              settings=request.app.state.settings)
    if result.retry_at is not None:
        seconds = max(1, ceil((result.retry_at - utcnow()).total_seconds()))
        response = render(request, "auth/too_many_attempts.html", {
            "retry_at": uk_time(result.retry_at), "minutes": ceil(seconds / 60),
        }, status_code=429)
        response.headers["Retry-After"] = str(seconds)
        return response
    if result.user is None:
        return _sign_in_page(request, email=email, next_path=next_path, status_code=400,
                             errors={"email": "Enter a correct email address and password"})
    sign_in_session(request, session, result.user)
    return RedirectResponse(safe_next(next_path), status_code=303)


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep):
    sign_out_session(request, session)
    flash(request, "You have signed out.")
    return RedirectResponse("/", status_code=303)


def _link_gone(request: Request):
    return render(request, "error.html", {
        "heading": "This link has expired or has already been used",
        "message": "Links to set a password work once, for a limited time.",
        "advice": "Ask your organisation's administrator for a new link.",
    }, status_code=410)


@router.get("/set-password/{token}")
def set_password_form(token: str, request: Request, session: SessionDep):
    opened = accounts.open_password_link(session, token)
    if opened is None:
        return _link_gone(request)
    return render(request, "auth/set_password.html", {"token": token, "account": opened[1],
                                                      "errors": {}})


@router.post("/set-password/{token}")
def set_password(token: str, request: Request, session: SessionDep,
                 form: Annotated[SetPasswordForm, Form()]):
    try:
        user = accounts.set_password_from_link(
            session, token=token, password=form.password, confirm=form.confirm,
            settings=request.app.state.settings)
    except Invalid as exc:
        opened = accounts.open_password_link(session, token)
        return render(request, "auth/set_password.html", {
            "token": token, "account": opened[1] if opened else None, "errors": exc.errors,
        }, status_code=400)
    if user is None:
        return _link_gone(request)
    sign_in_session(request, session, user)
    flash(request, "Your password has been set and you are signed in.")
    return RedirectResponse("/dashboard", status_code=303)
