"""The dashboard after sign-in, organisations and their accounts, password links, the audit log."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import func
from sqlmodel import Session, select

from app.models import Organisation, Partnership, Role, User
from app.services import accounts, alerts, audit, mail
from app.services import partnerships as partnership_service
from app.services import rounds as round_service
from app.services.errors import Invalid
from app.services.responses import ResponseError
from app.web.access import (
    CurrentUser,
    SessionDep,
    Viewer,
    require_account,
    require_organisation,
    require_role,
)
from app.web.confirm import Confirmation, confirm_page, confirmed
from app.web.forms import AccountForm, OrganisationForm
from app.web.render import flash, render

router = APIRouter()


@router.get("/dashboard")
def dashboard(request: Request, user: CurrentUser, session: SessionDep):
    if user.role == Role.site_admin:
        return render(request, "admin/site_dashboard.html",
                      {"organisations": _organisations(session)})
    partnerships = partnership_service.partnerships_for(session, user)
    rounds = partnership_service.rounds_by_partnership(session, partnerships)
    latest = {p.id: rounds[p.id][0] if rounds[p.id] else None for p in partnerships}
    counts = round_service.counts_by_round(session, [r.id for r in latest.values() if r])
    return render(request, "admin/dashboard.html", {
        "partnerships": partnerships, "latest": latest, "counts": counts,
        "state_of": round_service.state_of,
        "organisation": session.get(Organisation, user.organisation_id),
    })


def _organisations(session: Session) -> list[tuple[Organisation, int, int]]:
    partnerships = dict(session.exec(select(Partnership.organisation_id, func.count())
                                     .group_by(Partnership.organisation_id)).all())
    users = dict(session.exec(select(User.organisation_id, func.count())
                              .group_by(User.organisation_id)).all())
    return [(o, partnerships.get(o.id, 0), users.get(o.id, 0))
            for o in session.exec(select(Organisation).order_by(Organisation.name))]


# A site administrator sees no partnership's data, so never a password link either: whoever
# holds one can set that password and sign in as an organisation's administrator. Their
# links go by email to the account's own address, or not at all (docs/privacy.md).
LINKS_BY_MAIL_ONLY = (
    "MAPS has no mail server set up, so it cannot email the link to set a password, and it "
    "never shows one to a site administrator: whoever holds a link can sign in as that person. "
    "Set up mail (MAPS_SMTP_HOST), or ask whoever runs the MAPS server to run “maps user "
    "password-link EMAIL” there (“maps org create” for a new organisation).")


def _needs_mail(request: Request, user: User | Viewer) -> bool:
    """Whether this user's password links cannot be given: a site admin without mail."""
    return user.role == Role.site_admin and not mail.configured(request.app.state.settings)


@router.get("/organisations/new")
def new_organisation(request: Request, user: CurrentUser):
    require_role(user, Role.site_admin)
    return _new_organisation_page(request, user)


def _new_organisation_page(request: Request, user: User, *, errors=None, form=None,
                           status_code=200):
    return render(request, "admin/new_organisation.html", {
        "errors": errors or {}, "form": form or {}, "needs_mail": _needs_mail(request, user),
        "links_by_mail_only": LINKS_BY_MAIL_ONLY}, status_code=status_code)


@router.post("/organisations")
def create_organisation(request: Request, user: CurrentUser, session: SessionDep,
                        form: Annotated[OrganisationForm, Form()]):
    require_role(user, Role.site_admin)
    try:
        if _needs_mail(request, user):
            raise Invalid({"needs-mail": LINKS_BY_MAIL_ONLY})
        organisation, admin = accounts.create_organisation(
            session, name=form.org_name, admin_name=form.name, admin_email=form.email,
            created_by=user)
    except Invalid as exc:
        return _new_organisation_page(request, user, errors=exc.errors, form=form.values(),
                                      status_code=400)
    return _password_link(request, session, account=admin, issued_by=user,
                          new_account=True, organisation=organisation)


@router.get("/organisations/{organisation_id}")
def organisation(organisation_id: int, request: Request, user: CurrentUser,
                 session: SessionDep):
    organisation = require_organisation(session, user, organisation_id)
    return _organisation_page(request, session, organisation)


def _organisation_page(request, session, organisation, *, errors=None, form=None,
                       status_code=200):
    return render(request, "admin/organisation.html", {
        "organisation": organisation, "users": accounts.users_of(session, organisation),
        "errors": errors or {}, "form": form or {},
        "needs_mail": _needs_mail(request, request.state.viewer),
        "links_by_mail_only": LINKS_BY_MAIL_ONLY,
    }, status_code=status_code)


@router.post("/organisations/{organisation_id}/users")
def create_account(organisation_id: int, request: Request, user: CurrentUser,
                   session: SessionDep, form: Annotated[AccountForm, Form()]):
    organisation = require_organisation(session, user, organisation_id)
    # A site admin adds organisation admins; an organisation admin adds either role.
    role = Role.org_admin if user.role == Role.site_admin else form.role
    try:
        if role not in (Role.org_admin, Role.coordinator):
            raise Invalid({"role": "Select what the person will do in MAPS"})
        if _needs_mail(request, user):
            raise Invalid({"needs-mail": LINKS_BY_MAIL_ONLY})
        account = accounts.create_user(session, organisation=organisation, name=form.name,
                                       email=form.email, role=Role(role), created_by=user)
    except Invalid as exc:
        return _organisation_page(request, session, organisation, errors=exc.errors,
                                  form=form.values(), status_code=400)
    if user.role == Role.site_admin:
        alerts.admin_added(session, request.app.state.settings, organisation=organisation,
                           account=account, added_by=user,
                           base_url=str(request.base_url).rstrip("/"))
    return _password_link(request, session, account=account, issued_by=user, new_account=True,
                          organisation=organisation)


