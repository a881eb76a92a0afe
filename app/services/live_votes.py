"""Live votes in the board's meeting: a question of the closed round asked again on members'
phones by a short code, one vote per device, never touching anyone's questionnaire answers.
The spread is shown once, when the vote closes, and only when app/meeting/live_vote.py allows
it beside the round's results."""

import hashlib
import secrets
from collections import Counter

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.meeting import live_vote
from app.models import (
    AssessmentRound,
    LiveVote,
    Partnership,
    RoundStatus,
    User,
    VoteBallot,
    utcnow,
)
from app.scoring.disclosure import Plan
from app.scoring.result import RoundResult
from app.services import audit, questionnaires, results
from app.services.errors import Invalid
from app.services.responses import ResponseError

# Crockford's base32: no I, L, O or U, so a code read off a projector is not misread.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 6
# What people type for a letter the code never holds.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
COUNTED, ALREADY, CLOSED = "counted", "already", "closed"


class NoSuchVote(ResponseError):
    def __init__(self):
        super().__init__(404, "There is no vote with that code",
                         "Check the code on the screen in the meeting and type it again. A "
                         "vote takes votes only while it is open.")


def round_plan(result: RoundResult) -> Plan:
    """What the round's results show: the plan a vote is judged against. (Read from the
    result, whatever decided it; a plan kept when the round closed would be read here.)"""
    return Plan(threshold=result.anonymity_threshold, whole=not result.partnership.suppressed,
                agencies=frozenset(g.name for g in result.groups
                                   if g.kind == "agency" and not g.suppressed),
                levels=frozenset(g.name for g in result.groups
                                 if g.kind == "level" and not g.suppressed))


def round_cells(session: Session, *, round_: AssessmentRound) -> Counter:
    """(agency, level) -> how many were counted in the round."""
    return Counter((r.agency, r.level) for r in results.round_answers(session, round_.id))


def judge(session: Session, *, vote: LiveVote, round_: AssessmentRound,
          result: RoundResult, votes: int | None = None) -> live_vote.Verdict:
    """Whether the vote's spread could be shown at `votes` (by default, as many as it has)."""
    count = vote.votes_cast if votes is None else votes
    return live_vote.verdict(round_cells(session, round_=round_), round_plan(result), count)


def vote_of(session: Session, *, round_: AssessmentRound, item_id: str) -> LiveVote | None:
    return session.exec(select(LiveVote).where(LiveVote.round_id == round_.id,
                                               LiveVote.item_id == item_id)).first()


def _new_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.exec(select(LiveVote.id).where(LiveVote.code == code)).first() is None:
            return code


def open_vote(session: Session, *, round_: AssessmentRound, partnership: Partnership,
              item_id: str, answered: int, user: User) -> LiveVote:
    """A vote on the question, taking votes until it closes; the question's vote if it
    already has one (a question is voted on once: see LiveVote)."""
    existing = vote_of(session, round_=round_, item_id=item_id)
    if existing is not None:
        return existing
    if round_.status != RoundStatus.closed:
        raise results.ResultsNotReady(round_)
    vote = LiveVote(round_id=round_.id, item_id=item_id, code=_new_code(session),
                    answered=answered)
    session.add(vote)
    session.flush()
    audit.record(session, action="live_vote_opened", user=user, round_=round_,
                 partnership=partnership, detail={"item": item_id, "vote_id": vote.id})
    session.commit()
    return vote


def close(session: Session, *, vote: LiveVote, round_: AssessmentRound,
          partnership: Partnership, result: RoundResult, user: User) -> LiveVote:
    """Stop taking votes and decide, once, whether its spread is shown."""
    closed = session.exec(update(LiveVote).where(
        col(LiveVote.id) == vote.id, col(LiveVote.closed_at).is_(None))
        .values(closed_at=utcnow()))
    session.refresh(vote)
    if closed.rowcount:
        vote.shown = judge(session, vote=vote, round_=round_, result=result).shown
        session.add(vote)
        audit.record(session, action="live_vote_closed", user=user, round_=round_,
                     partnership=partnership,
                     detail={"item": vote.item_id, "vote_id": vote.id,
                             "votes": vote.votes_cast, "shown": vote.shown})
    session.commit()
    return vote


def normalise(code: str) -> str:
    """A code as typed ("k7m 2qx", "K7M-2QX") as it is kept."""
    return "".join(c for c in code.upper().translate(_READ_AS) if c.isalnum())[:CODE_LENGTH * 2]


def find(session: Session, code: str) -> LiveVote:
    """The vote with this code, open or closed; NoSuchVote otherwise."""
    code = normalise(code)
    vote = session.exec(select(LiveVote).where(LiveVote.code == code)).first() if code else None
    if vote is None:
        raise NoSuchVote()
    return vote


def question_of(session: Session, *, vote: LiveVote, catalogue):
    """The round and the question the vote asks."""
    round_ = session.get(AssessmentRound, vote.round_id)
    questionnaire = questionnaires.as_asked(questionnaires.round_questionnaire(
        session, round_=round_, catalogue=catalogue), round_=round_)
    return round_, questionnaire.item(vote.item_id)


def device_of(vote: LiveVote, key: str) -> str:
    """The device's mark in this vote: its session key hashed with the vote's id."""
    return hashlib.sha256(f"{vote.id}:{key}".encode()).hexdigest()


def has_voted(session: Session, *, vote: LiveVote, key: str) -> bool:
    return session.exec(select(VoteBallot.id).where(
        VoteBallot.vote_id == vote.id, VoteBallot.device == device_of(vote, key))).first() \
        is not None


def cast(session: Session, *, vote: LiveVote, item, value: str, key: str) -> str:
    """Count one device's vote: COUNTED, ALREADY (this device has voted) or CLOSED. Invalid
    when the value is not one of the question's options. When as many have voted as were
    counted in the round, the vote closes, its spread shown (they may all be the round's
    respondents, whose answers' total the round already shows)."""
    if item.scale.option(value) is None:
        raise Invalid({"answer": "Select an answer"})
    session.add(VoteBallot(vote_id=vote.id, device=device_of(vote, key), value=value))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return ALREADY
    # Counted only while open and short of the round's number: the database row decides, so
    # two phones voting at once on two app processes cannot both take the last place.
    counted = session.exec(update(LiveVote).where(
        col(LiveVote.id) == vote.id, col(LiveVote.closed_at).is_(None),
        col(LiveVote.votes_cast) < col(LiveVote.answered))
        .values(votes_cast=col(LiveVote.votes_cast) + 1))
    if not counted.rowcount:
        session.rollback()
        return CLOSED
    full = session.exec(update(LiveVote).where(
        col(LiveVote.id) == vote.id, col(LiveVote.closed_at).is_(None),
        col(LiveVote.votes_cast) >= col(LiveVote.answered))
        .values(closed_at=utcnow(), shown=True))
    if full.rowcount:
        round_ = session.get(AssessmentRound, vote.round_id)
        audit.record(session, action="live_vote_closed", round_=round_,
                     partnership=session.get(Partnership, round_.partnership_id),
                     detail={"item": vote.item_id, "vote_id": vote.id,
                             "votes": vote.answered, "shown": True, "change": "all voted"})
    session.commit()
    return COUNTED


def ballots(session: Session, *, vote: LiveVote) -> list[str]:
    """The values voted, in no particular order; only for a vote whose spread is shown."""
    if not vote.shown:
        return []
    return sorted(session.exec(select(VoteBallot.value).where(VoteBallot.vote_id == vote.id)))
