"""Running a round: opening and closing it, inviting board members (one by one or from a CSV
file), their links, response rates and reminders."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import case, func
from sqlalchemy import update as sql_update
from sqlmodel import Session, col, select

from app.clock import UK, end_of_uk_day, uk_time
from app.models import (
    Agency,
    Answer,
    AssessmentRound,
    Level,
    Partnership,
    Respondent,
    RoundStatus,
    User,
    utcnow,
)
from app.questionnaires.loader import COLLABORATION_KEY, CORE_KEY
from app.scoring import disclosure
from app.scoring.collaboration import MAP_TAG, MAP_VALUE
from app.services import audit, questionnaires, results
from app.services.errors import Invalid
from app.services.inputs import (
    BadDate,
    control_character_problem,
    is_email,
    name_problem,
    parse_date,
    parse_whole_number,
)
from app.services.responses import (
    Progress,
    ResponseError,
    hash_token,
    invite,
    is_open,
    new_token,
    progress,
)

MAX_THRESHOLD = 50


class RoundLocked(ResponseError):
    """An action the round's state does not allow (closed, past its date, already done)."""

    def __init__(self, message: str, heading: str = "This round is closed"):
        super().__init__(409, heading, message)


def _closing_time(day: str, month: str, year: str) -> datetime:
    """The end of the chosen day in the UK, as UTC."""
    try:
        chosen = parse_date(day, month, year)
    except BadDate as exc:
        raise Invalid({"closes": f"The closing date {exc}"}) from None
    if chosen is None:
        raise Invalid({"closes": "Enter the closing date"})
    today = datetime.now(UK).date()
    if chosen <= today:
        raise Invalid({"closes": "The closing date must be in the future"})
    if chosen > today + timedelta(days=366):
        raise Invalid({"closes": "The closing date must be within a year from today"})
    return end_of_uk_day(chosen)


def open_round(session: Session, *, partnership: Partnership, catalogue, questionnaire: str,
               title: str, day: str, month: str, year: str, threshold: str,
               min_threshold: int, opened_by: User,
               collaboration: bool = False) -> AssessmentRound:
    """A round open from now until the end of its closing date, with an anonymity threshold
    of at least the site's minimum; with `collaboration`, a core-instrument round asks the
    Levels of Collaboration Scale as well, as an optional part."""
    errors = {}
    chosen = questionnaires.choose(session, organisation_id=partnership.organisation_id,
                                   catalogue=catalogue, ref=questionnaire)
    if chosen is None:
        errors["questionnaire"] = "Select the questionnaire for this round"
    part, roster = None, None
    if chosen is not None:
        part, roster, problem = _part_and_roster(session, partnership, catalogue, chosen,
                                                 collaboration)
        if problem:
            errors["collaboration" if collaboration else "questionnaire"] = problem
    count = session.exec(select(func.count()).select_from(AssessmentRound).where(
        AssessmentRound.partnership_id == partnership.id)).one()
    title = title.strip() or f"Round {count + 1}"
    if problem := name_problem(title, "title"):
        errors["title"] = problem
    try:
        closes_at = _closing_time(day, month, year)
    except Invalid as exc:
        errors.update(exc.errors)
    threshold_number = parse_whole_number(threshold, low=min_threshold, high=MAX_THRESHOLD)
    if threshold_number is None:
        errors["threshold"] = (f"Enter a whole number from {min_threshold} to {MAX_THRESHOLD}: "
                               f"MAPS never shows a group smaller than {min_threshold}")
    if errors:
        raise Invalid(errors)
    now = utcnow()
    already = [r for r in session.exec(select(AssessmentRound).where(
        AssessmentRound.partnership_id == partnership.id,
        AssessmentRound.status == RoundStatus.open)) if is_open(r, now)]
    if already:
        raise Invalid({"questionnaire": f"‘{already[0].title}’ is still open: close it before "
                                        "opening another round"})
    round_ = AssessmentRound(
        partnership_id=partnership.id, title=title, questionnaire_key=chosen.key,
        questionnaire_version=chosen.version, opens_at=now, closes_at=closes_at,
        questionnaire_sha256=questionnaires.keep_text(session, instrument=chosen),
        status=RoundStatus.open, anonymity_threshold=threshold_number, roster=roster)
    if part is not None:
        round_.part_key, round_.part_version = part.key, part.version
        round_.part_sha256 = questionnaires.keep_text(session, instrument=part)
    session.add(round_)
    session.flush()
    audit.record(session, action="round_opened", user=opened_by, round_=round_,
                 partnership=partnership,
                 detail={"title": title, "questionnaire": chosen.ref,
                         "part": part.ref if part else None,
                         "closes": closes_at.isoformat(), "threshold": threshold_number})
    session.commit()
    return round_


