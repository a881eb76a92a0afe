"""A closed round's report context: its result with the action plans and the change since
the partnership's previous closed round, for the results page, the PDF and `maps report`.
Kept apart from results.py, which action_plans.py imports."""

import dataclasses

from sqlmodel import Session, col, select

from app.models import AssessmentRound, Partnership, RoundStatus, RoundSummary
from app.scoring.change import RoundChange, compare_rounds
from app.services import action_plans, meeting_records, questionnaires, results, rounds


def previous_closed_round(session: Session, *, round_: AssessmentRound
                          ) -> AssessmentRound | None:
    """The partnership's latest closed round before this one on the same instrument (any
    version): the one its change is measured from."""
    earlier = (col(AssessmentRound.opens_at) < round_.opens_at) | (
        (col(AssessmentRound.opens_at) == round_.opens_at)
        & (col(AssessmentRound.id) < round_.id))
    return session.exec(select(AssessmentRound).where(
        AssessmentRound.partnership_id == round_.partnership_id, earlier,
        AssessmentRound.status == RoundStatus.closed,
        AssessmentRound.questionnaire_key == round_.questionnaire_key)
        .order_by(col(AssessmentRound.opens_at).desc(), col(AssessmentRound.id).desc())).first()


def change_since_previous(session: Session, *, round_: AssessmentRound, scores, catalogue,
                          previous_plan=None) -> RoundChange | None:
    """What changed since the previous closed round, or None when there is none (or its
    instrument version is no longer installed, so it cannot be scored)."""
    previous = previous_closed_round(session, round_=round_)
    if previous is None or questionnaires.find_round_questionnaire(
            session, round_=previous, catalogue=catalogue) is None:
        return None
    before = results.score(session, previous, catalogue)
    actions = [(row.text, row.status) for row in previous_plan.rows] if previous_plan else []
    return compare_rounds(before=before.result, after=scores.result,
                          questionnaire=scores.questionnaire, previous_title=previous.title,
                          previous_actions=actions)


def report_context(session: Session, round_: AssessmentRound, catalogue):
    """Everything the report shows for a round. ResultsNotReady while it is open."""
    # Imported here: the report package draws charts (the collaboration network with Plotly),
    # which pages without a report need not load.
    from app.reports.collaboration import build_collaboration
    from app.reports.context import build_context

    scores = results.score(session, round_, catalogue)
    previous_plan = action_plans.previous_plan(session, round_=round_)
    context = build_context(
        partnership_name=scores.partnership.name, round_title=round_.title,
        questionnaire=scores.questionnaire, result=scores.result,
        action_plan=action_plans.plan_rows(session, round_=round_),
        previous_plan=previous_plan, opens=round_.opens_at.date(),
        closes=round_.closing_date.date(),
        invited=scores.invited,
        invitations=rounds.invitations_by_agency(session, round_),
        change=change_since_previous(session, round_=round_, scores=scores,
                                     catalogue=catalogue, previous_plan=previous_plan))
    board = meeting_records.board_section(
        session, round_=round_, scores=scores, recommendations=context.recommendations,
        previous=previous_closed_round(session, round_=round_), catalogue=catalogue)
    context = dataclasses.replace(context, board=board,
                                  collaboration=build_collaboration(scores.collaboration))
    # A round of roster ratings alone has no score to compare with the previous round's.
    return dataclasses.replace(context, change=None) if context.map_only else context


def trend(session: Session, *, partnership: Partnership) -> list:
    """Each closed round's kept summary, oldest first (app.reports.charts.TrendPoint)."""
    from app.reports.charts import TrendPoint
    from app.reports.context import long_date
    from app.scoring.typologies import model

    def named(key: str, level: str | None) -> str:
        return model(key).label(level) if level else "not placed"

    rows = session.exec(
        select(AssessmentRound, RoundSummary)
        .join(RoundSummary, RoundSummary.round_id == AssessmentRound.id)
        .where(AssessmentRound.partnership_id == partnership.id,
               AssessmentRound.status == RoundStatus.closed)
        .order_by(col(AssessmentRound.opens_at), col(AssessmentRound.id))).all()
    return [TrendPoint(round_title=r.title,
                       closed=long_date(r.closing_date.date()),
                       overall=s.overall, townsley=named("townsley", s.townsley),
                       gaster=f"rung {s.gaster}, {named('gaster', s.gaster).lower()}"
                       if s.gaster else "not placed")
            for r, s in rows]
