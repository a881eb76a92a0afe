"""Database tables: organisations, partnerships and their agencies, rounds, respondents, answers,
users, what accounts need (sessions, sign-in attempts, password links, the audit log), action
plans, questionnaire definitions (uploaded ones, and the texts rounds keep), and board meetings
with their live votes."""

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import JSON, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Sector(StrEnum):
    health = "health"
    education = "education"
    social_care = "social_care"
    police = "police"
    housing = "housing"
    voluntary = "voluntary"
    other = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Level(StrEnum):
    strategic = "strategic"
    operational = "operational"


class RoundStatus(StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"


class Role(StrEnum):
    site_admin = "site_admin"
    org_admin = "org_admin"
    coordinator = "coordinator"


class Organisation(SQLModel, table=True):
    """A local authority or other body that owns partnerships."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class Partnership(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=200)
    client_group: str = Field(default="", max_length=200)
    description: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)


class Agency(SQLModel, table=True):
    """A member agency of a partnership (the same body may sit on several partnerships)."""

    __table_args__ = (UniqueConstraint("partnership_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    name: str = Field(max_length=200)
    sector: Sector = Field(sa_type=String(20))


class DefinitionText(SQLModel, table=True):
    """The YAML text of a questionnaire definition, under its SHA-256. A round keeps the text
    it was opened with, so it displays and scores the same whatever later happens to the file."""

    sha256: str = Field(primary_key=True, max_length=64)
    text: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)


class UploadedQuestionnaire(SQLModel, table=True):
    """A definition uploaded in the web app, offered for the new rounds of one organisation,
    or of every organisation when published site-wide (organisation_id None)."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id",
                                        index=True)
    key: str = Field(max_length=100)
    version: int
    title: str = Field(max_length=200)
    sha256: str = Field(foreign_key="definitiontext.sha256", max_length=64)
    filename: str = Field(default="", max_length=200)
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id")
    uploaded_at: datetime = Field(default_factory=utcnow)


class AssessmentRound(SQLModel, table=True):
    """A partnership's self-audit at one point in time, pinned to one questionnaire version,
    whose text it keeps (questionnaire_sha256) from when it opened."""

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    title: str = Field(max_length=200)
    questionnaire_key: str = Field(max_length=100)
    questionnaire_version: int
    # A DefinitionText's hash. Not a foreign key: SQLite can add or drop a column that is one
    # only by rebuilding the table, which the tables that refer to rounds do not allow.
    # Texts are never deleted.
    questionnaire_sha256: str | None = Field(default=None, max_length=64)
    # An optional part answered after the questionnaire (the Levels of Collaboration Scale
    # beside the core instrument), scored on its own: its key, version and kept text.
    part_key: str | None = Field(default=None, max_length=100)
    part_version: int | None = None
    part_sha256: str | None = Field(default=None, max_length=64)
    # The partner agencies that roster items ask about, fixed when the round opened:
    # [[agency id, name], ...]; None when its questionnaire has no roster item.
    # (none_as_null: a round without one stores SQL NULL, as a column added later holds.)
    roster: list | None = Field(default=None, sa_type=JSON(none_as_null=True))
    opens_at: datetime
    closes_at: datetime
    status: RoundStatus = Field(default=RoundStatus.draft, sa_type=String(10))
    # Raised to the site's minimum when the round closes, and fixed from then on.
    anonymity_threshold: int = Field(default=3)
    # The disclosure plan fixed when the round closed (app/scoring/disclosure.py Plan.to_dict):
    # which groups its results may show, by agency id and level, never by name. Every later
    # view shows these groups or fewer. None while the round is open.
    disclosure: dict | None = Field(default=None, sa_type=JSON(none_as_null=True))
    created_at: datetime = Field(default_factory=utcnow)
    # When it closed: who is counted (submitted, not withdrawn) is fixed at this moment.
    closed_at: datetime | None = None
    # The coordinator's own wording of the invitation email; None: MAPS's suggested wording.
    invitation_subject: str | None = Field(default=None, max_length=200)
    invitation_message: str | None = Field(default=None, sa_type=Text)

    @property
    def closing_date(self) -> datetime:
        """When answering actually ends: the planned closing date, or the moment the round was
        closed if that came first. Every page that says when a round closes uses this."""
        if self.closed_at is not None and self.closed_at < self.closes_at:
            return self.closed_at
        return self.closes_at


