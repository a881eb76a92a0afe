"""A round's action plan: actions taken from the recommendations or written by the board, their
owners, dates and statuses, their order, and the plan of the partnership's previous round."""

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models import (
    ActionItem,
    ActionStatus,
    Agency,
    AssessmentRound,
    Partnership,
    RoundStatus,
    User,
    utcnow,
)
from app.recommendations.library import default_library
from app.recommendations.matching import Recommendation, recommend
from app.services import audit, results
from app.services.errors import Invalid
from app.services.inputs import BadDate, control_character_problem, parse_date, parse_id

MAX_TEXT = 1000
MAX_MEASURE = 500
MAX_LEAD = 200
STATUS_LABELS = {ActionStatus.not_started: "Not started",
                 ActionStatus.in_progress: "In progress",
                 ActionStatus.done: "Done", ActionStatus.dropped: "Dropped"}


def items_of(session: Session, *, round_: AssessmentRound) -> list[ActionItem]:
    return list(session.exec(select(ActionItem).where(ActionItem.round_id == round_.id)
                             .order_by(col(ActionItem.position), col(ActionItem.id))))


def recommendations_for(session: Session, *, round_: AssessmentRound,
                        catalogue) -> list[Recommendation]:
    """The recommendations of a closed round's result; none while it is open (no results)."""
    if round_.status != RoundStatus.closed:
        return []
    scores = results.score(session, round_, catalogue)
    return recommend(scores.result, scores.questionnaire)


def _next_position(session: Session, round_: AssessmentRound) -> int:
    last = session.exec(select(func.max(ActionItem.position))
                        .where(ActionItem.round_id == round_.id)).one()
    return (last or 0) + 1


def _record(session: Session, *, item: ActionItem, round_: AssessmentRound,
            partnership: Partnership, user: User, change: str) -> None:
    audit.record(session, action="action_plan_edited", user=user, round_=round_,
                 partnership=partnership,
                 detail={"action_id": item.id, "change": change, "text": item.text[:200]})


def _add(session: Session, *, round_: AssessmentRound, partnership: Partnership, text: str,
         strategy_id: str | None, added_by: User) -> ActionItem:
    item = ActionItem(round_id=round_.id, position=_next_position(session, round_), text=text,
                      strategy_id=strategy_id)
    session.add(item)
    session.flush()
    _record(session, item=item, round_=round_, partnership=partnership, user=added_by,
            change="added")
    session.commit()
    return item


def add_recommended(session: Session, *, round_: AssessmentRound, partnership: Partnership,
                    strategy_id: str, added_by: User) -> ActionItem:
    """The recommendation's suggested action, as a new action at the end of the plan; the one
    already there when it was added before."""
    try:
        strategy = default_library().strategy(strategy_id)
    except KeyError:
        raise Invalid({"recommendations": "Choose a recommendation to add"}) from None
    existing = session.exec(select(ActionItem).where(
        ActionItem.round_id == round_.id, ActionItem.strategy_id == strategy.id)).first()
    if existing is not None:
        return existing
    return _add(session, round_=round_, partnership=partnership, text=strategy.action,
                strategy_id=strategy.id, added_by=added_by)


def add_own(session: Session, *, round_: AssessmentRound, partnership: Partnership, text: str,
            added_by: User) -> ActionItem:
    text = text.strip()
    if error := _text_error(text):
        raise Invalid({"text": error})
    return _add(session, round_=round_, partnership=partnership, text=text, strategy_id=None,
                added_by=added_by)


def _text_error(text: str) -> str | None:
    if not text:
        return "Enter the action"
    if len(text) > MAX_TEXT:
        return f"Enter an action of at most {MAX_TEXT} characters"
    return None


def _target_date(day: str, month: str, year: str) -> date | None:
    """A GOV.UK date input's three boxes: all empty for no date."""
    try:
        return parse_date(day, month, year)
    except BadDate as exc:
        raise Invalid({"target": f"The target date {exc}"}) from None


def _details(session: Session, *, partnership: Partnership, text: str, owner: str, lead: str,
             day: str, month: str, year: str, measure: str, status: str) -> dict:
    """An action's fields as the table holds them, or Invalid naming each problem."""
    errors: dict[str, str] = {}
    text, lead, measure, owner = text.strip(), lead.strip(), measure.strip(), owner.strip()
    if error := _text_error(text):
        errors["text"] = error
    owner_id = None
    if owner:
        owner_id = parse_id(owner)
        agency = session.get(Agency, owner_id) if owner_id else None
        if agency is None or agency.partnership_id != partnership.id:
            errors["owner"] = "Select an agency of this partnership"
        else:
            owner_id = agency.id
    if len(lead) > MAX_LEAD:
        errors["lead"] = f"Enter a lead of at most {MAX_LEAD} characters"
    elif problem := control_character_problem(lead):
        errors["lead"] = f"The lead {problem}"
    target = None
    try:
        target = _target_date(day, month, year)
    except Invalid as exc:
        errors.update(exc.errors)
    if len(measure) > MAX_MEASURE:
        errors["measure"] = f"Enter a success measure of at most {MAX_MEASURE} characters"
    if status not in ActionStatus.__members__:
        errors["status"] = "Select the action's status"
    if errors:
        raise Invalid(errors)
    return {"text": text, "owner_agency_id": owner_id, "lead": lead, "target_date": target,
            "success_measure": measure, "status": ActionStatus(status)}


