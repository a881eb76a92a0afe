"""Running a round: opening it, inviting the board, links, response rate, reminders, closing."""

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from app.clock import uk_time
from app.models import AssessmentRound, Level, Partnership, RoundStatus, Sector
from app.services import audit, invitations, invite_csv, invite_mail, mail, questionnaires
from app.services import partnerships as partnership_service
from app.services import rounds as service
from app.services.comparison import safe_cell
from app.services.errors import Invalid
from app.services.responses import claim_flags, is_open
from app.web.access import (
    CurrentUser,
    Do,
    SessionDep,
    allowed,
    require_partnership,
    require_respondent,
    require_round,
)
from app.web.confirm import Confirmation, confirm_page, confirmed
from app.web.forms import InviteForm, OpenRoundForm
from app.web.render import flash, render

router = APIRouter()
Confirm = Annotated[str, Form()]


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def _csv_upload(request: Request) -> FormData:
    # One file and the CSRF token: a form of thousands of parts is refused before any work.
    return await request.form(max_files=1, max_fields=5)


async def _posted_links(request: Request) -> FormData:
    return await request.form(max_fields=2 * invite_csv.MAX_ROWS)


def _no_store(response: Response) -> Response:
    # Pages and files holding invite links must not be kept by the browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Opening a round -------------------------------------------------------------------------

def _open_page(request, session, partnership, *, errors=None, form=None, status_code=200):
    settings = request.app.state.settings
    choices = questionnaires.choices(session, organisation_id=partnership.organisation_id,
                                     catalogue=request.app.state.catalogue)
    return render(request, "rounds/open.html", {
        "partnership": partnership, "errors": errors or {},
        "form": form or {"threshold": str(settings.anonymity_threshold)},
        "min_threshold": settings.min_anonymity_threshold, "questionnaires": choices,
        "map_refs": {q.ref for q in choices if service.draws_map(q)},
    }, status_code=status_code)


@router.get("/partnerships/{partnership_id}/rounds/new")
def open_form(partnership_id: int, request: Request, user: CurrentUser, session: SessionDep):
    partnership = require_partnership(session, user, partnership_id, do=Do.run)
    return _open_page(request, session, partnership)


@router.post("/partnerships/{partnership_id}/rounds")
def open_round(partnership_id: int, request: Request, user: CurrentUser, session: SessionDep,
               form: Annotated[OpenRoundForm, Form()]):
    partnership = require_partnership(session, user, partnership_id, do=Do.run)
    try:
        round_ = service.open_round(
            session, partnership=partnership, catalogue=request.app.state.catalogue,
            questionnaire=form.questionnaire, title=form.title, day=form.closes_day,
            month=form.closes_month, year=form.closes_year, threshold=form.threshold,
            min_threshold=request.app.state.settings.min_anonymity_threshold, opened_by=user,
            collaboration=bool(form.collaboration))
    except Invalid as exc:
        return _open_page(request, session, partnership, errors=exc.errors, form=form.values(),
                          status_code=400)
    flash(request, f"{round_.title} is open. Now invite the board.")
    return _redirect(f"/rounds/{round_.id}")


# --- The round page --------------------------------------------------------------------------

def rates_of(request, session, round_: AssessmentRound, agencies):
    """The response rate by agency, withheld as the round's results would withhold it."""
    threshold = service.threshold_of(round_, request.app.state.settings.min_anonymity_threshold)
    return service.response_rate(session, round_, agencies, threshold=threshold)