class Respondent(SQLModel, table=True):
    """One board member's response in a round, reached through a personal invite link."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="assessmentround.id", index=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    level: Level | None = Field(default=None, sa_type=String(12))
    name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=320)
    # SHA-256 of the invite token: the token itself is only ever in the invite link.
    token_hash: str = Field(max_length=64, unique=True)
    # The link is claimed by the first browser that starts with it. SHA-256 of the resume
    # code that browser keeps (and the respondent may type in another); None before the
    # claim, and for responses started before claims existed, which no code opens.
    resume_hash: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = None
    revoked_at: datetime | None = None
    started_at: datetime | None = None
    submitted_at: datetime | None = None
    # The last invitation and reminder emails: when the mail server took them, or why not
    # (in plain words). Both None: never emailed (no mail server, or the link was handed out).
    invite_sent_at: datetime | None = None
    invite_error: str | None = Field(default=None, max_length=500)
    reminder_sent_at: datetime | None = None
    reminder_error: str | None = Field(default=None, max_length=500)
    # The last emailed link to carry on in another browser (app/services/carry_on.py):
    # SHA-256 of its one-time key, and when it was sent (it works for a short time after).
    carry_on_hash: str | None = Field(default=None, max_length=64)
    carry_on_sent_at: datetime | None = None
    # When the coordinator last let the member start again in a new browser: answers saved
    # until then are kept and counted, and no browser shows them again (they are sealed).
    claim_released_at: datetime | None = None


class Answer(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("respondent_id", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    respondent_id: int = Field(foreign_key="respondent.id", index=True)
    item_id: str = Field(max_length=64)
    # The chosen option's value as written in the questionnaire ("4", "dk", ...); None for
    # a comment saved before (or without) an answer.
    value: str | None = Field(default=None, max_length=32)
    comment: str | None = Field(default=None, sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=200)
    role: Role = Field(sa_type=String(20))
    # Organisation admins and coordinators belong to one organisation; site admins to none.
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    created_at: datetime = Field(default_factory=utcnow)
    # Set when an administrator removes the account: it can no longer sign in, and is kept
    # (not deleted) so the audit log still says who did what.
    removed_at: datetime | None = None


class UserSession(SQLModel, table=True):
    """A signed-in browser. Its cookie holds a random key, of which only the hash is kept here;
    deleting the row (sign-out, a new password, the account removed) ends the session at once
    on every app process."""

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)


class PartnershipCoordinator(SQLModel, table=True):
    """Which partnerships a coordinator manages."""

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", primary_key=True)


class SignInAttempt(SQLModel, table=True):
    """A sign-in attempt that has not succeeded, kept for a while to rate-limit guessing. In the
    database, not in memory, because several app processes share the one database."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, index=True)
    ip: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)


class PasswordLink(SQLModel, table=True):
    """A one-time link to set a password, issued by an admin (new accounts and resets)."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    # SHA-256 of the token: the token itself is only ever in the link.
    token_hash: str = Field(max_length=64, unique=True)
    issued_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class AuditEvent(SQLModel, table=True):
    """One state change by a coordinator or admin (or a sign-in), for admins to read."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    partnership_id: int | None = Field(default=None, foreign_key="partnership.id")
    round_id: int | None = Field(default=None, foreign_key="assessmentround.id")
    action: str = Field(max_length=50)
    detail: dict = Field(default_factory=dict, sa_type=JSON)


class RoundSummary(SQLModel, table=True):
    """The headline scores of a closed round, kept when it closes (its results are final),
    so comparing hundreds of partnerships needs no re-scoring."""

    round_id: int = Field(foreign_key="assessmentround.id", primary_key=True)
    computed_at: datetime = Field(default_factory=utcnow)
    respondents: int
    invited: int
    townsley: str | None = Field(default=None, max_length=20)
    gaster: str | None = Field(default=None, max_length=2)
    overall: float | None = None
    # {"dimension": {...}, "area": {...}, "factor": {...}, "impact_on": {...}}: 0-100 or null
    scores: dict = Field(default_factory=dict, sa_type=JSON)