def _part_and_roster(session: Session, partnership: Partnership, catalogue, chosen,
                     collaboration: bool):
    """The optional part a round asks (the Levels of Collaboration Scale, beside the core
    instrument only) and the roster its roster items ask about: the partnership's agencies
    now, kept on the round. Returns (part, roster, what is wrong)."""
    part = catalogue.instrument(COLLABORATION_KEY) if collaboration else None
    if collaboration and (chosen.key != CORE_KEY or part is None):
        return None, None, ("The Levels of Collaboration Scale can be added only to a round "
                            "of the core questionnaire. To ask it on its own, choose it as "
                            "the questionnaire.")
    asks = [i.questionnaire for i in (chosen, part) if i is not None]
    if not any(q.has_roster for q in asks):
        return part, None, None
    agencies = session.exec(select(Agency).where(Agency.partnership_id == partnership.id)
                            .order_by(Agency.name)).all()
    if len(agencies) < 2:
        return None, None, ("This questionnaire asks each agency about the others: add the "
                            "partnership's agencies first (at least two).")
    return part, [[a.id, a.name] for a in agencies], None


def close_round(session: Session, *, round_: AssessmentRound, partnership: Partnership,
                closed_by: User, catalogue, min_threshold: int) -> None:
    """Close the round: who is counted is fixed now, and so are the threshold (raised to the
    site's minimum if that has risen since it opened) and which groups its results may show.
    Results exist from now on only, and never change: showing one table under two
    suppression patterns could give away by subtraction what each hides."""
    # One conditional UPDATE: of several closes at once (a double click, two coordinators),
    # exactly one changes the row and goes on to keep the scores and write the audit entry.
    closed = session.exec(sql_update(AssessmentRound).where(
        AssessmentRound.id == round_.id, AssessmentRound.status != RoundStatus.closed,
    ).values(status=RoundStatus.closed, closed_at=utcnow(),
             anonymity_threshold=case(
                 (AssessmentRound.anonymity_threshold < min_threshold, min_threshold),
                 else_=AssessmentRound.anonymity_threshold)))
    if closed.rowcount != 1:  # nothing changed: the caller's session ends its transaction
        raise RoundLocked("This round is already closed; its results are final.")
    session.refresh(round_)
    # Results are final once closed: keep what they may show, and the headline scores for
    # comparisons.
    results.freeze(session, round_)
    results.summarise(session, round_, catalogue)
    audit.record(session, action="round_closed", user=closed_by, round_=round_,
                 partnership=partnership, detail={"title": round_.title})
    session.commit()


def require_open(round_: AssessmentRound) -> None:
    if round_.status == RoundStatus.closed:
        raise RoundLocked("This round is closed, so its invitations cannot change. Its results "
                          "are final.")
    if not is_open(round_):
        raise RoundLocked("This round's closing date has passed, so its invitations cannot "
                          "change. Close the round to make its results final.",
                          heading="This round's closing date has passed")


# --- Invitations -----------------------------------------------------------------------------

@dataclass(frozen=True)
class NewInvite:
    name: str
    email: str
    agency: Agency
    level: Level | None


