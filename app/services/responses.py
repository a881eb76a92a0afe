"""A board member's response: invite tokens, claiming a link, saving answers, submitting."""

import hashlib
import hmac
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import bindparam, func
from sqlalchemy import update as sql_update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.clock import uk_time
from app.models import (
    Agency,
    Answer,
    AssessmentRound,
    AuditEvent,
    Organisation,
    Partnership,
    PartnershipCoordinator,
    Respondent,
    RoundStatus,
    User,
    utcnow,
)
from app.questionnaires.schema import Questionnaire
from app.services import audit

MAX_COMMENT = 4000
COMMENT_PREFIX = "comment__"
CSRF_FIELD = "csrftoken"  # every form's token (app/web/csrf.py), not an answer
def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    # 24 random bytes: 192 bits, well over the 128 an invite link needs.
    return secrets.token_urlsafe(24)


def invite(session: Session, *, round_: AssessmentRound, name: str = "", email: str = "",
           agency_id: int | None = None, level: str | None = None) -> tuple[Respondent, str]:
    """Add a respondent to a round; the token is returned once and only its hash is kept."""
    token = new_token()
    respondent = Respondent(round_id=round_.id, name=name, email=email, agency_id=agency_id,
                            level=level, token_hash=hash_token(token))
    session.add(respondent)
    session.flush()
    return respondent, token


class ResponseError(Exception):
    """Something about this link or request that the board member needs to be told."""

    def __init__(self, status: int, heading: str, message: str):
        super().__init__(message)
        self.status, self.heading, self.message = status, heading, message


@dataclass
class Invitation:
    respondent: Respondent
    round: AssessmentRound
    questionnaire: Questionnaire


# Every autosave runs these, so they are built once: building a statement (and its cache key)
# cost more than running it.
_INVITATION = (select(Respondent, AssessmentRound)
               .join(AssessmentRound, AssessmentRound.id == Respondent.round_id)
               .where(Respondent.token_hash == bindparam("token_hash")))
_ANSWERED = select(Answer.item_id).where(Answer.respondent_id == bindparam("respondent_id"),
                                         col(Answer.value).is_not(None))
_ANSWERED_OTHERS = (select(func.count()).select_from(Answer)
                    .where(Answer.respondent_id == bindparam("respondent_id"),
                           col(Answer.value).is_not(None),
                           col(Answer.item_id).not_in(bindparam("saving", expanding=True))))


def open_invitation(session: Session, token: str, catalogue) -> Invitation:
    # The respondent and their round in one query.
    respondent, round_ = session.exec(
        _INVITATION, params={"token_hash": hash_token(token)}).first() or (None, None)
    if respondent is None:
        raise ResponseError(404, "We could not find this invitation",
                            "The link may have been copied wrongly. Check it against your "
                            "invitation, or ask your partnership coordinator for a new one.")
    if respondent.revoked_at is not None:
        raise ResponseError(410, "This invitation link has been withdrawn",
                            "Your partnership coordinator has withdrawn this link. Ask them "
                            "for a new one; answers you already saved are kept.")
    from app.services import questionnaires  # it imports this module

    questionnaire = questionnaires.find_round_questionnaire(session, round_=round_,
                                                            catalogue=catalogue)
    part = questionnaires.find_part(session, round_=round_, catalogue=catalogue)
    if questionnaire is None or (round_.part_key is not None and part is None):
        missing = (round_.questionnaire_key, round_.questionnaire_version) \
            if questionnaire is None else (round_.part_key, round_.part_version)
        raise ResponseError(500, "This questionnaire is not available",
                            f"Version {missing[1]} of '{missing[0]}' is not installed. Tell "
                            "your partnership coordinator.")
    # Roster items are asked about the round's partner agencies, kept on the round: no read
    # beyond the invitation's own, so an autosave costs what it did.
    return Invitation(respondent, round_, questionnaires.as_asked(
        questionnaire, round_=round_, part=part, own_agency_id=respondent.agency_id))


# --- Claiming a link ------------------------------------------------------------------------
# The first browser to start with a link claims it and keeps a resume code in a cookie. From
# then on only a browser presenting that code sees or changes the response, whoever else holds
# the link: the coordinator who sent it, someone it was forwarded to, a reissued link.

# Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 80 bits: far beyond guessing, however many tries


