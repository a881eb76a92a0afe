"""Reading a round's answers from the database into the scoring core, and scoring it."""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.models import (
    Agency,
    Answer,
    AssessmentRound,
    Partnership,
    Respondent,
    RoundStatus,
    RoundSummary,
    utcnow,
)
from app.questionnaires.schema import Questionnaire
from app.scoring import RespondentAnswers, RoundResult, score_round
from app.services import questionnaires


@dataclass
class RoundScores:
    round: AssessmentRound
    partnership: Partnership
    questionnaire: Questionnaire
    result: RoundResult
    invited: int


def round_answers(session: Session, round_id: int) -> list[RespondentAnswers]:
    """Submitted responses only: a half-finished response is not part of the result."""
    rows = session.exec(
        select(Respondent.id, Respondent.level, Agency.name, Agency.sector, Answer.item_id,
               Answer.value)
        .join(Agency, Agency.id == Respondent.agency_id)
        .join(Answer, Answer.respondent_id == Respondent.id, isouter=True)
        .where(Respondent.round_id == round_id, col(Respondent.submitted_at).is_not(None),
               col(Respondent.revoked_at).is_(None))
        .order_by(Respondent.id)
    ).all()
    people: dict[int, RespondentAnswers] = {}
    for respondent_id, level, agency, sector, item_id, value in rows:
        person = people.get(respondent_id)
        if person is None:
            person = people[respondent_id] = RespondentAnswers(
                agency=agency, level=level, sector=sector, answers={})
        if item_id is not None:
            person.answers[item_id] = value
    return list(people.values())


def score(session: Session, round_: AssessmentRound, catalogue) -> RoundScores:
    questionnaire = questionnaires.round_questionnaire(session, round_=round_, catalogue=catalogue)
    partnership = session.get(Partnership, round_.partnership_id)
    agencies = len(session.exec(select(Agency.id).where(
        Agency.partnership_id == partnership.id)).all())
    invited = len(session.exec(select(Respondent.id).where(
        Respondent.round_id == round_.id, col(Respondent.revoked_at).is_(None))).all())
    respondents = round_answers(session, round_.id)
    # Answers to items outside the round's version cannot exist (the journey refuses them),
    # but a row edited by hand must not break the page: score only what the version knows.
    for person in respondents:
        for item_id in [k for k in person.answers if questionnaire.item(k) is None]:
            del person.answers[item_id]
    result = score_round(questionnaire, respondents,
                         anonymity_threshold=round_.anonymity_threshold,
                         agencies_in_partnership=agencies)
    return RoundScores(round=round_, partnership=partnership, questionnaire=questionnaire,
                       result=result, invited=invited)


def summarise(session: Session, round_: AssessmentRound, catalogue) -> RoundSummary:
    """Keep (or refresh) the round's headline scores for comparisons; the caller commits."""
    scores = score(session, round_, catalogue)
    result = scores.result
    partnership = result.partnership
    summary = session.get(RoundSummary, round_.id) or RoundSummary(round_id=round_.id,
                                                                  respondents=0, invited=0)
    summary.computed_at = utcnow()
    summary.respondents = result.coverage.respondents
    summary.invited = scores.invited
    summary.townsley = result.placement("townsley").level
    summary.gaster = result.placement("gaster").level
    summary.overall = partnership.overall
    summary.scores = {tag: {value: s.score for value, s in values.items()}
                      for tag, values in partnership.tags.items()}
    session.add(summary)
    return summary


def summarise_missing(session: Session, catalogue) -> int:
    """Summaries for the closed rounds that have none (closed before summaries were kept, or
    their summaries dropped by a downgrade), and commit; how many were made."""
    rounds = session.exec(
        select(AssessmentRound)
        .join(RoundSummary, RoundSummary.round_id == AssessmentRound.id, isouter=True)
        .where(AssessmentRound.status == RoundStatus.closed,
               col(RoundSummary.round_id).is_(None))).all()
    made = 0
    for round_ in rounds:
        # A version no longer installed cannot be scored; its round stays out of comparisons.
        if questionnaires.find_round_questionnaire(session, round_=round_,
                                                   catalogue=catalogue) is not None:
            summarise(session, round_, catalogue)
            made += 1
    session.commit()
    return made


def report_context(session: Session, round_: AssessmentRound, catalogue):
    """Everything the report shows for a round, for its page and its PDF."""
    from app.reports.context import build_context
    from app.services import action_plans

    scores = score(session, round_, catalogue)
    return build_context(
        partnership_name=scores.partnership.name, round_title=round_.title,
        questionnaire=scores.questionnaire, result=scores.result,
        action_plan=action_plans.plan_rows(session, round_=round_),
        previous_plan=action_plans.previous_plan(session, round_=round_),
        opens=round_.opens_at.date(), closes=round_.closes_at.date(), invited=scores.invited)