def person_problems(name: str, email: str, level: str) -> dict[str, tuple[str, str]]:
    """Field -> (what is wrong, what to do), shared by the form and the CSV file."""
    problems = {}
    if not name:
        problems["name"] = ("The name is empty", "Enter the board member's full name")
    elif len(name) > 200:
        problems["name"] = ("The name is longer than 200 characters", "Shorten the name")
    elif problem := control_character_problem(name):
        problems["name"] = (f"The name {problem.split(':')[0]}", "Type the name again")
    if not email:
        problems["email"] = ("The email address is empty", "Enter the board member's email "
                             "address, like name@example.org")
    elif problem := control_character_problem(email):
        problems["email"] = (f"The email address {problem.split(':')[0]}",
                             "Type the address again")
    elif not is_email(email):
        problems["email"] = (f"‘{email[:80]}’ is not an email address",
                             "Enter an email address in the correct format, like "
                             "name@example.org")
    if level and level not in {lv.value for lv in Level}:
        problems["level"] = (f"‘{level[:40]}’ is not a level",
                             "Enter strategic or operational, or leave it empty for the board "
                             "member to choose")
    return problems


def invited_emails(session: Session, round_: AssessmentRound) -> set[str]:
    return {e.lower() for e in session.exec(select(Respondent.email).where(
        Respondent.round_id == round_.id, col(Respondent.revoked_at).is_(None))) if e}


PERSON_FIELDS = ("name", "email", "agency", "level")


def _one_person(person: dict[str, str], agencies: list[Agency],
                taken: set[str]) -> tuple[NewInvite | None, dict[str, str]]:
    """A board member as typed (name, email, agency id, level): the invite, or each field's
    problem in the order of the form's fields."""
    name = person.get("name", "").strip()
    email = person.get("email", "").strip().lower()
    level = person.get("level", "").strip().lower()
    errors = {field: f"{problem}. {fix}" for field, (problem, fix)
              in person_problems(name, email, level).items()}
    if "email" not in errors and email in taken:
        errors["email"] = f"{email} is already invited to this round"
    agency = next((a for a in agencies if str(a.id) == person.get("agency", "")), None)
    if agency is None:
        errors["agency"] = ("Select the agency the board member represents"
                            if agencies else "Add the partnership's agencies first")
    if errors:
        return None, {f: errors[f] for f in PERSON_FIELDS if f in errors}
    return NewInvite(name, email, agency, Level(level) if level else None), {}


def check_invite(session: Session, *, round_: AssessmentRound, agencies: list[Agency],
                 name: str, email: str, agency_id: str, level: str) -> NewInvite:
    """One board member from the form: Invalid with every field's problem, or the invite."""
    new, errors = _one_person({"name": name, "email": email, "agency": agency_id,
                               "level": level}, agencies, invited_emails(session, round_))
    if errors:
        raise Invalid(errors)
    return new


def is_blank(person: dict[str, str]) -> bool:
    # The level's "let them choose" is empty too; a row is blank when nothing was typed.
    return not any(person.get(f, "").strip() for f in ("name", "email", "agency"))


def check_invites(session: Session, *, round_: AssessmentRound, agencies: list[Agency],
                  people: list[dict[str, str]]) -> list[NewInvite]:
    """Several board members from rows of the form (blank rows left out): every invite, or
    Invalid with each problem keyed `field-row` (rows numbered from 1), so that nothing is
    saved while any row is wrong."""
    taken = invited_emails(session, round_)
    invites, errors = [], {}
    for number, person in enumerate(people, start=1):
        if is_blank(person):
            continue
        new, problems = _one_person(person, agencies, taken)
        errors.update({f"{field}-{number}": f"Board member {number}: {message}"
                       for field, message in problems.items()})
        if new is not None:
            invites.append(new)
            taken = taken | {new.email}
    if not errors and not invites:
        errors["name-1"] = "Board member 1: Enter at least one board member"
    if errors:
        raise Invalid(errors)
    return invites


def add_invites(session: Session, *, round_: AssessmentRound, partnership: Partnership,
                invites: list[NewInvite], added_by: User,
                source: str = "form") -> list[tuple[Respondent, str]]:
    """Save every invite in one transaction; returns each with its token, which is not kept."""
    require_open(round_)
    created = [invite(session, round_=round_, name=i.name, email=i.email,
                      agency_id=i.agency.id, level=i.level) for i in invites]
    if source == "csv":
        audit.record(session, action="invites_uploaded", user=added_by, round_=round_,
                     partnership=partnership,
                     detail={"count": len(invites), "emails": [i.email for i in invites]})
    else:
        for i in invites:
            audit.record(session, action="invite_added", user=added_by, round_=round_,
                         partnership=partnership,
                         detail={"email": i.email, "agency": i.agency.name})
    session.commit()
    return created


