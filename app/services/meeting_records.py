"""What a board's discussion leaves on record (app/meeting/record.py): for the results page and
the report, for the next round's results, and, as counts only, for the officer's comparison."""

from collections import Counter

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.meeting import agenda
from app.meeting.advice import read_advice
from app.meeting.agreement import change, spread_of_answers
from app.meeting.record import (
    ActionLine,
    BoardSection,
    Decision,
    FollowUp,
    VoteLine,
    outcome_text,
    placements_of,
)
from app.meeting.screens import FactorScreen, PlacementScreen, QuestionScreen, Screen
from app.models import (
    Agency,
    AgendaItem,
    AssessmentRound,
    BoardMeeting,
    Partnership,
    RoundStatus,
)
from app.recommendations.labels import points
from app.services import action_plans, live_votes, meetings, questionnaires, results


def board_section(session: Session, *, round_: AssessmentRound, scores: results.RoundScores,
                  recommendations, previous: AssessmentRound | None,
                  catalogue) -> BoardSection | None:
    """The round's board record and the follow-up of the previous round's; None when there
    is neither."""
    meeting = meetings.meeting_of(session, round_=round_)
    follow_up, previous_meeting = _follow_up(session, previous=previous, scores=scores,
                                             catalogue=catalogue)
    if meeting is None and not follow_up:
        return None
    decisions, undecided = (), 0
    if meeting is not None:
        found = meetings.Evidence(scores, read_advice(recommendations))
        items = meetings.items_of(session, meeting=meeting)
        decisions = tuple(decision(session, round_, n, item, found.screen(item),
                                    scores.questionnaire)
                          for n, item in enumerate(items, start=1) if item.outcome)
        undecided = sum(1 for item in items if not item.outcome)
    return BoardSection(
        held_on=meeting.held_on if meeting else None, decisions=decisions,
        undecided=undecided, placements=placements_of(decisions),
        previous_title=previous.title if previous_meeting else "",
        previous_held_on=previous_meeting.held_on if previous_meeting else None,
        follow_up=follow_up)


def decision(session: Session, round_: AssessmentRound, number: int, item: AgendaItem,
              screen: Screen, questionnaire) -> Decision:
    body = screen.body
    options = dict(body.options) if isinstance(body, QuestionScreen) else {}
    better = ""
    if isinstance(body, PlacementScreen) and item.better_level:
        better = _level_name(body, item.better_level)
    return Decision(
        number=number, kind=item.kind, key=item.key, title=screen.title, why=screen.why,
        outcome=item.outcome,
        outcome_text=outcome_text(item.kind, item.outcome, item.agreed_value, options),
        members=members_line(body), note=item.note, better=better,
        action=action_line(session, round_, item.action_id),
        vote=(_vote(session, round_, body, questionnaire)
              if isinstance(body, QuestionScreen) else None))


def _level_name(body: PlacementScreen, level: str) -> str:
    name = dict(body.levels).get(level, level)
    return f"Rung {level}: {name}" if body.model == "gaster" else name


def members_line(body) -> str:
    """What the members' answers said, in the words the results use."""
    if isinstance(body, QuestionScreen):
        counted = [f"{label} {n}" for (_, label), n in zip(body.options, body.before.counts,
                                                            strict=True) if n]
        return "; ".join(counted) or "Nobody answered"
    if isinstance(body, FactorScreen):
        band = f" ({body.whole.band})" if body.whole.band else ""
        return f"Score {points(body.whole.score)}{band}"
    if isinstance(body, PlacementScreen):
        return f"MAPS places it at {body.label}"
    return "Recommended by MAPS" if body is not None and body.reasons else ""


