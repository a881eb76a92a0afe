"""Reading a round's answers from the database into the scoring core, and scoring it."""

import dataclasses
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
from app.scoring import RespondentAnswers, RoundResult, disclosure, score_round
from app.scoring.collaboration import CollaborationMap, collaboration_map
from app.services import questionnaires
from app.services.responses import ResponseError


class ResultsNotReady(ResponseError):
    """A round's results are asked for before it has closed."""

    def __init__(self, round_: AssessmentRound):
        super().__init__(409, "Results appear when the round closes",
                         f"{round_.title} is still open. MAPS shows no results until it "
                         "closes, so nobody can compare the results before and after one "
                         "person answers. Until then its page shows the response rate.")


@dataclass
class RoundScores:
    round: AssessmentRound
    partnership: Partnership
    questionnaire: Questionnaire
    result: RoundResult
    invited: int
    # How the agencies rate their work with each other, when the round asked (its
    # questionnaire or its optional part has a map item), withheld as its rule says.
    collaboration: CollaborationMap | None = None


def counted(submitted_at, revoked_at, closed_at) -> bool:
    """Whether a response counts: submitted, and not withdrawn, when the round closed."""
    if submitted_at is None or (closed_at is not None and submitted_at > closed_at):
        return False
    return revoked_at is None or (closed_at is not None and revoked_at > closed_at)


def round_answers(session: Session, round_id: int) -> list[RespondentAnswers]:
    """The answers and comments of the responses counted when the round closed (submitted,
    not withdrawn): a half-finished response is not part of the result."""
    closed_at = session.get(AssessmentRound, round_id).closed_at
    rows = session.exec(
        select(Respondent.id, Respondent.level, Respondent.submitted_at,
               Respondent.revoked_at, Agency.id, Agency.name, Agency.sector, Answer.item_id,
               Answer.value, Answer.comment)
        .join(Agency, Agency.id == Respondent.agency_id)
        .join(Answer, Answer.respondent_id == Respondent.id, isouter=True)
        .where(Respondent.round_id == round_id, col(Respondent.submitted_at).is_not(None))
        .order_by(Respondent.id)
    ).all()
    people: dict[int, RespondentAnswers] = {}
    for (respondent_id, level, submitted_at, revoked_at, agency_id, agency, sector, item_id,
         value, comment) in rows:
        if not counted(submitted_at, revoked_at, closed_at):
            continue
        person = people.get(respondent_id)
        if person is None:
            person = people[respondent_id] = RespondentAnswers(
                agency=agency, agency_id=str(agency_id), level=level, sector=sector,
                answers={}, comments={})
        if item_id is not None and value is not None:
            person.answers[item_id] = value
        if item_id is not None and comment:
            person.comments[item_id] = comment
    return list(people.values())


def score(session: Session, round_: AssessmentRound, catalogue) -> RoundScores:
    """A closed round's result, disclosure control applied. ResultsNotReady while open."""
    if round_.status != RoundStatus.closed:
        raise ResultsNotReady(round_)
    questionnaire = questionnaires.as_asked(
        questionnaires.round_questionnaire(session, round_=round_, catalogue=catalogue),
        round_=round_)
    part = questionnaires.find_part(session, round_=round_, catalogue=catalogue)
    partnership = session.get(Partnership, round_.partnership_id)
    # The agencies as they are called now: names are labels (disclosure goes by id).
    names = dict(session.exec(select(Agency.id, Agency.name).where(
        Agency.partnership_id == partnership.id)).all())
    invited = len(session.exec(select(Respondent.id).where(
        Respondent.round_id == round_.id, col(Respondent.revoked_at).is_(None))).all())
    respondents = round_answers(session, round_.id)
    collaboration = collaboration_map(
        questionnaires.as_asked(part or questionnaire, round_=round_, names=names),
        respondents, threshold=round_.anonymity_threshold)
    # Answers to items outside the round's version cannot exist (the journey refuses them),
    # but a row edited by hand must not break the page: score only what the version knows.
    for person in respondents:
        for item_id in [k for k in person.answers if questionnaire.item(k) is None]:
            del person.answers[item_id]
        for item_id in [k for k in person.comments if questionnaire.item(k) is None]:
            del person.comments[item_id]
    result = score_round(questionnaire, respondents,
                         anonymity_threshold=round_.anonymity_threshold,
                         agencies_in_partnership=len(names), kept=kept_plan(round_))
    return RoundScores(round=round_, partnership=partnership, questionnaire=questionnaire,
                       result=result, invited=invited, collaboration=collaboration)


# --- The disclosure plan a round keeps from its close -----------------------------------------

def kept_plan(round_: AssessmentRound) -> disclosure.Plan | None:
    return disclosure.Plan.from_dict(round_.disclosure) if round_.disclosure else None


def shown_groups(round_: AssessmentRound, cells: disclosure.Cells, threshold: int
                 ) -> disclosure.Plan:
    """Which groups a figure over these people (cells by agency id) may show: the plan the
    round kept when it closed, or less (disclosure.keep); the rule's while it is open."""
    return disclosure.keep(kept_plan(round_), cells, threshold)


def counted_people(session: Session, round_: AssessmentRound
                   ) -> list[tuple[int, str, str | None]]:
    """(agency id, agency name, level) of each response the round counts."""
    rows = session.exec(
        select(Agency.id, Agency.name, Respondent.level, Respondent.submitted_at,
               Respondent.revoked_at)
        .join(Agency, Agency.id == Respondent.agency_id)
        .where(Respondent.round_id == round_.id, col(Respondent.submitted_at).is_not(None)))
    return [(agency_id, name, level) for agency_id, name, level, submitted, revoked in rows
            if counted(submitted, revoked, round_.closed_at)]


def freeze(session: Session, round_: AssessmentRound, *, tie_on_names: bool = False) -> None:
    """Keep the plan of what the closed round's results may show, by agency id (the caller
    commits). `tie_on_names`: settle equal choices on the agencies' names as they are now, as
    MAPS did before plans were kept, so a round closed then keeps the pattern it showed."""
    people = counted_people(session, round_)
    ids = {name: str(agency_id) for agency_id, name, _ in people}
    found = disclosure.plan(disclosure.cells_of(
        (name if tie_on_names else str(agency_id), level) for agency_id, name, level in people),
        round_.anonymity_threshold)
    if tie_on_names:
        found = dataclasses.replace(found, agencies=frozenset(ids[n] for n in found.agencies))
    round_.disclosure = found.to_dict()
    session.add(round_)


def freeze_missing(session: Session) -> int:
    """Keep a plan for each closed round that has none (closed before plans were kept), the
    pattern it showed until now, and commit; how many."""
    rounds = session.exec(select(AssessmentRound).where(
        AssessmentRound.status == RoundStatus.closed,
        col(AssessmentRound.disclosure).is_(None))).all()
    for round_ in rounds:
        freeze(session, round_, tie_on_names=True)
    session.commit()
    return len(rounds)


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
    summary.townsley, summary.gaster = (
        p.level if (p := result.placement(model)) else None for model in ("townsley", "gaster"))
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