def reissue(session: Session, *, round_: AssessmentRound, partnership: Partnership,
            respondent: Respondent, reissued_by: User) -> str:
    """A new link for the same response (answers kept); the old link stops working. A
    withdrawn invite comes back with the new link. A claimed response stays claimed: the new
    link opens it only in the respondent's browser, or with their resume code."""
    require_open(round_)
    token = new_token()
    respondent.token_hash = hash_token(token)
    restored = respondent.revoked_at is not None
    respondent.revoked_at = None
    session.add(respondent)
    audit.record(session, action="invite_reissued", user=reissued_by, round_=round_,
                 partnership=partnership,
                 detail={"email": respondent.email, "respondent": respondent.id,
                         "restored": restored})
    session.commit()
    return token


def revoke(session: Session, *, round_: AssessmentRound, partnership: Partnership,
           respondent: Respondent, revoked_by: User) -> None:
    require_open(round_)
    if respondent.revoked_at is not None:
        return
    respondent.revoked_at = utcnow()
    _keep(session, respondent, action="invite_revoked", user=revoked_by, round_=round_,
          partnership=partnership)


def _keep(session: Session, respondent: Respondent, *, action: str, user: User,
          round_: AssessmentRound, partnership: Partnership) -> None:
    """Save a change to one invitation with its audit event, in one commit."""
    session.add(respondent)
    audit.record(session, action=action, user=user, round_=round_, partnership=partnership,
                 detail={"email": respondent.email, "respondent": respondent.id})
    session.commit()


def _require_invited(respondent: Respondent) -> None:
    if respondent.revoked_at is not None:
        raise RoundLocked("This invitation has been withdrawn. Reissue the link first.",
                          heading="This invitation has been withdrawn")


def reopen(session: Session, *, round_: AssessmentRound, partnership: Partnership,
           respondent: Respondent, reopened_by: User) -> None:
    require_open(round_)
    _require_invited(respondent)
    if respondent.submitted_at is None:
        return
    respondent.submitted_at = None
    _keep(session, respondent, action="response_reopened", user=reopened_by, round_=round_,
          partnership=partnership)


def release_claim(session: Session, *, round_: AssessmentRound, partnership: Partnership,
                  respondent: Respondent, released_by: User) -> None:
    """Let the member start again in a new browser, for one who has lost the browser they
    started in and its resume code: the link's claim is cleared, so the next browser to
    choose Start with it carries on. The answers saved so far are kept and counted, but
    sealed (responses.sealed_items): whoever holds the link, the coordinator included, may
    be the next to start, so no browser shows them again. A link to carry on emailed before
    stops working."""
    require_open(round_)
    _require_invited(respondent)
    if respondent.claimed_at is None:
        return
    respondent.claimed_at = respondent.resume_hash = respondent.carry_on_hash = None
    respondent.claim_released_at = utcnow()
    _keep(session, respondent, action="claim_released", user=released_by, round_=round_,
          partnership=partnership)


def links_of_round(session: Session, round_: AssessmentRound,
                   tokens: list[str]) -> list[tuple[Respondent, str]]:
    """The tokens (from a page just shown) that are live links to this round, with their
    respondents: a download can only ever hold this round's own links."""
    found = []
    for token in dict.fromkeys(t.strip() for t in tokens if t.strip()):
        respondent = session.exec(select(Respondent).where(
            Respondent.token_hash == hash_token(token), Respondent.round_id == round_.id,
            col(Respondent.revoked_at).is_(None))).first()
        if respondent is not None:
            found.append((respondent, token))
    return found


# --- Watching a round ------------------------------------------------------------------------

@dataclass
class Rate:
    label: str
    invited: int = 0
    started: int = 0
    submitted: int | None = 0  # None: withheld, as the results would withhold it

    @property
    def percent(self) -> int | None:
        if self.submitted is None:
            return None
        return round(100 * self.submitted / self.invited) if self.invited else 0


def threshold_of(round_: AssessmentRound, min_threshold: int) -> int:
    """The threshold the round's figures use: fixed when it closed; until then at least the
    site's minimum, which closing will raise it to."""
    if round_.status == RoundStatus.closed:
        return round_.anonymity_threshold
    return max(round_.anonymity_threshold, min_threshold)


