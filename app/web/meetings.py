"""The board's discussion of a closed round: its page (agenda, date, audit trail), the presenter's
screens (one agenda item each, next and previous by keyboard or plain links), the record of
what the board agreed, and the live votes the presenter opens and closes. Every form works
without JavaScript (POST, then 303)."""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import Field

from app.meeting import agenda, agreement
from app.meeting.live_vote import ROUND, TOO_FEW
from app.meeting.screens import QuestionScreen
from app.models import AgendaItem, AssessmentRound, BoardMeeting, Partnership
from app.services import live_votes, meeting_records, meetings
from app.services import partnerships as partnership_service
from app.services.errors import Invalid
from app.services.inputs import parse_whole_number
from app.web.access import (
    CurrentUser,
    Do,
    SessionDep,
    allowed,
    require_agenda_item,
    require_round,
)
from app.web.confirm import Confirmation, confirm_page, confirmed
from app.web.forms import ActionForm, MoveForm, PostedForm
from app.web.render import flash, is_htmx, render

router = APIRouter()


class StartForm(PostedForm):
    held_day: str = Field("", alias="held-on-day")
    held_month: str = Field("", alias="held-on-month")
    held_year: str = Field("", alias="held-on-year")


class QuestionForm(PostedForm):
    question: str = ""


class DropForm(PostedForm):
    confirm: str = ""


class RecordPost(ActionForm):
    """The record form: what the board agreed, and the boxes of an action as the plan's."""

    outcome: str = ""
    better: str = ""
    note: str = ""

    def to_record(self) -> meetings.RecordForm:
        return meetings.RecordForm(
            outcome=self.outcome, better=self.better, note=self.note,
            action={"text": self.text, "owner": self.owner, "lead": self.lead,
                    "target-day": self.target_day, "target-month": self.target_month,
                    "target-year": self.target_year, "measure": self.measure})


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _base(round_: AssessmentRound) -> str:
    return f"/rounds/{round_.id}/board"


def _meeting(session, round_: AssessmentRound) -> BoardMeeting:
    """The round's meeting; 404 until it has been started."""
    meeting = meetings.meeting_of(session, round_=round_)
    if meeting is None:
        raise HTTPException(404, "This round's board discussion has not been started.")
    return meeting


@router.get("/rounds/{round_id}/board")
def meeting_page(round_id: int, request: Request, user: CurrentUser, session: SessionDep):
    round_, partnership = require_round(session, user, round_id)
    return _meeting_page(request, session, user, round_, partnership)


def _meeting_page(request: Request, session, user, round_: AssessmentRound,
                  partnership: Partnership, *, status_code: int = 200, **extra):
    found = meetings.evidence(session, round_=round_, catalogue=request.app.state.catalogue)
    meeting = meetings.meeting_of(session, round_=round_)
    items = meetings.items_of(session, meeting=meeting) if meeting else []
    context = {
        "round": round_, "partnership": partnership, "meeting": meeting,
        "rows": [(item, found.screen(item)) for item in items],
        "questions": [i for i in found.questionnaire.items if i.agency is None],
        "outcomes": agenda.OUTCOMES, "trail": meetings.trail(session, round_=round_),
        "can_run": allowed(user, Do.run), "nothing": found.scores.result.partnership.suppressed,
        "errors": {}, "form": {},
    }
    context.update(extra)
    return render(request, "meeting/meeting.html", context, status_code=status_code)


@router.post("/rounds/{round_id}/board")
def start_meeting(round_id: int, request: Request, user: CurrentUser, session: SessionDep,
                  form: Annotated[StartForm, Form()]):
    """Start the board discussion, or change the date of its meeting."""
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    try:
        _, new = meetings.start(session, round_=round_, partnership=partnership,
                                day=form.held_day, month=form.held_month, year=form.held_year,
                                started_by=user, catalogue=request.app.state.catalogue)
    except Invalid as exc:
        return _meeting_page(request, session, user, round_, partnership, errors=exc.errors,
                             form=form.values(), status_code=400)
    flash(request, "The board discussion has been started with the agenda MAPS suggests."
          if new else "The date of the meeting has been changed.")
    return _redirect(_base(round_))


@router.post("/rounds/{round_id}/board/items")
def add_question(round_id: int, request: Request, user: CurrentUser, session: SessionDep,
                 form: Annotated[QuestionForm, Form()]):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    meeting = _meeting(session, round_)
    found = meetings.evidence(session, round_=round_, catalogue=request.app.state.catalogue)
    try:
        item = meetings.add_question(session, meeting=meeting, item_id=form.question,
                                     questionnaire=found.questionnaire, round_=round_,
                                     partnership=partnership, user=user)
    except Invalid as exc:
        return _meeting_page(request, session, user, round_, partnership, errors=exc.errors,
                             status_code=400)
    flash(request, "The question is on the agenda.")
    return _redirect(f"{_base(round_)}#agenda-{item.id}")