def _round_page(request, session, user, round_: AssessmentRound, partnership: Partnership, *,
                errors=None, form=None, status_code=200):
    agencies = partnership_service.agencies_of(session, partnership)
    rates, total = rates_of(request, session, round_, agencies)
    questionnaire = questionnaires.round_questionnaire(session, round_=round_,
                                                       catalogue=request.app.state.catalogue)
    part = questionnaires.find_part(session, round_=round_,
                                    catalogue=request.app.state.catalogue)
    threshold = service.threshold_of(round_, request.app.state.settings.min_anonymity_threshold)
    invites = service.invites_of(session, round_, agencies,
                                 catalogue=request.app.state.catalogue)
    return render(request, "rounds/round.html", {
        "round": round_, "partnership": partnership, "agencies": agencies,
        "questionnaire": questionnaire, "state": service.state_of(round_), "part": part,
        "is_open": is_open(round_), "rates": rates, "total": total, "threshold": threshold,
        "invites": invites,
        "map": service.map_outlook(questionnaire.with_part(part), invites, agencies, threshold)
        if round_.status != RoundStatus.closed else None,
        "can_run": allowed(user, Do.run), "levels": list(Level), "sectors": Sector,
        "errors": errors or {}, "form": form or {},
        "mail": mail.configured(request.app.state.settings),
        "failed": invite_mail.failed_invites(session, round_),
        "flags": [(audit.local_time(e.at), audit.describe(e.action, e.detail))
                  for e in claim_flags(session, round_)],
    }, status_code=status_code, block="response_rate")


@router.get("/rounds/{round_id}")
def round_page(round_id: int, request: Request, user: CurrentUser, session: SessionDep):
    round_, partnership = require_round(session, user, round_id)
    return _round_page(request, session, user, round_, partnership)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _invitation(request, session, user, round_, partnership) -> invitations.Invitation:
    return invite_mail.invitation_of(
        session, round_=round_, partnership=partnership, sender=user,
        catalogue=request.app.state.catalogue,
        min_threshold=request.app.state.settings.min_anonymity_threshold)


def _links_page(request, session, user, round_, partnership, links, agencies, *, heading):
    """The new links: emailed when MAPS has a mail server (the page says, per person, whether
    each went), else shown once to copy or download, with wording to paste."""
    settings = request.app.state.settings
    names = {a.id: a.name for a in agencies}
    outcome = None
    if mail.configured(settings):
        outcome = invite_mail.email_invites(
            session, round_=round_, partnership=partnership, links=links, base_url=_base(request),
            sender=user, settings=settings, catalogue=request.app.state.catalogue)
    suggested = None if outcome is not None else invitations.compose(
        _invitation(request, session, user, round_, partnership), name="[their name]",
        agency="[their agency]", link="[their personal link]")
    return _no_store(render(request, "rounds/links.html", {
        "round": round_, "partnership": partnership, "heading": heading, "outcome": outcome,
        "links": [(r, names.get(r.agency_id, ""), token, f"{_base(request)}/r/{token}")
                  for r, token in links],
        "suggested": suggested,
    }))


@router.post("/rounds/{round_id}/invites")
def add_invite(round_id: int, request: Request, user: CurrentUser, session: SessionDep,
               form: Annotated[InviteForm, Form()]):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    service.require_open(round_)
    agencies = partnership_service.agencies_of(session, partnership)
    try:
        new = service.check_invite(session, round_=round_, agencies=agencies, name=form.name,
                                   email=form.email, agency_id=form.agency, level=form.level)
    except Invalid as exc:
        return _round_page(request, session, user, round_, partnership, errors=exc.errors,
                           form=form.values(), status_code=400)
    links = service.add_invites(session, round_=round_, partnership=partnership, invites=[new],
                                added_by=user)
    return _links_page(request, session, user, round_, partnership, links, agencies,
                       heading=f"{new.name} has been invited")


def _upload_page(request, round_, partnership, agencies, *, problems=None, filename="",
                 status_code=200):
    return render(request, "rounds/upload.html", {
        "round": round_, "partnership": partnership, "agencies": agencies,
        "problems": problems or [], "filename": filename, "max_rows": invite_csv.MAX_ROWS,
        "max_mb": invite_csv.MAX_BYTES // 1_000_000,
    }, status_code=status_code)


@router.get("/rounds/{round_id}/invites/upload")
def upload_form(round_id: int, request: Request, user: CurrentUser, session: SessionDep):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    service.require_open(round_)
    agencies = partnership_service.agencies_of(session, partnership)
    return _upload_page(request, round_, partnership, agencies)


