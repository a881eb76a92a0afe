"""Inviting the board: several people on one page, and the invitation email's wording."""

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData

from app.services import invitations, invite_mail, mail
from app.services import partnerships as partnership_service
from app.services import rounds as service
from app.services.errors import Invalid
from app.web.access import CurrentUser, Do, SessionDep, require_round
from app.web.render import flash, render
from app.web.rounds import _invitation, _links_page, _redirect

router = APIRouter()

FIRST_ROWS = 3
MAX_ROWS = 50
FIELDS = service.PERSON_FIELDS


async def _rows_form(request: Request) -> FormData:
    return await request.form(max_fields=len(FIELDS) * MAX_ROWS + 10)


def _people(form: FormData) -> list[dict[str, str]]:
    """Rows as typed: `name-1`, `email-1`, ... up to the number of rows the page had."""
    try:
        count = min(max(int(str(form.get("rows", FIRST_ROWS))), 1), MAX_ROWS)
    except ValueError:
        count = FIRST_ROWS
    return [{f: str(form.get(f"{f}-{n}", ""))[:400] for f in FIELDS}
            for n in range(1, count + 1)]


def _people_page(request, session, round_, partnership, *, people, errors=None,
                 status_code=200):
    return render(request, "rounds/people.html", {
        "round": round_, "partnership": partnership, "people": people,
        "agencies": partnership_service.agencies_of(session, partnership),
        "errors": errors or {}, "max_rows": MAX_ROWS,
        "mail": mail.configured(request.app.state.settings),
    }, status_code=status_code)


@router.get("/rounds/{round_id}/invites/new")
def people_form(round_id: int, request: Request, user: CurrentUser, session: SessionDep):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    service.require_open(round_)
    return _people_page(request, session, round_, partnership,
                        people=[{} for _ in range(FIRST_ROWS)])


@router.post("/rounds/{round_id}/invites/new")
def invite_people(round_id: int, request: Request, user: CurrentUser, session: SessionDep,
                  form: Annotated[FormData, Depends(_rows_form)]):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    service.require_open(round_)
    people = _people(form)
    if form.get("action") == "add":  # "Add another board member", which works without script
        if len(people) < MAX_ROWS:
            people.append({})
        return _people_page(request, session, round_, partnership, people=people)
    agencies = partnership_service.agencies_of(session, partnership)
    try:
        invites = service.check_invites(session, round_=round_, agencies=agencies,
                                        people=people)
    except Invalid as exc:
        return _people_page(request, session, round_, partnership, people=people,
                            errors=exc.errors, status_code=400)
    links = service.add_invites(session, round_=round_, partnership=partnership,
                                invites=invites, added_by=user)
    count = len(links)
    return _links_page(request, session, user, round_, partnership, links, agencies,
                       heading=f"{count} board member{'s have' if count != 1 else ' has'} "
                               "been invited")


# --- The invitation's wording ----------------------------------------------------------------

def _wording_page(request, session, user, round_, partnership, *, form, errors=None,
                  preview=None, status_code=200):
    return render(request, "rounds/invitation.html", {
        "round": round_, "partnership": partnership, "form": form, "errors": errors or {},
        "preview": preview, "placeholders": invitations.PLACEHOLDERS,
        "mail": mail.configured(request.app.state.settings),
    }, status_code=status_code)


def _sample(request, session, user, round_, partnership, *, subject, message):
    """The email as the first board member on the list would get it (or a made-up one)."""
    invitation = _invitation(request, session, user, round_, partnership)
    agencies = partnership_service.agencies_of(session, partnership)
    first = next(iter(service.invites_of(session, round_, agencies)), None)
    name = first.respondent.name if first else "Alex Example"
    agency = first.agency if first else (agencies[0].name if agencies else "")
    return invitations.compose(
        replace(invitation, subject=subject, message=message),
        name=name, agency=agency, link=f"{str(request.base_url).rstrip('/')}/r/(their own link)")


@router.get("/rounds/{round_id}/invitation")
def wording_form(round_id: int, request: Request, user: CurrentUser, session: SessionDep):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    subject = round_.invitation_subject or invitations.DEFAULT_SUBJECT
    message = round_.invitation_message or invitations.DEFAULT_MESSAGE
    return _wording_page(request, session, user, round_, partnership,
                         form={"subject": subject, "message": message},
                         preview=_sample(request, session, user, round_, partnership,
                                         subject=subject, message=message))


@router.post("/rounds/{round_id}/invitation")
def save_wording(round_id: int, request: Request, user: CurrentUser, session: SessionDep,
                 form: Annotated[FormData, Depends(_rows_form)]):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    service.require_open(round_)
    typed = {"subject": str(form.get("subject", "")), "message": str(form.get("message", ""))}
    if form.get("action") == "reset":
        typed = {"subject": invitations.DEFAULT_SUBJECT, "message": invitations.DEFAULT_MESSAGE}
    try:
        subject, message = invitations.check_wording(**typed)
    except Invalid as exc:
        return _wording_page(request, session, user, round_, partnership, form=typed,
                             errors=exc.errors, status_code=400)
    if form.get("action") == "preview":
        return _wording_page(request, session, user, round_, partnership, form=typed,
                             preview=_sample(request, session, user, round_, partnership,
                                             subject=subject, message=message))
    invite_mail.save_wording(session, round_=round_, partnership=partnership, subject=subject,
                             message=message, saved_by=user)
    flash(request, "The invitation’s wording is saved: invitations from now on use it.")
    return _redirect(f"/rounds/{round_id}/invitation")
