"""Closed rounds whose boards disagree, and their discussions, for the meeting's tests."""

from datetime import UTC, datetime

from sqlmodel import select

from app.models import Agency, AgendaItem, Answer, AssessmentRound, BoardMeeting
from app.scoring.scores import is_marker
from tests.factories import close, make_invite
from tests.report_helpers import best, worst

MEETING_DATE = {"held-on-day": "14", "held-on-month": "5", "held-on-year": "2027"}


def divided_round(session, round_: AssessmentRound, core, people: int = 6, *, levels=None,
                  opinion=None) -> AssessmentRound:
    """`people` submitted responses across the partnership's agencies: the facts as everyone
    sees them, every opinion split (the first half at the worst end, the rest at the best,
    or `opinion(item, n)`); levels alternate unless given; closed."""
    agencies = session.exec(select(Agency).where(
        Agency.partnership_id == round_.partnership_id)).all()
    for n in range(people):
        level = levels[n] if levels else ("strategic", "operational")[n % 2]
        respondent, _ = make_invite(session, round_, agency_id=agencies[n % len(agencies)].id,
                                    level=level)
        for item in core.items:
            if not item.scale.scored:
                continue
            if is_marker(core, item):
                value = best(item)
            elif opinion is not None:
                value = opinion(item, n)
            else:
                value = worst(item) if n < people // 2 else best(item)
            session.add(Answer(respondent_id=respondent.id, item_id=item.id, value=value))
        respondent.submitted_at = datetime.now(UTC)
        session.add(respondent)
    session.commit()
    return close(session, round_)


def agenda_of(session, round_: AssessmentRound) -> list[AgendaItem]:
    meeting = session.exec(select(BoardMeeting).where(BoardMeeting.round_id == round_.id)).one()
    return list(session.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                             .order_by(AgendaItem.position)))