def response_rate(session: Session, round_: AssessmentRound, agencies: list[Agency], *,
                  threshold: int) -> tuple[list[Rate], Rate]:
    """Invited and submitted per agency (withdrawn invites left out), and in total. Every
    agency of the partnership is listed, so one nobody was invited from shows. An agency's
    number submitted is withheld exactly as the results would withhold its size (the same
    disclosure plan over the same people), so the count shown when the round closes is the
    one its results show."""
    people = session.exec(
        select(Respondent.agency_id, Respondent.level, Respondent.started_at,
               Respondent.submitted_at)
        .where(Respondent.round_id == round_.id, col(Respondent.revoked_at).is_(None))).all()
    submitted = [(str(agency_id), level) for agency_id, level, _, at in people
                 if at is not None]
    shown = results.shown_groups(round_, disclosure.cells_of(submitted), threshold)
    rows: dict[int | None, Rate] = {a.id: Rate(a.name) for a in agencies}
    for agency_id, _, started_at, submitted_at in people:
        rate = rows.setdefault(agency_id, Rate("Agency not chosen yet"))
        rate.invited += 1
        rate.started += started_at is not None
        rate.submitted += submitted_at is not None
    total = Rate("All agencies", sum(r.invited for r in rows.values()),
                 sum(r.started for r in rows.values()),
                 sum(r.submitted for r in rows.values()))
    for agency_id, rate in rows.items():
        if rate.submitted and not shown.shows(disclosure.AGENCY, str(agency_id)):
            rate.submitted = None
    return list(rows.values()), total


def invitations_by_agency(session: Session, round_: AssessmentRound) -> list:
    """How many are invited from each of the partnership's agencies, by level, withdrawn
    invitations left out (app.reports.context.Invited, in order of name)."""
    from app.reports.context import Invited

    counts: dict[int | None, Counter] = defaultdict(Counter)
    for agency_id, level, n in session.exec(
            select(Respondent.agency_id, Respondent.level, func.count())
            .where(Respondent.round_id == round_.id, col(Respondent.revoked_at).is_(None))
            .group_by(Respondent.agency_id, Respondent.level)):
        counts[agency_id][level or "unchosen"] += n
    agencies = session.exec(select(Agency).where(Agency.partnership_id == round_.partnership_id)
                            .order_by(Agency.name)).all()
    rows = [Invited(a.name, **counts[a.id]) for a in agencies]
    if None in counts:
        rows.append(Invited("Agency not given yet", **counts[None]))
    return rows
class InviteState(StrEnum):
    """Where an invitation stands, as the coordinator's pages say it."""

    not_started = "Not started"
    opened = "Opened"  # started with Start in a browser that now holds the link; no answer yet
    in_progress = "In progress"
    submitted = "Submitted"
    withdrawn = "Withdrawn"


@dataclass
class InviteRow:
    respondent: Respondent
    agency: str
    # Questions answered of those the member is asked (their own pages' count); None where
    # not read.
    progress: Progress | None = None

    @property
    def invitation_email(self) -> str:
        """The invitation email's fate, in words ("" when none was sent)."""
        return _mail_status(self.respondent.invite_sent_at, self.respondent.invite_error)

    @property
    def reminder_email(self) -> str:
        return _mail_status(self.respondent.reminder_sent_at, self.respondent.reminder_error)

    @property
    def state(self) -> InviteState:
        r = self.respondent
        if r.revoked_at is not None:
            return InviteState.withdrawn
        if r.submitted_at is not None:
            return InviteState.submitted
        if r.started_at is not None:  # the first answer or comment saved
            return InviteState.in_progress
        return InviteState.opened if r.claimed_at is not None else InviteState.not_started

    @property
    def status(self) -> str:
        if self.state is InviteState.in_progress and self.progress is not None:
            return f"In progress ({self.progress.answered} of {self.progress.total})"
        return self.state.value


def _mail_status(sent_at: datetime | None, error: str | None) -> str:
    if error:
        return f"Not sent: {error}"
    if sent_at:
        return f"Sent {uk_time(sent_at).strftime('%-d %B %Y at %H:%M')}"
    return ""