def new_resume_code() -> str:
    return format_code("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))


def normalise_code(text: str) -> str:
    """A typed code as stored: case, spaces and dashes ignored, look-alike letters mapped."""
    text = text.upper().translate(str.maketrans("OIL", "011"))
    return "".join(c for c in text if c in CODE_ALPHABET)


def format_code(text: str) -> str:
    """A code in groups of four, as MAPS shows it: 7KQ2-9XMP-4RTW-F2HN."""
    code = normalise_code(text)
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def _code_hash(code: str) -> str:
    return hashlib.sha256(f"resume:{normalise_code(code)}".encode()).hexdigest()


def holds_claim(respondent: Respondent, code: str | None) -> bool:
    """Whether this code (from a cookie or typed) opens the response."""
    if not code or respondent.resume_hash is None:
        return False
    return hmac.compare_digest(_code_hash(code), respondent.resume_hash)


def claim(session: Session, respondent: Respondent) -> str:
    """Claim an unclaimed link for the browser starting now; returns its resume code, which
    is kept only as a hash (and in that browser)."""
    code = new_resume_code()
    # One statement, so of two browsers starting at once exactly one claims the link.
    claimed = session.exec(sql_update(Respondent).where(
        Respondent.id == respondent.id, col(Respondent.claimed_at).is_(None),
    ).values(resume_hash=_code_hash(code), claimed_at=utcnow()))
    session.commit()
    session.refresh(respondent)
    if claimed.rowcount != 1:
        raise ResponseError(409, "This link has already been used",
                            "Someone started with this link in another browser. If that was "
                            "you, enter your resume code.")
    return code


# Claims that may be a made-up respondent's (docs/privacy.md, "Where the promise stops"): the
# coordinator holds every link, so they could answer as people they invited at addresses of
# their own, and make a small agency look large enough to be shown.
CLAIM_FLAGS = ("claim_same_browser", "claim_signed_in")


def flag_claim(session: Session, *, respondent: Respondent, round_: AssessmentRound,
               codes: Mapping[int, str], user: User | None) -> list[tuple[str, dict]]:
    """After a claim: record in the audit log if this browser had already started another
    invitation of the round (`codes`: the resume codes it holds, by respondent id), or is
    signed in to MAPS as an account of the round's organisation other than the invitee (a
    coordinator answering their own invitation is not flagged). The claim stands either way.
    Returns the flags recorded, as (audit action, detail)."""
    flags = []
    others = session.exec(select(Respondent).where(
        Respondent.round_id == round_.id, Respondent.id != respondent.id,
        col(Respondent.id).in_(list(codes)))).all()
    also = sorted(o.email for o in others if holds_claim(o, codes[o.id]))
    if also:
        flags.append(("claim_same_browser", {"email": respondent.email, "also": also}))
    organisation_id = session.get(Partnership, round_.partnership_id).organisation_id
    # Only an account of the round's own organisation (who may see its results) is named: one
    # of another organisation is none of this one's business, nor its email address.
    ours = user if user is not None and user.organisation_id == organisation_id else None
    if ours is not None and ours.email != respondent.email.lower():
        flags.append(("claim_signed_in", {"email": respondent.email, "account": ours.email}))
    for action, detail in flags:
        audit.record(session, action=action, user=ours, round_=round_,
                     organisation_id=organisation_id, detail=detail)
    session.commit()
    return flags


def claim_flags(session: Session, round_: AssessmentRound) -> list[AuditEvent]:
    """The round's flagged claims, oldest first."""
    return list(session.exec(select(AuditEvent).where(
        AuditEvent.round_id == round_.id, col(AuditEvent.action).in_(CLAIM_FLAGS))
        .order_by(col(AuditEvent.at), col(AuditEvent.id))))
def move_claim(session: Session, respondent: Respondent, *, only_if, also: dict) -> str | None:
    """Claim the link for the browser carrying on now, whoever held it: a new resume code, so
    the old one (and the browser keeping it) no longer opens the response. One statement,
    made only while `only_if` (a condition on the respondent's row) holds and setting `also`
    with it, so that of two browsers at once exactly one carries on; None if the condition
    failed. The caller commits."""
    code = new_resume_code()
    moved = session.exec(sql_update(Respondent).where(Respondent.id == respondent.id, only_if)
                         .values(resume_hash=_code_hash(code),
                                 claimed_at=func.coalesce(Respondent.claimed_at, utcnow()),
                                 **also))
    return code if moved.rowcount == 1 else None


def sealed_items(respondent: Respondent, answers: Mapping[str, Answer]) -> set[str]:
    """The items whose answers were saved before the coordinator last let the member start
    again in a new browser: kept and counted, never shown again in any browser, since the
    one that started again may be anyone holding the link."""
    released = respondent.claim_released_at
    if released is None:
        return set()
    return {item_id for item_id, answer in answers.items() if answer.updated_at <= released}


def is_open(round_: AssessmentRound, now: datetime | None = None) -> bool:
    now = now or datetime.now(UTC)
    return round_.status == RoundStatus.open and round_.opens_at <= now < round_.closes_at


def require_round_open(invitation: Invitation) -> None:
    if not is_open(invitation.round):
        closes = uk_time(invitation.round.closing_date).strftime("%-d %B %Y")
        raise ResponseError(409, "This assessment round is closed",
                            f"The round closed on {closes}, so answers can no longer be "
                            "changed. Answers you saved before it closed are kept.")


def require_editable(invitation: Invitation) -> None:
    require_round_open(invitation)
    if invitation.respondent.submitted_at is not None:
        raise ResponseError(409, "You have already submitted your answers",
                            "Your response is locked. If you need to change it, ask your "
                            "partnership coordinator to reopen it.")


@dataclass
class ParsedAnswers:
    values: dict[str, str]
    comments: dict[str, str | None]
    errors: dict[str, str]  # item id (or field) -> what was wrong


def parse_answer_form(form: Mapping[str, str], questionnaire: Questionnaire, *,
                      only: Collection[str] | None = None) -> ParsedAnswers:
    """Read item answers and comments from a posted form, checking each against the round's
    questionnaire version (and, given `only`, the item ids of the page that posted it).
    Unknown fields that look like answers are errors, not ignored."""
    parsed = ParsedAnswers({}, {}, {})
    for name, raw in form.items():
        if name.startswith("_") or name == CSRF_FIELD:
            continue
        is_comment = name.startswith(COMMENT_PREFIX)
        item_id = name.removeprefix(COMMENT_PREFIX)
        item = questionnaire.item(item_id)
        if item is None or (only is not None and item_id not in only):
            parsed.errors[item_id] = (f"'{item_id}' is not a question on this page of "
                                      f"{questionnaire.title} (version {questionnaire.version}).")
            continue
        if not isinstance(raw, str):
            parsed.errors[item_id] = "A file was sent where an answer was expected."
            continue
        if is_comment:
            text = raw.strip()
            if len(text) > MAX_COMMENT:
                parsed.errors[item_id] = (f"Your comment is {len(text):,} characters long; "
                                          f"comments can be up to {MAX_COMMENT:,} characters.")
            elif "\x00" in text:
                # Invisible, never typed, and PostgreSQL cannot store it in text.
                parsed.errors[item_id] = ("Your comment contains a null character, which "
                                          "cannot be saved. Remove it and try again.")
            else:
                parsed.comments[item_id] = text or None
            continue
        if item.scale.option(raw.strip()) is None:
            allowed = ", ".join(o.label for o in item.scale.options)
            parsed.errors[item_id] = (f"“{raw[:40]}” is not one of the answers to this question. "
                                      f"Choose one of: {allowed}.")
            continue
        parsed.values[item_id] = raw.strip()
    return parsed


@dataclass(frozen=True)
class Saved:
    count: int  # answers and comments stored
    at: datetime  # their time of saving, as stored


def save_answers(session: Session, respondent: Respondent, parsed: ParsedAnswers) -> Saved:
    """Insert or update each answer in one statement per item, so two tabs saving at once
    leave exactly one row per item (the last write wins), and commit. A comment sent on its
    own is kept in the item's row, with no answer until one is chosen."""
    now = utcnow()
    # The statements go to the session's connection as plain SQL: through the ORM (which
    # has no objects to keep in step here) each one cost several times as much.
    connection = session.connection()
    if respondent.claim_released_at is not None:
        parsed = _replacing_sealed(session, respondent, parsed)
    saved = 0
    for item_id in sorted(set(parsed.values) | set(parsed.comments)):
        row = {"b_respondent_id": respondent.id, "b_item_id": item_id, "b_updated_at": now}
        if item_id in parsed.comments:
            row["b_comment"] = parsed.comments[item_id]
        if item_id in parsed.values:
            row["b_value"] = parsed.values[item_id]
        connection.execute(_upsert(connection.dialect.name, "b_value" in row,
                                   "b_comment" in row), row)
        saved += 1
    if respondent.started_at is None:
        respondent.started_at = now
        session.add(respondent)
    session.commit()
    return Saved(saved, now)


def _replacing_sealed(session: Session, respondent: Respondent,
                      parsed: ParsedAnswers) -> ParsedAnswers:
    """What to save of `parsed` where some of its items have sealed answers (sealed_items):
    an item left untouched (nothing chosen, its comment box empty, as a page's form sends
    every box) keeps its sealed answer; any other change replaces the sealed answer and its
    comment whole, so that no part of them ever shows again."""
    touched = set(parsed.values) | set(parsed.comments)
    rows = session.exec(select(Answer).where(Answer.respondent_id == respondent.id,
                                             col(Answer.item_id).in_(touched))).all()
    sealed = sealed_items(respondent, {a.item_id: a for a in rows})
    untouched = {i for i in sealed if i not in parsed.values and not parsed.comments.get(i)}
    for row in rows:
        if row.item_id in sealed - untouched:
            session.delete(row)
    session.flush()
    return ParsedAnswers(parsed.values,
                         {k: v for k, v in parsed.comments.items() if k not in untouched},
                         parsed.errors)


@cache
def _upsert(dialect: str, with_value: bool, with_comment: bool):
    """Insert an item's row, or update the one already there: the answer and the comment, each
    only when one was sent (a comment saved on its own leaves the row's answer empty until one
    is chosen). Built once per database and shape; parameters are named b_<column>."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    columns = (["value"] if with_value else []) + (["comment"] if with_comment else [])
    columns.append("updated_at")
    statement = insert(Answer).values(respondent_id=bindparam("b_respondent_id"),
                                      item_id=bindparam("b_item_id"),
                                      **{c: bindparam(f"b_{c}") for c in columns})
    return statement.on_conflict_do_update(index_elements=["respondent_id", "item_id"],
                                           set_={c: statement.excluded[c] for c in columns})


def answers_of(session: Session, respondent: Respondent) -> dict[str, Answer]:
    """Every saved row, by item: an answer, a comment, or both (value None: no answer yet)."""
    rows = session.exec(select(Answer).where(Answer.respondent_id == respondent.id)).all()
    return {a.item_id: a for a in rows}


def answered(answers: Mapping[str, Answer]) -> set[str]:
    """The items that have an answer (a comment alone is not one)."""
    return {item_id for item_id, a in answers.items() if a.value is not None}


def last_saved(answers: Mapping[str, Answer]) -> datetime | None:
    """When the respondent last saved an answer or a comment."""
    return max((a.updated_at for a in answers.values()), default=None)


@dataclass(frozen=True)
class Progress:
    answered: int
    total: int


def progress(answered: Collection[str], questionnaire: Questionnaire) -> Progress:
    """How many of the version's questions are among the `answered` item ids."""
    items = questionnaire.items
    return Progress(answered=sum(1 for i in items if i.id in answered), total=len(items))


def progress_once_saved(session: Session, invitation: Invitation,
                        parsed: ParsedAnswers) -> Progress:
    """The respondent's progress as it will be once `parsed` is saved, read before saving, in
    the invitation's transaction (so the save's commit ends the request's database work): the
    questions answered apart from those being saved, and those. A comment alone is not an
    answer."""
    questionnaire = invitation.questionnaire
    params = {"respondent_id": invitation.respondent.id}
    if questionnaire.asks_about_agencies:
        # Asked about each partner agency but their own: a respondent who has changed agency
        # may hold answers about the new one, no longer asked. So the ids are read and matched.
        answered = {item_id for (item_id,) in session.connection().execute(
            _ANSWERED, params).fetchall()}
        return progress(answered | parsed.values.keys(), questionnaire)
    # Otherwise every answer stored is to one of the questions (each is checked against the
    # questionnaire), so a count will do: reading the ids cost a sixth of every autosave.
    others = session.connection().execute(
        _ANSWERED_OTHERS, {**params, "saving": list(parsed.values)}).scalar_one()
    return Progress(answered=others + len(parsed.values), total=len(questionnaire.items))


def confirm_about(session: Session, invitation: Invitation, agency_id: str | None,
                  level: str | None) -> dict[str, str]:
    """Record the respondent's agency and level; returns field errors, empty when saved."""
    errors = {}
    agencies = {str(a.id) for a in session.exec(
        select(Agency).where(Agency.partnership_id == invitation.round.partnership_id))}
    if agency_id not in agencies:
        errors["agency"] = "Select the agency you represent on this partnership"
    if level not in ("strategic", "operational"):
        errors["level"] = "Select whether you work at strategic or operational level"
    if not errors:
        invitation.respondent.agency_id = int(agency_id)
        invitation.respondent.level = level
        session.add(invitation.respondent)
        session.commit()
    return errors


@dataclass(frozen=True)
class Asker:
    """Who asks the board to answer: the partnership, its organisation, its coordinators."""

    partnership: str
    organisation: str
    coordinators: tuple[str, ...]


def who_is_asking(session: Session, *, round_: AssessmentRound) -> Asker:
    partnership, organisation = session.exec(
        select(Partnership.name, Organisation.name)
        .join(Organisation, Organisation.id == Partnership.organisation_id)
        .where(Partnership.id == round_.partnership_id)).one()
    coordinators = session.exec(
        select(User.name, User.email)
        .join(PartnershipCoordinator, PartnershipCoordinator.user_id == User.id)
        .where(PartnershipCoordinator.partnership_id == round_.partnership_id,
               col(User.removed_at).is_(None))
        .order_by(User.name, User.email)).all()
    return Asker(partnership, organisation, tuple(name or email for name, email in coordinators))


def submit(session: Session, respondent: Respondent) -> None:
    respondent.submitted_at = utcnow()
    session.add(respondent)
    session.commit()
