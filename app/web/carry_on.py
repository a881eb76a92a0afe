"""Carrying on in another browser from an emailed link (app/services/carry_on.py): asked for
on the resume page, used from the member's mailbox. Opening the link changes nothing, since a
mail scanner may open it; its button moves the claim to the browser that presses it."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from app.clock import uk_time
from app.services import carry_on, responses
from app.web.render import flash
from app.web.respond import (
    InvitationDep,
    SessionDep,
    browser_code,
    flag,
    keep_code,
    respondent_page,
    resume_page,
)

router = APIRouter(prefix="/r/{token}")


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.post("/resume/email")
def email_link(token: str, request: Request, inv: InvitationDep, session: SessionDep):
    settings = request.app.state.settings
    if browser_code(request, inv) is not None or inv.respondent.claimed_at is None:
        return _redirect(f"/r/{token}")
    responses.require_editable(inv)
    if not carry_on.offered(settings, inv.respondent):
        return _redirect(f"/r/{token}/resume")
    base = str(request.base_url).rstrip("/")
    try:
        sent = carry_on.send_link(session, settings, invitation=inv,
                                  link_to=f"{base}/r/{token}/carry-on/")
    except carry_on.TooSoon as exc:
        return resume_page(request, inv, token, status_code=429, email_problem=(
            f"MAPS emailed you a link at {uk_time(exc.sent_at):%H:%M}. It can take a few "
            "minutes to arrive: look in your junk or spam folder too. You can ask for another "
            f"from {uk_time(exc.again_at):%H:%M}."))
    if not sent:
        return resume_page(request, inv, token, status_code=503, email_problem=(
            "MAPS could not send the email just now. Try again in a few minutes, or use "
            "your resume code."))
    flash(request, f"We have emailed a link to {inv.respondent.email}. Open it in this "
                   f"browser within {carry_on.LINK_MINUTES} minutes to carry on "
                   "here.")
    return _redirect(f"/r/{token}/resume")


def _link_page(request, inv, token: str, key: str, state: carry_on.LinkState):
    return respondent_page(request, "respond/carry_on.html", inv, {
        "token": token, "key": key, "state": state,
        "minutes": carry_on.LINK_MINUTES,
    }, status_code=200 if state is carry_on.LinkState.usable else 410)


@router.get("/carry-on/{key}")
def carry_on_page(token: str, key: str, request: Request, inv: InvitationDep):
    responses.require_round_open(inv)
    if browser_code(request, inv) is not None:
        return _redirect(f"/r/{token}")
    return _link_page(request, inv, token, key, carry_on.state_of(inv.respondent, key))


@router.post("/carry-on/{key}")
def carry_on_here(token: str, key: str, request: Request, inv: InvitationDep,
                  session: SessionDep):
    responses.require_round_open(inv)
    code = carry_on.carry_on(session, invitation=inv, key=key[:100])
    if code is None:
        return _link_page(request, inv, token, key, carry_on.state_of(inv.respondent, key))
    # A browser carrying on is checked as one starting would be (docs/privacy.md, rule 9).
    flag(request, session, inv)
    return keep_code(_redirect(f"/r/{token}?started=1"), request, inv, code)