def update(session: Session, *, item: ActionItem, round_: AssessmentRound,
           partnership: Partnership, text: str, owner: str, lead: str, day: str, month: str,
           year: str, measure: str, status: str, edited_by: User) -> ActionItem:
    """Save every field of an action, or change none and raise Invalid naming each problem."""
    for field, value in _details(session, partnership=partnership, text=text, owner=owner,
                                 lead=lead, day=day, month=month, year=year, measure=measure,
                                 status=status).items():
        setattr(item, field, value)
    item.updated_at = utcnow()
    session.add(item)
    _record(session, item=item, round_=round_, partnership=partnership, user=edited_by,
            change="edited")
    session.commit()
    return item


def add_detailed(session: Session, *, round_: AssessmentRound, partnership: Partnership,
                 text: str, owner: str, lead: str, day: str, month: str, year: str,
                 measure: str, strategy_id: str | None, added_by: User) -> ActionItem:
    """A new action at the end of the plan with every field given (as the board agreed it in
    its meeting), not started; Invalid naming each problem, and nothing added, otherwise.
    Flushed, not committed: the caller saves it with what it belongs to."""
    details = _details(session, partnership=partnership, text=text, owner=owner, lead=lead,
                       day=day, month=month, year=year, measure=measure,
                       status=ActionStatus.not_started.value)
    item = ActionItem(round_id=round_.id, position=_next_position(session, round_),
                      strategy_id=strategy_id, **details)
    session.add(item)
    session.flush()
    _record(session, item=item, round_=round_, partnership=partnership, user=added_by,
            change="added")
    return item


def move(session: Session, *, item: ActionItem, round_: AssessmentRound,
         partnership: Partnership, up: bool, moved_by: User) -> None:
    """Swap the action with its neighbour above (or below); at the end, nothing changes."""
    items = items_of(session, round_=round_)
    index = next(i for i, other in enumerate(items) if other.id == item.id)
    neighbour = index - 1 if up else index + 1
    if not 0 <= neighbour < len(items):
        return
    # Renumber the whole plan, so gaps left by removals or equal positions cannot stick.
    items[index], items[neighbour] = items[neighbour], items[index]
    for position, other in enumerate(items, start=1):
        other.position = position
        session.add(other)
    _record(session, item=item, round_=round_, partnership=partnership, user=moved_by,
            change="moved up" if up else "moved down")
    session.commit()


def delete(session: Session, *, item: ActionItem, round_: AssessmentRound,
           partnership: Partnership, deleted_by: User) -> None:
    _record(session, item=item, round_=round_, partnership=partnership, user=deleted_by,
            change="removed")
    session.delete(item)
    session.commit()


def _rows(session: Session, round_: AssessmentRound) -> tuple:
    # Imported here, as report.report_context does: the report package draws with Plotly.
    from app.reports.context import ActionPlanRow

    names = dict(session.exec(select(Agency.id, Agency.name)
                              .where(Agency.partnership_id == round_.partnership_id)).all())
    return tuple(ActionPlanRow(text=i.text, owner_agency=names.get(i.owner_agency_id, ""),
                               lead=i.lead, target_date=i.target_date,
                               success_measure=i.success_measure, status=str(i.status))
                 for i in items_of(session, round_=round_))


def plan_rows(session: Session, *, round_: AssessmentRound) -> tuple:
    """The plan as the report prints it."""
    return _rows(session, round_)


def previous_round(session: Session, *, round_: AssessmentRound) -> AssessmentRound | None:
    """The partnership's latest round before this one that has an action plan."""
    with_plans = select(ActionItem.round_id)
    earlier = (col(AssessmentRound.opens_at) < round_.opens_at) | (
        (col(AssessmentRound.opens_at) == round_.opens_at)
        & (col(AssessmentRound.id) < round_.id))
    return session.exec(select(AssessmentRound).where(
        AssessmentRound.partnership_id == round_.partnership_id, earlier,
        col(AssessmentRound.id).in_(with_plans))
        .order_by(col(AssessmentRound.opens_at).desc(), col(AssessmentRound.id).desc())).first()


def previous_plan(session: Session, *, round_: AssessmentRound):
    """The previous round's plan and its statuses (a report.context.PreviousPlan), or None."""
    from app.reports.context import PreviousPlan

    previous = previous_round(session, round_=round_)
    if previous is None:
        return None
    return PreviousPlan(round_title=previous.title, rows=_rows(session, previous))