@router.post("/users/{user_id}/password-link")
def issue_password_link(user_id: int, request: Request, user: CurrentUser,
                        session: SessionDep):
    account = require_account(session, user, user_id)
    if _needs_mail(request, user):
        raise ResponseError(409, "MAPS cannot send this link", LINKS_BY_MAIL_ONLY)
    return _password_link(request, session, account=account, issued_by=user,
                          new_account=False,
                          organisation=session.get(Organisation, account.organisation_id))


def _confirm_removal(request: Request, session: Session, account: User):
    organisation = session.get(Organisation, account.organisation_id)
    coordinating = " They will stop coordinating their partnerships." \
        if account.role == "coordinator" else ""
    return confirm_page(request, Confirmation(
        heading=f"Remove {account.name}’s access?", caption=organisation.name,
        body=[f"{account.name} ({account.email}) will be signed out at once, on every device, "
              f"and will no longer be able to sign in.{coordinating}"],
        warning="The audit log keeps what they did. This email address cannot be used for a "
                "new account afterwards.",
        action=f"/users/{account.id}/remove", button="Remove access",
        cancel=f"/organisations/{organisation.id}"))


@router.get("/users/{account_id}/remove")
def remove_account_form(account_id: int, request: Request, user: CurrentUser,
                        session: SessionDep):
    account = require_account(session, user, account_id, removed_too=True)
    return _confirm_removal(request, session, account)


@router.post("/users/{account_id}/remove")
def remove_account(account_id: int, request: Request, user: CurrentUser, session: SessionDep,
                   confirm: Annotated[str, Form()] = ""):
    # Removing an account twice (a double click, two admins) changes nothing the second time.
    account = require_account(session, user, account_id, removed_too=True)
    if not confirmed(confirm):
        return _confirm_removal(request, session, account)
    accounts.remove_user(session, user=account, removed_by=user)
    flash(request, f"{account.name} no longer has access to MAPS.")
    return RedirectResponse(f"/organisations/{account.organisation_id}", status_code=303)


def _password_link(request: Request, session: Session, *, account: User, issued_by: User,
                   new_account: bool, organisation: Organisation):
    """Issue the link, email it when mail is set up, else show it once on this page."""
    settings = request.app.state.settings
    token = accounts.issue_password_link(session, user=account, issued_by=issued_by,
                                         settings=settings)
    link = f"{str(request.base_url).rstrip('/')}/set-password/{token}"
    emailed, mail_error = False, None
    if mail.configured(settings):
        why = ("created a MAPS account for you" if new_account
               else "asked MAPS for a link to reset your password")
        try:
            mail.send(settings, messages=[(account.email, "Set your MAPS password", (
                f"Dear {account.name},\n\n{issued_by.name or issued_by.email} has {why} "
                f"({organisation.name}).\n\nSet your password here (the link works once, for "
                f"{settings.password_link_hours} hours):\n{link}\n"))])
            emailed = True
        except mail.MailError as exc:
            mail_error = str(exc)
    # The link is only ever in this response (and the email): it is shown, never redirected
    # to, and never cached (no page is: app/web/headers.py). Never to a site admin.
    shown = not emailed and issued_by.role != Role.site_admin
    return render(request, "admin/password_link.html", {
        "account": account, "organisation": organisation, "link": link if shown else None,
        "emailed": emailed, "mail_error": mail_error, "new_account": new_account,
        "hours": settings.password_link_hours,
    })


@router.get("/audit")
def audit_log(request: Request, user: CurrentUser, session: SessionDep,
              page: Annotated[int, Query(ge=1, le=1_000_000)] = 1):
    """The log, narrowed by a GET form (so filters work without JavaScript, and a filtered
    page can be bookmarked), a page of events at a time."""
    require_role(user, Role.site_admin, Role.org_admin)
    q = {key: value[:100] for key, value in request.query_params.items()}
    errors, log = {}, None
    try:
        chosen = audit.parse_filter(
            who=q.get("who", ""), what=q.get("what", ""), partnership=q.get("partnership", ""),
            since=(q.get("from-day", ""), q.get("from-month", ""), q.get("from-year", "")),
            until=(q.get("to-day", ""), q.get("to-month", ""), q.get("to-year", "")))
        log = audit.events_for(session, reader=user, page=page, chosen=chosen)
    except Invalid as exc:
        errors = exc.errors
    # The paging links keep the filters.
    kept = urlencode({k: v for k, v in q.items() if k != "page" and v})
    return render(request, "admin/audit.html", {
        "log": log, "actions": audit.ACTIONS, "q": q, "errors": errors,
        "filtered": any(v for k, v in q.items() if k != "page"),
        "page_url": f"/audit?{kept}&page=" if kept else "/audit?page=",
        **audit.filter_choices(session, reader=user),
    }, status_code=400 if errors else 200)