def action_line(session: Session, round_: AssessmentRound, action_id: int | None
            ) -> ActionLine | None:
    if action_id is None:
        return None
    plan = action_plans.items_of(session, round_=round_)
    number, item = next(((n, a) for n, a in enumerate(plan, start=1) if a.id == action_id),
                        (None, None))
    if item is None:
        return ActionLine(number=None, text="")
    owner = session.get(Agency, item.owner_agency_id) if item.owner_agency_id else None
    return ActionLine(number=number, text=item.text, owner=owner.name if owner else "",
                      target=item.target_date, measure=item.success_measure)


def _vote(session: Session, round_: AssessmentRound, body: QuestionScreen,
          questionnaire) -> VoteLine | None:
    vote = live_votes.vote_of(session, round_=round_, item_id=body.item_id)
    if vote is None or vote.closed_at is None or not vote.shown:
        return None
    return vote_line(body, questionnaire.item(body.item_id),
                     live_votes.ballots(session, vote=vote))


def vote_line(body: QuestionScreen, item, values: list[str]) -> VoteLine:
    """The round's spread beside a shown vote's."""
    after = spread_of_answers(item, values)
    return VoteLine(before=body.before, after=after,
                    change=change(body.before.agreement, after.agreement))


def _follow_up(session: Session, *, previous: AssessmentRound | None,
               scores: results.RoundScores, catalogue
               ) -> tuple[tuple[FollowUp, ...], BoardMeeting | None]:
    """For each question and factor the previous round's board recorded a view on, its
    agreement then and now (both rounds' results after disclosure control)."""
    meeting = meetings.meeting_of(session, round_=previous) if previous else None
    if meeting is None:
        return (), None
    discussed = [item for item in meetings.items_of(session, meeting=meeting)
                 if item.outcome and item.kind in (agenda.QUESTION, agenda.FACTOR)]
    if not discussed or questionnaires.find_round_questionnaire(
            session, round_=previous, catalogue=catalogue) is None:
        return (), None
    before = results.score(session, previous, catalogue).result.consensus
    now = scores.result.consensus
    lines = []
    for item in discussed:
        kind = "items" if item.kind == agenda.QUESTION else "factors"
        then, today = getattr(before, kind).get(item.key), getattr(now, kind).get(item.key)
        then, today = then and then.agreement, today and today.agreement
        lines.append(FollowUp(title=_title(scores.questionnaire, item), before=then,
                              now=today, change=change(then, today)))
    return tuple(lines), meeting


def _title(questionnaire, item: AgendaItem) -> str:
    if item.kind == agenda.FACTOR:
        return questionnaire.tag_label("factor", item.key)
    question = questionnaire.item(item.key)
    return question.text if question else item.key


def placement_views(session: Session, *, organisation_id: int, key: str, version: int,
                    partnership_ids=None) -> dict[str, list[tuple[str, int]]]:
    """How often the organisation's boards said their placement describes them, per model:
    (each outcome in words, how many records), over closed rounds on the instrument (of these
    partnerships only, when given). Counts only: never a note, a partnership or a round."""
    query = (select(AgendaItem.key, AgendaItem.outcome, func.count())
             .join(BoardMeeting, BoardMeeting.id == AgendaItem.meeting_id)
             .join(AssessmentRound, AssessmentRound.id == BoardMeeting.round_id)
             .join(Partnership, Partnership.id == AssessmentRound.partnership_id)
             .where(Partnership.organisation_id == organisation_id,
                    AssessmentRound.status == RoundStatus.closed,
                    AssessmentRound.questionnaire_key == key,
                    AssessmentRound.questionnaire_version == version,
                    AgendaItem.kind == agenda.PLACEMENT, col(AgendaItem.outcome).is_not(None))
             .group_by(AgendaItem.key, AgendaItem.outcome))
    if partnership_ids is not None:
        query = query.where(col(Partnership.id).in_(list(partnership_ids)))
    counts: dict[str, Counter] = {}
    for model, outcome, n in session.exec(query):
        counts.setdefault(model, Counter())[outcome] = n
    return {model: [(label, found[outcome])
                    for outcome, label in agenda.OUTCOMES[agenda.PLACEMENT].items()]
            for model, found in counts.items()}
