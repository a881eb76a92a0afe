"""The board member's journey through a questionnaire, reached by a personal invite link.

The first browser to start with a link claims it (app/services/responses.py): it keeps the
response's resume code in a cookie, and only a browser presenting that code sees or changes
the response, or the member's copy of their answers. Anyone else holding the link is sent to
the resume page, which says what state the member is in, or offers the ways to carry on
(app/web/carry_on.py has the emailed link)."""

import csv
import io
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from app.clock import UK, uk_time
from app.db import get_session
from app.models import Agency, Level, Respondent, Sector
from app.questionnaires import journey, paging
from app.questionnaires.paging import Page
from app.questionnaires.timing import estimated_minutes
from app.services import alerts, carry_on, confirmation, responses
from app.services import rounds as rounds_service
from app.services.comparison import safe_cell
from app.services.responses import Invitation, ResponseError
from app.web.access import current_user
from app.web.forms import AboutForm, AnswersForm, ResumeForm
from app.web.render import flash, is_htmx, render

router = APIRouter(prefix="/r/{token}")
SessionDep = Annotated[Session, Depends(get_session)]


def invitation(token: str, request: Request, session: SessionDep) -> Invitation:
    return responses.open_invitation(session, token, request.app.state.catalogue)


InvitationDep = Annotated[Invitation, Depends(invitation)]


COOKIE_PREFIX = "maps_resume_"


def cookie_name(respondent: Respondent) -> str:
    # By respondent, not by token: a reissued link still opens in the browser that claimed it.
    return f"{COOKIE_PREFIX}{respondent.id}"


def browser_code(request: Request, inv: Invitation) -> str | None:
    """The resume code this browser holds for the response, if it opens it."""
    code = request.cookies.get(cookie_name(inv.respondent))
    return code if responses.holds_claim(inv.respondent, code) else None


class ClaimNeeded(ResponseError):
    """The link is not this browser's: a page sends it to start or to enter its code."""

    def __init__(self, token: str, claimed: bool):
        self.location = f"/r/{token}/resume" if claimed else f"/r/{token}/welcome"
        if claimed:
            super().__init__(403, "This link is in use in another browser",
                             "Someone has started with this link in another browser. If that "
                             "was you, enter your resume code to carry on here.")
        else:
            super().__init__(403, "Start from your invitation link",
                             "Open your invitation link and choose Start.")


async def claim_needed(request: Request, exc: ClaimNeeded):
    """A page or a form goes to the start or resume page, having changed nothing; an htmx
    save is refused in its status line."""
    if is_htmx(request):
        return render(request, "respond/_autosave.html", {"errors": {"": exc.message}},
                      status_code=exc.status)
    return RedirectResponse(exc.location, status_code=303)


def claimed_invitation(token: str, request: Request, session: SessionDep) -> Invitation:
    """The invitation, for the browser that claimed it only. The lookup is called here, not
    taken as a dependency of its own: every sync dependency is a hand-over to the threadpool
    and back, which under load costs more than the check."""
    inv = invitation(token, request, session)
    if browser_code(request, inv) is None:
        raise ClaimNeeded(token, claimed=inv.respondent.claimed_at is not None)
    return inv


