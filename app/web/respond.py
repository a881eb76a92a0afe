"""The board member's journey through a questionnaire, reached by a personal invite link."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, select

from app.db import get_session
from app.models import Agency, Level, Sector
from app.services import responses
from app.services.responses import Invitation, ResponseError
from app.web.forms import AboutForm, AnswersForm
from app.web.render import is_htmx, render

router = APIRouter(prefix="/r/{token}")
SessionDep = Annotated[Session, Depends(get_session)]


def invitation(token: str, request: Request, session: SessionDep) -> Invitation:
    return responses.open_invitation(session, token, request.app.state.catalogue)


InvitationDep = Annotated[Invitation, Depends(invitation)]


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _agencies(session: Session, inv: Invitation) -> list[Agency]:
    return list(session.exec(select(Agency).where(
        Agency.partnership_id == inv.round.partnership_id).order_by(Agency.name)))


@router.get("")
def start(token: str, request: Request, inv: InvitationDep, session: SessionDep):
    if inv.respondent.submitted_at is not None:
        return _redirect(f"/r/{token}/done")
    if inv.respondent.agency_id is None or inv.respondent.level is None:
        return _redirect(f"/r/{token}/about")
    answers = responses.answers_of(session, inv.respondent)
    first_gap = next((s for s in inv.questionnaire.sections
                      if any(i.id not in answers for i in s.items)), None)
    if first_gap is None:
        return _redirect(f"/r/{token}/review")
    return _redirect(f"/r/{token}/s/{first_gap.id}")


def _about_page(request, session, inv, token, errors=None, status_code=200):
    return render(request, "respond/about.html", {
        "token": token, "inv": inv, "agencies": _agencies(session, inv), "errors": errors or {},
        "sectors": Sector, "levels": Level,
    }, status_code=status_code)


@router.get("/about")
def about(token: str, request: Request, inv: InvitationDep, session: SessionDep):
    responses.require_editable(inv)
    return _about_page(request, session, inv, token)


@router.post("/about")
def save_about(token: str, request: Request, inv: InvitationDep, session: SessionDep,
               form: Annotated[AboutForm, Form()]):
    responses.require_editable(inv)
    errors = responses.confirm_about(session, inv, form.agency, form.level)
    if errors:
        return _about_page(request, session, inv, token, errors, status_code=400)
    return _redirect(f"/r/{token}")


def _section_page(request, session, inv, token, section, *, posted=None, errors=None,
                  status_code=200):
    answers = responses.answers_of(session, inv.respondent)
    sections = inv.questionnaire.sections
    index = sections.index(section)
    return render(request, "respond/section.html", {
        "token": token, "inv": inv, "section": section, "answers": answers,
        "posted": posted or {}, "errors": errors or {},
        "number": index + 1, "count": len(sections),
        "previous": sections[index - 1] if index else None,
        "progress": responses.progress(answers, inv.questionnaire),
    }, status_code=status_code)


def _section(inv: Invitation, section_id: str):
    section = inv.questionnaire.section(section_id)
    if section is None:
        raise ResponseError(404, "Page not found",
                            f"This questionnaire has no section called '{section_id}'.")
    return section


@router.get("/s/{section_id}")
def section(token: str, section_id: str, request: Request, inv: InvitationDep,
            session: SessionDep):
    responses.require_editable(inv)
    return _section_page(request, session, inv, token, _section(inv, section_id))


@router.post("/s/{section_id}")
def save_section(token: str, section_id: str, request: Request, inv: InvitationDep,
                 session: SessionDep, form: AnswersForm):
    """The page's form without JavaScript: save what was chosen, then go on."""
    responses.require_editable(inv)
    current = _section(inv, section_id)
    parsed = responses.parse_answer_form(form, inv.questionnaire, section_id)
    # Good answers are saved even when others on the page were wrong, so nothing is lost.
    responses.save_answers(session, inv.respondent, parsed)
    if parsed.errors:
        return _section_page(request, session, inv, token, current, posted=dict(form),
                             errors=parsed.errors, status_code=400)
    sections = inv.questionnaire.sections
    index = sections.index(current)
    if form.get("_action") == "back" and index:
        return _redirect(f"/r/{token}/s/{sections[index - 1].id}")
    if index + 1 < len(sections):
        return _redirect(f"/r/{token}/s/{sections[index + 1].id}")
    return _redirect(f"/r/{token}/review")


@router.post("/answer")
def autosave(token: str, request: Request, inv: InvitationDep, session: SessionDep,
             form: AnswersForm):
    """One answer (or comment) saved as soon as it is chosen; htmx swaps in the status."""
    responses.require_editable(inv)
    parsed = responses.parse_answer_form(form, inv.questionnaire)
    # Read before saving, in the invitation's transaction: after the save the answered items
    # are these and the values just saved, and the commit ends the request's database work.
    answered = responses.answered_items(session, respondent_id=inv.respondent.id)
    saved = responses.save_answers(session, inv.respondent, parsed)
    status_code = 400 if parsed.errors else 200
    if not is_htmx(request):
        return render(request, "error.html", {
            "heading": "Answer saved" if not parsed.errors else "Your answer could not be saved",
            "message": " ".join(parsed.errors.values()) or f"{saved} answer(s) saved.",
        }, status_code=status_code)
    return render(request, "respond/_autosave.html", {
        "errors": parsed.errors, "saved": parsed.values.keys() | parsed.comments.keys(),
        "inv": inv,
        "progress": responses.progress(answered | parsed.values.keys(), inv.questionnaire),
    }, status_code=status_code)


@router.get("/review")
def review(token: str, request: Request, inv: InvitationDep, session: SessionDep):
    responses.require_editable(inv)
    answers = responses.answers_of(session, inv.respondent)
    gaps = [(s, [i for i in s.items if i.id not in answers]) for s in inv.questionnaire.sections]
    return render(request, "respond/review.html", {
        "token": token, "inv": inv, "gaps": [(s, items) for s, items in gaps if items],
        "progress": responses.progress(answers, inv.questionnaire),
    })


@router.post("/submit")
def submit(token: str, request: Request, inv: InvitationDep, session: SessionDep):
    if inv.respondent.submitted_at is not None:
        # A double click or a resent form: already done, nothing to change.
        return _redirect(f"/r/{token}/done")
    responses.require_editable(inv)
    responses.submit(session, inv.respondent)
    return _redirect(f"/r/{token}/done")


@router.get("/done")
def done(token: str, request: Request, inv: InvitationDep):
    if inv.respondent.submitted_at is None:
        return _redirect(f"/r/{token}")
    return render(request, "respond/done.html", {"inv": inv})