class ReportJob(SQLModel, table=True):
    """A report PDF waiting to be made, being made, or made: the queue every app process
    works from, kept in the database so that whichever process a poll or the download
    reaches sees the same job (app/services/report_jobs.py)."""

    id: str = Field(primary_key=True, max_length=32)  # random, not guessable
    round_id: int = Field(foreign_key="assessmentround.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    appendix: bool = False
    # pending, running, done, failed, stopped (report_jobs.Status)
    status: str = Field(default="pending", max_length=10)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None  # when a worker claimed it
    finished_at: datetime | None = None
    filename: str = Field(default="", max_length=200)
    pdf: bytes | None = Field(default=None, sa_type=LargeBinary)


class ActionStatus(StrEnum):
    not_started = "not_started"
    in_progress = "in_progress"
    done = "done"
    dropped = "dropped"


class ActionItem(SQLModel, table=True):
    """One action of a round's action plan, often started from a recommendation. The plan
    outlives the round: it is kept and edited while the board works through it."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="assessmentround.id", index=True)
    position: int
    text: str = Field(sa_type=Text)
    owner_agency_id: int | None = Field(default=None, foreign_key="agency.id")
    lead: str = Field(default="", max_length=200)
    target_date: date | None = None
    success_measure: str = Field(default="", sa_type=Text)
    status: ActionStatus = Field(default=ActionStatus.not_started, sa_type=String(12))
    strategy_id: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class BoardMeeting(SQLModel, table=True):
    """A board's discussion of a closed round: its dated meeting, its agenda and what the board
    agreed on each item (app/services/meetings.py). One per round."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="assessmentround.id", unique=True)
    held_on: date
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")


class AgendaItem(SQLModel, table=True):
    """One item of a board meeting's agenda (app/meeting/agenda.py: a question, a factor, a
    placement or a recommendation), and what the board recorded on it."""

    __table_args__ = (UniqueConstraint("meeting_id", "kind", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="boardmeeting.id", index=True)
    position: int
    kind: str = Field(max_length=20)
    key: str = Field(max_length=100)
    why: str = Field(max_length=20)
    # What the board recorded: an outcome of app/meeting/agenda.py's OUTCOMES (or "agreed"
    # with a question's option value), a placement's better-fitting level, a note.
    outcome: str | None = Field(default=None, max_length=20)
    agreed_value: str | None = Field(default=None, max_length=32)
    better_level: str | None = Field(default=None, max_length=40)
    note: str = Field(default="", sa_type=Text)
    # The action the board added to the plan from this item. Not a foreign key: the plan's
    # page may remove the action, and the record then says it was removed.
    action_id: int | None = None
    decided_at: datetime | None = None


class LiveVote(SQLModel, table=True):
    """A question of a closed round asked again in the board's meeting, on members' phones, by a
    short code (app/services/live_votes.py). One per question of a round: two spreads of one
    question could be subtracted to show the few who voted in between."""

    __table_args__ = (UniqueConstraint("round_id", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="assessmentround.id", index=True)
    item_id: str = Field(max_length=64)
    code: str = Field(max_length=8, unique=True)
    # How many were counted in the round: the vote closes by itself when as many have voted.
    answered: int
    votes_cast: int = 0
    opened_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    # Set when it closes: whether its spread may be shown (app/meeting/live_vote.py).
    shown: bool = False


class VoteBallot(SQLModel, table=True):
    """One device's answer in a live vote. The device is a hash of its browser session's key
    with the vote's id, so one device votes once in a vote and cannot be followed from one vote
    to another; nothing says who voted, or when."""

    __table_args__ = (UniqueConstraint("vote_id", "device"),)

    id: int | None = Field(default=None, primary_key=True)
    vote_id: int = Field(foreign_key="livevote.id", index=True)
    device: str = Field(max_length=64)
    value: str = Field(max_length=32)