def invites_of(session: Session, round_: AssessmentRound, agencies: list[Agency], *,
               catalogue=None) -> list[InviteRow]:
    """Everyone invited to the round; given the catalogue, with how far each has answered."""
    names = {a.id: a.name for a in agencies}
    respondents = list(session.exec(select(Respondent).where(Respondent.round_id == round_.id)
                                    .order_by(Respondent.name, Respondent.id)))
    counts = _progress_of(session, round_, respondents, catalogue) if catalogue else {}
    return [InviteRow(r, names.get(r.agency_id, ""), counts.get(r.id)) for r in respondents]


def _progress_of(session: Session, round_: AssessmentRound, respondents: list[Respondent],
                 catalogue) -> dict[int, Progress]:
    """Each respondent's count of questions answered of those asked, as their own pages
    count them: a number, never an answer. (Those asked must not depend on the answers, or
    the total would tell the coordinator what someone answered.)"""
    questionnaire = questionnaires.round_questionnaire(session, round_=round_,
                                                       catalogue=catalogue)
    part = questionnaires.find_part(session, round_=round_, catalogue=catalogue)
    answered: dict[int, set[str]] = {}
    for respondent_id, item_id in session.exec(
            select(Answer.respondent_id, Answer.item_id)
            .join(Respondent, Respondent.id == Answer.respondent_id)
            .where(Respondent.round_id == round_.id, col(Answer.value).is_not(None))):
        answered.setdefault(respondent_id, set()).add(item_id)
    asked = {agency_id: questionnaires.as_asked(questionnaire, round_=round_, part=part,
                                                own_agency_id=agency_id)
             for agency_id in {r.agency_id for r in respondents}}
    return {r.id: progress(answered.get(r.id, set()), asked[r.agency_id]) for r in respondents}


def not_finished(rows: list[InviteRow]) -> list[InviteRow]:
    return [r for r in rows if r.state in (InviteState.not_started, InviteState.opened,
                                           InviteState.in_progress)]


@dataclass(frozen=True)
class MapOutlook:
    """What a round's collaboration map can show, as the board is invited now: an agency is
    a row of its own only with at least `threshold` raters (docs/privacy.md, rule 7), so a
    pair of agencies can be compared only when both have that many."""

    threshold: int
    agencies: int
    short: tuple[str, ...]  # agencies with fewer invited than the threshold, merged

    @property
    def pairs_shown(self) -> bool:
        return self.agencies - len(self.short) >= 2


def draws_map(questionnaire) -> bool:
    """Whether a questionnaire's ratings of each partner draw the collaboration map."""
    return any(i.for_each and i.has_tag(MAP_TAG, MAP_VALUE) for i in questionnaire.items)


def map_outlook(questionnaire, rows: list[InviteRow], agencies: list[Agency],
                threshold: int) -> MapOutlook | None:
    """For a round whose questionnaire (or part) draws the collaboration map; else None."""
    if not draws_map(questionnaire):
        return None
    invited = {a.name: 0 for a in agencies}
    for row in rows:
        if row.respondent.revoked_at is None and row.agency in invited:
            invited[row.agency] += 1
    return MapOutlook(threshold=threshold, agencies=len(invited),
                      short=tuple(name for name, n in invited.items() if n < threshold))


def counts_by_round(session: Session, round_ids: list[int]) -> dict[int, Rate]:
    """Invited, started and submitted for several rounds in one query."""
    result = {i: Rate("") for i in round_ids}
    if round_ids:
        for round_id, invited, started, submitted in session.exec(
                select(Respondent.round_id, func.count(), func.count(Respondent.started_at),
                       func.count(Respondent.submitted_at))
                .where(col(Respondent.round_id).in_(round_ids),
                       col(Respondent.revoked_at).is_(None))
                .group_by(Respondent.round_id)):
            result[round_id] = Rate("", invited, started, submitted)
    return result


def state_of(round_: AssessmentRound) -> str:
    """Open, closed, or open in name only because its closing date has passed."""
    if round_.status == RoundStatus.closed:
        return "Closed"
    if round_.status == RoundStatus.draft:
        return "Draft"
    return "Open" if is_open(round_) else "Closing date passed"