@router.post("/rounds/{round_id}/invites/upload")
def upload(round_id: int, request: Request, user: CurrentUser, session: SessionDep,
           form: Annotated[FormData, Depends(_csv_upload)]):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    service.require_open(round_)
    agencies = partnership_service.agencies_of(session, partnership)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        problem = invite_csv.Problem(None, None, "No file was chosen", "Choose a CSV file")
        return _upload_page(request, round_, partnership, agencies, problems=[problem],
                            status_code=400)
    # The threadpool's own read: the upload is already spooled to memory or disk.
    data = upload.file.read(invite_csv.MAX_BYTES + 1)
    result = invite_csv.read(data[:invite_csv.MAX_BYTES], agencies=agencies,
                             already_invited=service.invited_emails(session, round_),
                             too_big=len(data) > invite_csv.MAX_BYTES)
    if result.problems:
        status = 413 if len(data) > invite_csv.MAX_BYTES else 400
        return _upload_page(request, round_, partnership, agencies, problems=result.problems,
                            filename=upload.filename, status_code=status)
    links = service.add_invites(session, round_=round_, partnership=partnership,
                                invites=result.invites, added_by=user, source="csv")
    return _links_page(request, session, user, round_, partnership, links, agencies,
                       heading=f"{len(links)} board members have been invited")