OwnInvitationDep = Annotated[Invitation, Depends(claimed_invitation)]


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def respondent_page(request: Request, template: str, inv: Invitation, context: dict, *,
          status_code: int = 200):
    """A page of the journey: it shows the respondent's answers and resume code, so nothing
    may keep a copy of it."""
    settings = request.app.state.settings
    context = {"inv": inv, "resume_code": browser_code(request, inv),
               "threshold": rounds_service.threshold_of(inv.round,
                                                        settings.min_anonymity_threshold),
               **context}
    response = render(request, template, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def _agencies(session: Session, inv: Invitation) -> list[Agency]:
    return list(session.exec(select(Agency).where(
        Agency.partnership_id == inv.round.partnership_id).order_by(Agency.name)))


# --- Saving one answer as it is chosen (htmx) ------------------------------------------

@router.post("/answer")
def autosave(token: str, request: Request, session: SessionDep, form: AnswersForm):
    """One answer (or comment) saved as soon as it is chosen; htmx swaps in the status, which
    says what the server stored, after it stored it."""
    # The busiest route, so the first declared: FastAPI tries a router's routes in order, and
    # trying each costs. The invitation is found in the route's own thread, not in a
    # dependency's (a hand-over to the threadpool and back less per save).
    inv = claimed_invitation(token, request, session)
    responses.require_editable(inv)
    parsed = responses.parse_answer_form(form, inv.questionnaire)
    progress = responses.progress_once_saved(session, inv, parsed)
    saved = responses.save_answers(session, inv.respondent, parsed)
    if inv.respondent.claim_released_at is not None:  # a sealed answer may have been replaced
        progress = responses.progress(
            responses.answered(responses.answers_of(session, inv.respondent)), inv.questionnaire)
    status_code = 400 if parsed.errors else 200
    if not is_htmx(request):
        return render(request, "error.html", {
            "heading": "Answer saved" if not parsed.errors else "Your answer could not be saved",
            "message": " ".join(parsed.errors.values()) or f"{saved.count} answer(s) saved.",
        }, status_code=status_code)
    return render(request, "respond/_autosave.html", {
        "errors": parsed.errors, "saved": saved.count, "saved_at": clock(saved.at),
        # A radio sends its question's comment box too, usually empty: that is no comment saved.
        "answer_saved": bool(parsed.values), "comment_saved": any(parsed.comments.values()),
        "comment_removed": not parsed.values and not any(parsed.comments.values()),
        "inv": inv,
        "progress": progress,
    }, status_code=status_code)


# --- Claiming the link --------------------------------------------------------------------

@router.get("")
def start(token: str, request: Request, inv: InvitationDep, session: SessionDep,
          started: str = ""):
    """Where the link leads this browser: to claim it, to enter its code, or to the first
    page left to answer (`started`: just claimed, so that page shows the resume code)."""
    if browser_code(request, inv) is None:
        return _redirect(ClaimNeeded(token, inv.respondent.claimed_at is not None).location)
    if inv.respondent.submitted_at is not None:
        return _redirect(f"/r/{token}/done")
    flag = "?started=1" if started else ""
    if inv.respondent.agency_id is None or inv.respondent.level is None:
        return _redirect(f"/r/{token}/about{flag}")
    answered = responses.answered(responses.answers_of(session, inv.respondent))
    first_gap = next((p for p in paging.pages(inv.questionnaire)
                      if any(i.id not in answered for i in p.items)), None)
    if first_gap is None:
        return _redirect(f"/r/{token}/review")
    return _redirect(f"/r/{token}/{first_gap.path}{flag}")


@router.get("/welcome")
def welcome(token: str, request: Request, inv: InvitationDep, session: SessionDep):
    """What the questionnaire is and who sees what, before the link is claimed. A plain
    GET changes nothing, so a mail scanner opening the link claims nothing."""
    if browser_code(request, inv) is not None:
        return _redirect(f"/r/{token}")
    if inv.respondent.claimed_at is not None:
        return _redirect(f"/r/{token}/resume")
    responses.require_editable(inv)
    return respondent_page(request, "respond/welcome.html", inv, {
        "token": token, "asker": responses.who_is_asking(session, round_=inv.round),
        "minutes": estimated_minutes(inv.questionnaire),
        "questions": len(inv.questionnaire.items), "parts": len(inv.questionnaire.sections),
        "closes": uk_time(inv.round.closing_date),
        "invitations": rounds_service.invitations_by_agency(session, inv.round),
        "carry_on_to": inv.respondent.email if carry_on.offered(
            request.app.state.settings, inv.respondent) else None,
    })


def keep_code(response, request: Request, inv: Invitation, code: str):
    seconds = (inv.round.closes_at - datetime.now(UTC)).total_seconds()
    response.set_cookie(cookie_name(inv.respondent), code, path="/r/", httponly=True,
                        samesite="lax", secure=request.app.state.settings.https,
                        max_age=max(int(seconds) + 7 * 86400, 86400))
    return response


@router.post("/start")
def claim(token: str, request: Request, inv: InvitationDep, session: SessionDep):
    if browser_code(request, inv) is not None:
        return _redirect(f"/r/{token}")
    responses.require_editable(inv)
    if inv.respondent.claimed_at is not None:
        return _redirect(f"/r/{token}/resume")
    code = responses.claim(session, inv.respondent)
    flag(request, session, inv)
    return keep_code(_redirect(f"/r/{token}?started=1"), request, inv, code)


def flag(request: Request, session: Session, inv: Invitation) -> None:
    """Flag a claim from a browser that started another invitation of the round, or is signed
    in to MAPS (docs/privacy.md): on the round page, in the audit log, to the admins."""
    user = current_user(request, session)
    codes = {int(name.removeprefix(COOKIE_PREFIX)): value
             for name, value in request.cookies.items()
             if name.startswith(COOKIE_PREFIX) and name.removeprefix(COOKIE_PREFIX).isdigit()}
    flags = responses.flag_claim(session, respondent=inv.respondent, round_=inv.round,
                                 codes=codes, user=user)
    if flags:
        alerts.flagged_claim(session, request.app.state.settings, round_=inv.round,
                             flags=flags, user=user,
                             base_url=str(request.base_url).rstrip("/"))


def resume_page(request, inv, token, *, error=None, code="", email_problem=None,
                status_code=200):
    """A claimed link in another browser: after submitting or closing, what happened (no
    code needed to be told); while answering, the ways to carry on here (`error`: the typed
    code's; `email_problem`: why no link to carry on was emailed)."""
    respondent = inv.respondent
    return respondent_page(request, "respond/resume.html", inv, {
        "token": token, "error": error, "code": code, "email_problem": email_problem,
        "is_open": responses.is_open(inv.round),
        "submitted": uk_time(respondent.submitted_at) if respondent.submitted_at else None,
        "closed": uk_time(inv.round.closing_date),
        "carry_on_to": respondent.email if carry_on.offered(request.app.state.settings,
                                                             respondent) else None,
        "link_minutes": carry_on.LINK_MINUTES,
    }, status_code=status_code)


@router.get("/resume")
def resume(token: str, request: Request, inv: InvitationDep):
    if browser_code(request, inv) is not None:
        return _redirect(f"/r/{token}")
    if inv.respondent.claimed_at is None:
        return _redirect(f"/r/{token}/welcome")
    return resume_page(request, inv, token)


@router.post("/resume")
def resume_with_code(token: str, request: Request, inv: InvitationDep,
                     form: Annotated[ResumeForm, Form()]):
    if inv.respondent.claimed_at is None:
        return _redirect(f"/r/{token}/welcome")
    code = form.code.strip()[:100]
    if not responses.holds_claim(inv.respondent, code):
        error = ("Enter your resume code" if not code else
                 "That is not the resume code of this response. Check it against the code "
                 "you were shown, like 7KQ2-9XMP-4RTW-F2HN")
        return resume_page(request, inv, token, error=error, code=code, status_code=400)
    formatted = responses.format_code(code)
    return keep_code(_redirect(f"/r/{token}"), request, inv, formatted)


# --- Answering ------------------------------------------------------------------------------

def _about_page(request, session, inv, token, errors=None, status_code=200, started=False):
    return respondent_page(request, "respond/about.html", inv, {
        "token": token, "agencies": _agencies(session, inv), "errors": errors or {},
        "sectors": Sector, "levels": Level, "started": started,
    }, status_code=status_code)


@router.get("/about")
def about(token: str, request: Request, inv: OwnInvitationDep, session: SessionDep,
          started: str = ""):
    responses.require_editable(inv)
    return _about_page(request, session, inv, token, started=bool(started))


@router.post("/about")
def save_about(token: str, request: Request, inv: OwnInvitationDep, session: SessionDep,
               form: Annotated[AboutForm, Form()]):
    responses.require_editable(inv)
    errors = responses.confirm_about(session, inv, form.agency, form.level)
    if errors:
        return _about_page(request, session, inv, token, errors, status_code=400)
    return _redirect(f"/r/{token}")


def clock(moment: datetime) -> str:
    """A time as the save status says it, on the UK clock: 14:32."""
    return f"{uk_time(moment):%H:%M}"


def last_saved(moment: datetime | None) -> str:
    """What a page says of the last save when it opens: with the day, if it was not today."""
    if moment is None:
        return ""
    day = uk_time(moment).date()
    on = "" if day == datetime.now(UK).date() else f" on {day:%-d %B}"
    return f"Last saved at {clock(moment)}{on}"


def _section_page(request, session, inv, token, found: tuple[tuple[Page, ...], int], *,
                  posted=None, errors=None, status_code=200, started=False):
    pages, index = found
    page = pages[index]
    answers = responses.answers_of(session, inv.respondent)
    sealed = responses.sealed_items(inv.respondent, answers)
    parts = journey.parts(pages, ())
    return respondent_page(request, "respond/section.html", inv, {
        "token": token, "page": page, "section": page.section,
        "answers": {i: a for i, a in answers.items() if i not in sealed}, "sealed": sealed,
        "posted": posted or {}, "errors": errors or {},
        "number": next(p.number for p in parts if p.section is page.section),
        "count": len(parts), "numbers": journey.question_numbers(pages),
        "previous": pages[index - 1] if index else None,
        "progress": responses.progress(responses.answered(answers), inv.questionnaire),
        "last_saved": last_saved(responses.last_saved(answers)),
        "started": started,
    }, status_code=status_code)


def _find_page(inv: Invitation, section_id: str, number: str) -> tuple[tuple[Page, ...], int]:
    """The questionnaire's pages and the index of the one asked for."""
    pages = paging.pages(inv.questionnaire)
    found = next((i for i, p in enumerate(pages)
                  if p.section.id == section_id and str(p.number) == number), None)
    if found is None:
        section = inv.questionnaire.section(section_id)
        if section is None:
            message = f"This questionnaire has no part called '{section_id[:40]}'."
        else:
            message = (f"The part '{section.title}' has {len(paging.section_pages(section))} "
                       f"page(s), so there is no page '{number[:20]}'.")
        raise ResponseError(404, "Page not found", message)
    return pages, found


# A section's first page keeps the section's address; later pages add their number.
@router.get("/s/{section_id}")
@router.get("/s/{section_id}/{number}")
def section(token: str, section_id: str, request: Request, inv: OwnInvitationDep,
            session: SessionDep, number: str = "1", started: str = ""):
    responses.require_editable(inv)
    return _section_page(request, session, inv, token, _find_page(inv, section_id, number),
                         started=bool(started))


@router.post("/s/{section_id}")
@router.post("/s/{section_id}/{number}")
def save_section(token: str, section_id: str, request: Request, inv: OwnInvitationDep,
                 session: SessionDep, form: AnswersForm, number: str = "1"):
    """The page's form without JavaScript: save what was chosen, then go on."""
    responses.require_editable(inv)
    pages, index = found = _find_page(inv, section_id, number)
    parsed = responses.parse_answer_form(form, inv.questionnaire,
                                         only={i.id for i in pages[index].items})
    # Good answers are saved even when others on the page were wrong, so nothing is lost.
    responses.save_answers(session, inv.respondent, parsed)
    if parsed.errors:
        return _section_page(request, session, inv, token, found, posted=dict(form),
                             errors=parsed.errors, status_code=400)
    if form.get("_action") == "back":
        return _redirect(f"/r/{token}/{pages[index - 1].path if index else 'about'}")
    if index + 1 < len(pages):
        return _redirect(f"/r/{token}/{pages[index + 1].path}")
    return _redirect(f"/r/{token}/review")


def saved_answers(session: Session, inv: Invitation):
    """The rows of every question asked, by part, as the member's own pages show them."""
    answers = responses.answers_of(session, inv.respondent)
    saved = {i: journey.Saved(a.value, a.comment) for i, a in answers.items()}
    sealed = responses.sealed_items(inv.respondent, answers)
    return journey.answer_rows(paging.pages(inv.questionnaire), saved, sealed), answers


@router.get("/review")
def review(token: str, request: Request, inv: OwnInvitationDep, session: SessionDep):
    responses.require_editable(inv)
    parts, answers = saved_answers(session, inv)
    gaps = [(part, row) for part, rows in parts for row in rows if row.unanswered]
    return respondent_page(request, "respond/review.html", inv, {
        "token": token, "parts": parts, "gaps": gaps,
        "sealed": sum(row.sealed for _, rows in parts for row in rows),
        "last_page": parts[-1][1][-1].page,
        "progress": responses.progress(responses.answered(answers), inv.questionnaire),
    })


@router.get("/parts")
def task_list(token: str, request: Request, inv: OwnInvitationDep, session: SessionDep):
    """Every part of the questionnaire in the GOV.UK task-list pattern, with its state."""
    responses.require_editable(inv)
    answered = responses.answered(responses.answers_of(session, inv.respondent))
    return respondent_page(request, "respond/parts.html", inv, {
        "token": token, "parts": journey.parts(paging.pages(inv.questionnaire), answered),
        "about_done": inv.respondent.agency_id is not None and inv.respondent.level is not None,
        "progress": responses.progress(answered, inv.questionnaire),
    })


@router.post("/submit")
def submit(token: str, request: Request, inv: OwnInvitationDep, session: SessionDep):
    if inv.respondent.submitted_at is not None:
        # A double click or a resent form: already done, nothing to change.
        return _redirect(f"/r/{token}/done")
    responses.require_editable(inv)
    responses.submit(session, inv.respondent)
    emailed = confirmation.confirm_submission(session, request.app.state.settings,
                                              invitation=inv)
    if emailed is not None:
        flash(request, f"We have emailed a confirmation to {inv.respondent.email}. It holds "
                       "none of your answers." if emailed else
                       f"MAPS could not email a confirmation to {inv.respondent.email}, but "
                       "your answers are submitted.")
    return _redirect(f"/r/{token}/done")


@router.get("/done")
def done(token: str, request: Request, inv: OwnInvitationDep):
    if inv.respondent.submitted_at is None:
        return _redirect(f"/r/{token}")
    return respondent_page(request, "respond/done.html", inv, {"token": token})


# --- The member's own copy ------------------------------------------------------------------

@router.get("/answers")
def my_answers(token: str, request: Request, inv: OwnInvitationDep, session: SessionDep):
    """Every answer and comment of this response, to print (or save as a PDF), for the
    browser holding the claim while the round is open (once it closes, the link opens
    nothing)."""
    responses.require_round_open(inv)
    parts, _ = saved_answers(session, inv)
    return respondent_page(request, "respond/answers.html", inv, {
        "token": token, "parts": parts,
        "asker": responses.who_is_asking(session, round_=inv.round),
        "sealed": sum(row.sealed for _, rows in parts for row in rows),
    })


@router.get("/answers.csv")
def my_answers_file(token: str, request: Request, inv: OwnInvitationDep, session: SessionDep):
    """The same as a CSV file: part, number, question, answer, comment."""
    responses.require_round_open(inv)
    parts, _ = saved_answers(session, inv)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Part", "Question number", "Question", "Your answer", "Your comment"])
    writer.writerows([safe_cell(part.section.title), row.number, safe_cell(row.item.text),
                      safe_cell(row.shown), safe_cell(row.comment or "")]
                     for part, rows in parts for row in rows)
    response = Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition":
                                 'attachment; filename="my-answers.csv"'})
    response.headers["Cache-Control"] = "no-store"
    return response
