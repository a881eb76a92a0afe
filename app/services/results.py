"""Reading a round's answers from the database into the scoring core, and scoring it."""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.models import Agency, Answer, AssessmentRound, Partnership, Respondent
from app.questionnaires.schema import Questionnaire
from app.scoring import RespondentAnswers, RoundResult, score_round


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
    questionnaire = catalogue.get(round_.questionnaire_key, round_.questionnaire_version)
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
