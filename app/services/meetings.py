"""A closed round's board discussion: starting it with the agenda MAPS suggests, changing the
agenda, recording what the board agreed on each item (an action straight into the action
plan), and its own audit trail. What the record says afterwards: meeting_records.py."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.meeting import agenda
from app.meeting.advice import Advice, read_advice, unadvised
from app.meeting.screens import Screen, screen
from app.models import (
    ActionItem,
    AgendaItem,
    AssessmentRound,
    AuditEvent,
    BoardMeeting,
    Partnership,
    User,
    utcnow,
)
from app.recommendations.library import default_library
from app.recommendations.matching import recommend
from app.services import action_plans, audit, results
from app.services.errors import Invalid
from app.services.inputs import BadDate, control_character_problem, parse_date
from app.services.responses import ResponseError

MAX_NOTE = 1000
TRAIL = ("board_meeting_started", "board_meeting_edited", "live_vote_opened",
         "live_vote_closed")
# The action's boxes on the record form, by the names action_plans gives their errors.
ACTION_FIELDS = ("text", "owner", "lead", "target", "measure")


class NothingToDiscuss(ResponseError):
    def __init__(self, round_: AssessmentRound):
        super().__init__(409, "There is nothing from this round to discuss",
                         f"Fewer than {round_.anonymity_threshold} board members answered "
                         f"{round_.title}, so MAPS shows no results from it, and a board "
                         "discussion would have nothing of them to show.")


@dataclass
class Evidence:
    """What a discussion's screens are built from: the round's result after disclosure
    control, and the recommendations read through app/meeting/advice.py."""

    scores: results.RoundScores
    advice: Advice

    @property
    def questionnaire(self):
        return self.scores.questionnaire

    def screen(self, item: AgendaItem) -> Screen:
        entry = agenda.Entry(item.kind, item.key, item.why)
        fallback = None
        if item.kind == agenda.RECOMMENDATION and self.advice.proposal(item.key) is None:
            library = default_library()
            try:
                strategy = library.strategy(item.key)
                fallback = unadvised(strategy, library.practice_area(strategy.practice_area).title)
            except KeyError:
                pass
        return screen(entry, self.scores.result, self.questionnaire, self.advice, fallback)


def evidence(session: Session, *, round_: AssessmentRound, catalogue,
             advised: bool = True) -> Evidence:
    """ResultsNotReady while the round is open. Not `advised`: without the recommendations
    (a question's screen needs none), for the presenter's poll."""
    scores = results.score(session, round_, catalogue)
    if not advised or scores.questionnaire.links.recommendations is None:
        return Evidence(scores, Advice())  # no recommendations: the report gives none either
    return Evidence(scores, read_advice(recommend(scores.result, scores.questionnaire)))


def meeting_of(session: Session, *, round_: AssessmentRound) -> BoardMeeting | None:
    return session.exec(select(BoardMeeting).where(BoardMeeting.round_id == round_.id)).first()


def items_of(session: Session, *, meeting: BoardMeeting) -> list[AgendaItem]:
    return list(session.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                             .order_by(col(AgendaItem.position), col(AgendaItem.id))))


def _held_on(day: str, month: str, year: str) -> date:
    try:
        held_on = parse_date(day, month, year)
    except BadDate as exc:
        raise Invalid({"held-on": f"The date of the meeting {exc}"}) from None
    if held_on is None:
        raise Invalid({"held-on": "Enter the date of the meeting"})
    return held_on


def _record(session: Session, *, action: str, user: User, round_: AssessmentRound,
            partnership: Partnership, change: str, **detail) -> None:
    audit.record(session, action=action, user=user, round_=round_, partnership=partnership,
                 detail={"change": change, **detail})


def start(session: Session, *, round_: AssessmentRound, partnership: Partnership, day: str,
          month: str, year: str, started_by: User, catalogue) -> tuple[BoardMeeting, bool]:
    """The round's discussion on the date given, with the agenda its results suggest; or, if
    it has started, the same discussion moved to that date. (The meeting, whether it is new.)
    ResultsNotReady while the round is open."""
    held_on = _held_on(day, month, year)
    meeting = meeting_of(session, round_=round_)
    if meeting is not None:
        meeting.held_on = held_on
        session.add(meeting)
        _record(session, action="board_meeting_edited", user=started_by, round_=round_,
                partnership=partnership, change="date changed")
        session.commit()
        return meeting, False
    found = evidence(session, round_=round_, catalogue=catalogue)
    if found.scores.result.partnership.suppressed:
        raise NothingToDiscuss(round_)
    meeting = BoardMeeting(round_id=round_.id, held_on=held_on, created_by_id=started_by.id)
    session.add(meeting)
    session.flush()
    entries = agenda.suggested(found.scores.result, found.advice)
    session.add_all([AgendaItem(meeting_id=meeting.id, position=n, kind=e.kind, key=e.key,
                                why=e.why) for n, e in enumerate(entries, start=1)])
    _record(session, action="board_meeting_started", user=started_by, round_=round_,
            partnership=partnership, change=f"{len(entries)} items on the agenda")
    session.commit()
    return meeting, True


def move(session: Session, *, meeting: BoardMeeting, item: AgendaItem, up: bool,
         round_: AssessmentRound, partnership: Partnership, user: User) -> None:
    """Swap the item with its neighbour above (or below); the agenda is numbered afresh."""
    items = items_of(session, meeting=meeting)
    index = next(i for i, other in enumerate(items) if other.id == item.id)
    for position, other in enumerate(agenda.moved(items, index, up=up), start=1):
        other.position = position
        session.add(other)
    _record(session, action="board_meeting_edited", user=user, round_=round_,
            partnership=partnership, change="moved up" if up else "moved down",
            item=_label(item))
    session.commit()


def drop(session: Session, *, item: AgendaItem, round_: AssessmentRound,
         partnership: Partnership, user: User) -> None:
    """Take an item off the agenda, with what was recorded on it (an action it added stays
    in the plan: the plan is edited on its own page)."""
    _record(session, action="board_meeting_edited", user=user, round_=round_,
            partnership=partnership, change="dropped", item=_label(item))
    session.delete(item)
    session.commit()


def add_question(session: Session, *, meeting: BoardMeeting, item_id: str, questionnaire,
                 round_: AssessmentRound, partnership: Partnership, user: User) -> AgendaItem:
    """Any question of the round's questionnaire, at the end of the agenda; the item already
    there when it is on the agenda."""
    item = questionnaire.item(item_id.strip()) if item_id else None
    if item is None or item.agency is not None:
        raise Invalid({"question": "Select a question of this round's questionnaire"})
    existing = session.exec(select(AgendaItem).where(
        AgendaItem.meeting_id == meeting.id, AgendaItem.kind == agenda.QUESTION,
        AgendaItem.key == item.id)).first()
    if existing is not None:
        return existing
    last = session.exec(select(func.max(AgendaItem.position))
                        .where(AgendaItem.meeting_id == meeting.id)).one()
    added = AgendaItem(meeting_id=meeting.id, position=(last or 0) + 1, kind=agenda.QUESTION,
                       key=item.id, why="added")
    session.add(added)
    session.flush()
    _record(session, action="board_meeting_edited", user=user, round_=round_,
            partnership=partnership, change="question added", item=_label(added))
    session.commit()
    return added


def _label(item: AgendaItem) -> str:
    return f"{item.kind} {item.key}"


@dataclass(frozen=True)
class RecordForm:
    """What the record form posts: an outcome (a question's option value, or one of
    agenda.OUTCOMES), a better-fitting level for a placement, a note, and an action."""

    outcome: str = ""
    better: str = ""
    note: str = ""
    action: dict[str, str] | None = None  # the action's boxes; None or all empty: no action


def record(session: Session, *, item: AgendaItem, form: RecordForm, screen_: Screen,
           round_: AssessmentRound, partnership: Partnership, user: User) -> AgendaItem:
    """Save what the board agreed on an item, and its action into the plan, in one commit;
    or change nothing and raise Invalid naming every problem."""
    errors: dict[str, str] = {}
    outcome, agreed_value, better = _outcome(item, form, screen_, errors)
    note = form.note.strip()
    if len(note) > MAX_NOTE:
        errors["note"] = f"Enter a note of at most {MAX_NOTE} characters"
    elif problem := control_character_problem(note, multiline=True):
        errors["note"] = f"The note {problem}"
    action = _new_action(session, item=item, form=form, round_=round_,
                         partnership=partnership, user=user, errors=errors)
    if errors:
        session.rollback()
        raise Invalid(errors)
    item.outcome, item.agreed_value, item.better_level, item.note = (
        outcome, agreed_value, better, note)
    if action is not None:
        item.action_id = action.id
    item.decided_at = utcnow()
    session.add(item)
    _record(session, action="board_meeting_edited", user=user, round_=round_,
            partnership=partnership, change="recorded", item=_label(item), outcome=outcome,
            action_id=action.id if action else None)
    session.commit()
    return item


def _outcome(item: AgendaItem, form: RecordForm, screen_: Screen,
             errors: dict[str, str]) -> tuple[str | None, str | None, str | None]:
    """(outcome, a question's agreed option, a placement's better level)."""
    chosen = form.outcome.strip()
    if item.kind == agenda.QUESTION and screen_.body is not None and chosen in dict(
            screen_.body.options):
        return agenda.AGREED, chosen, None
    if chosen not in agenda.OUTCOMES[item.kind]:
        errors["outcome"] = ("Select the answer the board agreed, or that it could not agree"
                             if item.kind == agenda.QUESTION else "Select what the board agreed")
        return None, None, None
    better = form.better.strip() or None
    if item.kind == agenda.PLACEMENT and chosen == "does_not_fit":
        levels = dict(screen_.body.levels) if screen_.body is not None else {}
        if better not in levels or better == screen_.body.level:
            errors["better"] = "Select the level the board thinks describes it better"
        return chosen, None, better
    return chosen, None, None


def _new_action(session: Session, *, item: AgendaItem, form: RecordForm,
                round_: AssessmentRound, partnership: Partnership, user: User,
                errors: dict[str, str]) -> ActionItem | None:
    """The action the form asks for, added to the plan (flushed), or None; its problems
    under `action-<field>`."""
    boxes = {k: v.strip() for k, v in (form.action or {}).items()}
    if not any(boxes.values()) or item.action_id is not None:
        return None
    strategy = item.key if item.kind == agenda.RECOMMENDATION else None
    if strategy and session.exec(select(ActionItem.id).where(
            ActionItem.round_id == round_.id, ActionItem.strategy_id == strategy)).first():
        strategy = None  # already in the plan once: the plan links a recommendation once
    try:
        return action_plans.add_detailed(
            session, round_=round_, partnership=partnership, text=boxes.get("text", ""),
            owner=boxes.get("owner", ""), lead=boxes.get("lead", ""),
            day=boxes.get("target-day", ""), month=boxes.get("target-month", ""),
            year=boxes.get("target-year", ""), measure=boxes.get("measure", ""),
            strategy_id=strategy, added_by=user)
    except Invalid as exc:
        errors.update({f"action-{field}": message for field, message in exc.errors.items()})
        return None


def trail(session: Session, *, round_: AssessmentRound) -> list[tuple[AuditEvent, str, str]]:
    """The discussion's own audit trail, newest first: each event, who made it (empty: MAPS
    itself, as when a vote closes because everyone has voted) and what it was."""
    rows = session.exec(
        select(AuditEvent, User.name, User.email)
        .join(User, User.id == AuditEvent.user_id, isouter=True)
        .where(AuditEvent.round_id == round_.id, col(AuditEvent.action).in_(TRAIL))
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())).all()
    return [(event, name or email or "", _words(event)) for event, name, email in rows]


def _words(event: AuditEvent) -> str:
    detail = event.detail or {}
    words = audit.ACTIONS[event.action]
    if change := detail.get("change"):
        words += f": {change}"
    if item := detail.get("item"):
        words += f" ({item})"
    return words