@router.post("/rounds/{round_id}/board/items/{agenda_id}/move")
def move_item(round_id: int, agenda_id: int, user: CurrentUser, session: SessionDep,
              form: Annotated[MoveForm, Form()]):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    meeting = _meeting(session, round_)
    item = require_agenda_item(session, meeting, agenda_id)
    if form.direction in ("up", "down"):
        meetings.move(session, meeting=meeting, item=item, up=form.direction == "up",
                      round_=round_, partnership=partnership, user=user)
    return _redirect(f"{_base(round_)}#agenda-{item.id}")


@router.post("/rounds/{round_id}/board/items/{agenda_id}/drop")
def drop_item(round_id: int, agenda_id: int, request: Request, user: CurrentUser,
              session: SessionDep, form: Annotated[DropForm, Form()]):
    """Take an item off the agenda; one with a record asks first, as that record goes too."""
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    item = require_agenda_item(session, _meeting(session, round_), agenda_id)
    if item.outcome and not confirmed(form.confirm):
        title = _screen(request, session, round_, item).title
        return confirm_page(request, Confirmation(
            heading="Take this item off the agenda?", caption=title,
            action=f"{_base(round_)}/items/{item.id}/drop", button="Take it off the agenda",
            cancel=f"{_base(round_)}#agenda-{item.id}",
            body=["What the board recorded on it will no longer be part of the record. An "
                  "action it added stays in the action plan."],
            warning="This cannot be undone."))
    meetings.drop(session, item=item, round_=round_, partnership=partnership, user=user)
    flash(request, "The item has been taken off the agenda.")
    return _redirect(f"{_base(round_)}#agenda")


def _screen(request: Request, session, round_: AssessmentRound, item: AgendaItem):
    found = meetings.evidence(session, round_=round_, catalogue=request.app.state.catalogue)
    return found.screen(item)


# --- The presenter's screens ------------------------------------------------------------------

@router.get("/rounds/{round_id}/board/present/{number}")
def present(round_id: int, number: str, request: Request, user: CurrentUser,
            session: SessionDep):
    """One agenda item on a projector (`number` from 1, as typed in the address: a page that
    is not there for anything else). With htmx (its poll while a vote is open), only the
    vote's panel."""
    round_, partnership = require_round(session, user, round_id)
    meeting = _meeting(session, round_)
    items = meetings.items_of(session, meeting=meeting)
    number = parse_whole_number(number, low=1, high=len(items))
    if number is None:
        raise HTTPException(404, f"The agenda has {len(items)} items: there is no such "
                                 "item.")
    item = items[number - 1]
    # The poll shows only a question's vote, which needs no recommendations.
    found = meetings.evidence(session, round_=round_, catalogue=request.app.state.catalogue,
                              advised=not is_htmx(request))
    screen = found.screen(item)
    context = {
        "round": round_, "partnership": partnership, "meeting": meeting, "item": item,
        "screen": screen, "number": number, "count": len(items),
        "decision": _decision(session, round_, found, item, number),
        "can_run": allowed(user, Do.run), "saved": request.query_params.get("saved") == "1",
        "again": request.query_params.get("again") == "1",
        "vote": _vote_panel(request, session, round_, found, screen),
        "fragment": is_htmx(request), "base": f"{_base(round_)}/present/",
        "words": agreement.WORDS,
    }
    return render(request, "meeting/present.html", context, block="vote_panel")


def _decision(session, round_: AssessmentRound, found, item: AgendaItem, number: int):
    if not item.outcome:
        return None
    return meeting_records.decision(session, round_, number, item, found.screen(item),
                                    found.questionnaire)


VOTE_WORDS = {
    TOO_FEW: "fewer than {threshold} have voted",
    ROUND: "beside the round's results, a spread of {votes} votes could show one member's "
           "answer (MAPS assumes, to be safe, that nobody changed their mind)",
}


def _vote_panel(request: Request, session, round_: AssessmentRound, found, screen) -> dict | None:
    """What the screen shows of the question's live vote, if the screen is a question's."""
    if not isinstance(screen.body, QuestionScreen):
        return None
    vote = live_votes.vote_of(session, round_=round_, item_id=screen.body.item_id)
    panel = {"vote": vote, "url": f"{request.base_url}vote", "threshold":
             round_.anonymity_threshold, "answered": found.scores.result.coverage.respondents}
    if vote is None:
        return panel
    if vote.closed_at is None:
        verdict = live_votes.judge(session, vote=vote, round_=round_,
                                   result=found.scores.result)
        panel["verdict"] = verdict
        panel["why_not"] = VOTE_WORDS.get(verdict.reason, "").format(
            threshold=round_.anonymity_threshold, votes=vote.votes_cast)
    elif vote.shown:
        panel["line"] = meeting_records.vote_line(
            screen.body, found.questionnaire.item(vote.item_id),
            live_votes.ballots(session, vote=vote))
    return panel