@router.post("/rounds/{round_id}/invite-links.csv")
def download_links(round_id: int, request: Request, user: CurrentUser, session: SessionDep,
                   form: Annotated[FormData, Depends(_posted_links)]):
    """The links just shown, as a file. MAPS keeps no tokens, so the page posts them back;
    only live links to this round are written."""
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    links = service.links_of_round(session, round_, [str(t) for t in form.getlist("token")])
    names = {a.id: a.name for a in partnership_service.agencies_of(session, partnership)}
    closes = uk_time(round_.closing_date).strftime("%-d %B %Y")
    out = io.StringIO()
    writer = csv.writer(out)
    # What a mail merge needs, one row per board member.
    writer.writerow(["name", "email", "agency", "level", "link", "closing_date"])
    for respondent, token in links:
        writer.writerow([safe_cell(respondent.name), safe_cell(respondent.email),
                         safe_cell(names.get(respondent.agency_id, "")), respondent.level or "",
                         f"{_base(request)}/r/{token}", closes])
    return _no_store(Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="round-{round_.id}-invite-links.csv"'}))


# --- One invitation ---------------------------------------------------------------------------

def _who(respondent) -> str:
    return respondent.name or respondent.email or "this board member"


def _one_invitation(session, user, round_id: int, respondent_id: int):
    """The round, partnership and respondent an action on one invitation changes (the
    coordinator's own, while the round is open)."""
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    respondent = require_respondent(session, round_, respondent_id)
    service.require_open(round_)
    return round_, partnership, respondent


def _ask(request, round_, respondent, action: str, **confirmation):
    """The page that asks before `action` on the invitation (docs/frontend.md)."""
    return confirm_page(request, Confirmation(
        caption=round_.title, action=f"/rounds/{round_.id}/invites/{respondent.id}/{action}",
        cancel=f"/rounds/{round_.id}#invites", **confirmation))


@router.post("/rounds/{round_id}/invites/{respondent_id}/reissue")
def reissue(round_id: int, respondent_id: int, request: Request, user: CurrentUser,
            session: SessionDep, confirm: Confirm = ""):
    round_, partnership, respondent = _one_invitation(session, user, round_id, respondent_id)
    if not confirmed(confirm):
        emailed = mail.configured(request.app.state.settings) and respondent.email
        return _ask(request, round_, respondent, "reissue",
                    heading=f"Reissue the link for {_who(respondent)}?",
                    body=["MAPS makes a new link for the same response: answers already "
                          "saved are kept." + (" The new link is emailed to them." if emailed
                                               else " You will see the new link once, to "
                                                    "send to them.")],
                    warning="Their old link stops working at once.",
                    button="Reissue the link")
    token = service.reissue(session, round_=round_, partnership=partnership,
                            respondent=respondent, reissued_by=user)
    agencies = partnership_service.agencies_of(session, partnership)
    return _links_page(request, session, user, round_, partnership, [(respondent, token)],
                       agencies, heading=f"A new link for {_who(respondent)}")


@router.post("/rounds/{round_id}/invites/{respondent_id}/revoke")
def revoke(round_id: int, respondent_id: int, request: Request, user: CurrentUser,
           session: SessionDep, confirm: Confirm = ""):
    round_, partnership, respondent = _one_invitation(session, user, round_id, respondent_id)
    if not confirmed(confirm):
        return _ask(request, round_, respondent, "revoke",
                    heading=f"Withdraw the invitation of {_who(respondent)}?",
                    body=["Their link stops working at once, and they are no longer counted "
                          "as invited. Answers already saved are kept, and are not counted "
                          "unless you restore the invitation with a new link."],
                    button="Withdraw the invitation")
    service.revoke(session, round_=round_, partnership=partnership, respondent=respondent,
                   revoked_by=user)
    flash(request, f"The invitation for {_who(respondent)} has been "
                   "withdrawn. Answers already saved are kept.")
    return _redirect(f"/rounds/{round_.id}#invites")


@router.post("/rounds/{round_id}/invites/{respondent_id}/reopen")
def reopen(round_id: int, respondent_id: int, request: Request, user: CurrentUser,
           session: SessionDep, confirm: Confirm = ""):
    round_, partnership, respondent = _one_invitation(session, user, round_id, respondent_id)
    if not confirmed(confirm):
        return _ask(request, round_, respondent, "reopen",
                    heading=f"Reopen the response of {_who(respondent)}?",
                    body=["Their submitted answers are kept, but no longer count as submitted: "
                          "they can change them and must submit again from their link before "
                          "the round closes."],
                    button="Reopen the response")
    service.reopen(session, round_=round_, partnership=partnership, respondent=respondent,
                   reopened_by=user)
    flash(request, f"The response of {_who(respondent)} has been reopened: "
                   "they can change their answers and submit again from their link.")
    return _redirect(f"/rounds/{round_.id}#invites")


@router.post("/rounds/{round_id}/invites/{respondent_id}/release")
def release(round_id: int, respondent_id: int, request: Request, user: CurrentUser,
            session: SessionDep, confirm: Confirm = ""):
    """Let a board member who lost their browser and code start again in a new browser."""
    round_, partnership, respondent = _one_invitation(session, user, round_id, respondent_id)
    if not confirmed(confirm):
        return _ask(request, round_, respondent, "release",
                    heading=f"Let {_who(respondent)} start again in a new browser?",
                    body=["Use this when they have lost the browser they started in and their "
                          "resume code. Their link stops opening their answers in the old "
                          "browser, and the next browser to choose Start with it carries on.",
                          "The answers they have saved are kept, and count when they submit. "
                          "For their privacy no browser shows those answers again, theirs or "
                          "yours: they see which questions they have answered, and can answer "
                          "any of them again to replace an earlier answer."],
                    warning="Whoever opens their link first from now on carries on in their "
                            "place: make sure only they have it.",
                    button="Let them start again")
    service.release_claim(session, round_=round_, partnership=partnership,
                          respondent=respondent, released_by=user)
    flash(request, f"{_who(respondent)} can start again in a new browser from their link. "
                   "Their saved answers are kept.")
    return _redirect(f"/rounds/{round_.id}#invites")


@router.post("/rounds/{round_id}/invites/resend")
def resend_failed(round_id: int, request: Request, user: CurrentUser, session: SessionDep):
    """Email the invitations that failed again, each with a new link (MAPS keeps no links)."""
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    settings = request.app.state.settings
    if not mail.configured(settings):
        return _redirect(f"/rounds/{round_.id}#invites")
    outcome = invite_mail.resend_failed(
        session, round_=round_, partnership=partnership, base_url=_base(request), sender=user,
        settings=settings, catalogue=request.app.state.catalogue)
    sent = sum(reason is None for reason in outcome.values())
    failed = len(outcome) - sent
    flash(request, f"Invitations sent to {sent} board member{'s' if sent != 1 else ''}."
          + (f" {failed} failed again: see the reasons below." if failed else ""))
    return _redirect(f"/rounds/{round_.id}#invites")


# --- Reminders and closing -------------------------------------------------------------------

def _reminders_page(request, session, round_, partnership, *, error=None, status_code=200):
    agencies = partnership_service.agencies_of(session, partnership)
    waiting = service.not_finished(service.invites_of(
        session, round_, agencies, catalogue=request.app.state.catalogue))
    return render(request, "rounds/reminders.html", {
        "round": round_, "partnership": partnership, "waiting": waiting,
        "failed": invite_mail.failed_reminders(waiting),
        "mail": mail.configured(request.app.state.settings), "is_open": is_open(round_),
        "error": error, "emails": ", ".join(r.respondent.email for r in waiting
                                            if r.respondent.email),
    }, status_code=status_code)


@router.get("/rounds/{round_id}/reminders")
def reminders(round_id: int, request: Request, user: CurrentUser, session: SessionDep):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    return _reminders_page(request, session, round_, partnership)


@router.post("/rounds/{round_id}/reminders")
def send_reminders(round_id: int, request: Request, user: CurrentUser, session: SessionDep,
                   only: Annotated[str, Form()] = ""):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    settings = request.app.state.settings
    if not mail.configured(settings):
        return _reminders_page(request, session, round_, partnership, status_code=409,
                               error="MAPS has no mail server set up, so it cannot send "
                                     "reminders. Copy the addresses into your own email.")
    agencies = partnership_service.agencies_of(session, partnership)
    waiting = service.not_finished(service.invites_of(session, round_, agencies))
    if only == "failed":
        waiting = invite_mail.failed_reminders(waiting)
    outcome = invite_mail.remind(session, round_=round_, partnership=partnership, rows=waiting,
                                 reminded_by=user, settings=settings)
    sent = sum(reason is None for reason in outcome.values())
    if sent < len(outcome):
        return _reminders_page(request, session, round_, partnership, status_code=502, error=(
            f"{len(outcome) - sent} of {len(outcome)} reminders were not sent: the reasons are "
            "beside each name below"))
    flash(request, f"Reminders sent to {sent} board member{'s' if sent != 1 else ''}.")
    return _redirect(f"/rounds/{round_.id}")


def _confirm_close(request, session, round_, partnership):
    agencies = partnership_service.agencies_of(session, partnership)
    _, total = rates_of(request, session, round_, agencies)
    submitted = "withheld" if total.submitted is None else total.submitted
    return confirm_page(request, Confirmation(
        heading=f"Close {round_.title}?", caption=partnership.name,
        body=[f"{submitted} of {total.invited} board members have submitted their answers."],
        warning="When the round closes, its invite links stop working, nobody can change their "
                "answers, and the results are final. This cannot be undone.",
        action=f"/rounds/{round_.id}/close", button="Close the round",
        cancel=f"/rounds/{round_.id}"))


@router.get("/rounds/{round_id}/close")
def close_form(round_id: int, request: Request, user: CurrentUser, session: SessionDep):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    if round_.status == RoundStatus.closed:
        return _redirect(f"/rounds/{round_.id}")
    return _confirm_close(request, session, round_, partnership)


@router.post("/rounds/{round_id}/close")
def close(round_id: int, request: Request, user: CurrentUser, session: SessionDep,
          confirm: Confirm = ""):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    if not confirmed(confirm) and round_.status != RoundStatus.closed:
        return _confirm_close(request, session, round_, partnership)
    service.close_round(session, round_=round_, partnership=partnership, closed_by=user,
                        catalogue=request.app.state.catalogue,
                        min_threshold=request.app.state.settings.min_anonymity_threshold)
    flash(request, f"{round_.title} is closed. Its results are final.")
    return _redirect(f"/rounds/{round_.id}")