@router.post("/rounds/{round_id}/board/items/{agenda_id}/vote")
def open_vote(round_id: int, agenda_id: int, request: Request, user: CurrentUser,
              session: SessionDep):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    meeting = _meeting(session, round_)
    item = require_agenda_item(session, meeting, agenda_id)
    found = meetings.evidence(session, round_=round_, catalogue=request.app.state.catalogue)
    if item.kind != agenda.QUESTION or found.screen(item).body is None:
        raise HTTPException(404, "Only a question of the round can be voted on again.")
    live_votes.open_vote(session, round_=round_, partnership=partnership, item_id=item.key,
                         answered=found.scores.result.coverage.respondents, user=user)
    return _redirect(f"{_base(round_)}/present/{_number(session, meeting, item)}#vote")


@router.post("/rounds/{round_id}/board/items/{agenda_id}/vote/close")
def close_vote(round_id: int, agenda_id: int, request: Request, user: CurrentUser,
               session: SessionDep):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    meeting = _meeting(session, round_)
    item = require_agenda_item(session, meeting, agenda_id)
    vote = live_votes.vote_of(session, round_=round_, item_id=item.key)
    if vote is None:
        raise HTTPException(404, "This item has no live vote to close.")
    found = meetings.evidence(session, round_=round_, catalogue=request.app.state.catalogue)
    live_votes.close(session, vote=vote, round_=round_, partnership=partnership,
                     result=found.scores.result, user=user)
    return _redirect(f"{_base(round_)}/present/{_number(session, meeting, item)}#vote")


def _number(session, meeting: BoardMeeting, item: AgendaItem) -> int:
    return next(n for n, other in enumerate(meetings.items_of(session, meeting=meeting),
                                            start=1) if other.id == item.id)


# --- Recording what the board agreed ----------------------------------------------------------

@router.get("/rounds/{round_id}/board/items/{agenda_id}")
def record_page(round_id: int, agenda_id: int, request: Request, user: CurrentUser,
                session: SessionDep):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    meeting = _meeting(session, round_)
    item = require_agenda_item(session, meeting, agenda_id)
    return _record_page(request, session, round_, partnership, meeting, item,
                        form=_shown(item))


def _shown(item: AgendaItem) -> dict[str, str]:
    """What the record form shows of what was recorded before."""
    outcome = item.agreed_value if item.outcome == agenda.AGREED else (item.outcome or "")
    return {"outcome": outcome, "better": item.better_level or "", "note": item.note}


def _record_page(request: Request, session, round_: AssessmentRound, partnership: Partnership,
                 meeting: BoardMeeting, item: AgendaItem, *, form: dict, errors=None,
                 status_code: int = 200):
    found = meetings.evidence(session, round_=round_, catalogue=request.app.state.catalogue)
    number = _number(session, meeting, item)
    screen = found.screen(item)
    return render(request, "meeting/record.html", {
        "round": round_, "partnership": partnership, "item": item, "number": number,
        "screen": screen, "members": meeting_records.members_line(screen.body),
        "outcomes": agenda.OUTCOMES[item.kind], "form": form,
        "errors": errors or {}, "agencies": partnership_service.agencies_of(session, partnership),
        "action": meeting_records.action_line(session, round_, item.action_id),
        "strategy": found.advice.proposal(item.key) if item.kind == agenda.RECOMMENDATION
        else None,
    }, status_code=status_code)


@router.post("/rounds/{round_id}/board/items/{agenda_id}")
def save_record(round_id: int, agenda_id: int, request: Request, user: CurrentUser,
                session: SessionDep, form: Annotated[RecordPost, Form()]):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    meeting = _meeting(session, round_)
    item = require_agenda_item(session, meeting, agenda_id)
    screen = _screen(request, session, round_, item)
    try:
        meetings.record(session, item=item, form=form.to_record(), screen_=screen,
                        round_=round_, partnership=partnership, user=user)
    except Invalid as exc:
        session.refresh(item)
        return _record_page(request, session, round_, partnership, meeting, item,
                            form=form.values(), errors=exc.errors, status_code=400)
    number = _number(session, meeting, item)
    return _redirect(f"{_base(round_)}/present/{number}?saved=1#record")
