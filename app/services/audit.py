"""The audit log: every state change by a coordinator or admin, and who may read which events."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.clock import UK, uk_time
from app.models import AssessmentRound, AuditEvent, Organisation, Partnership, Role, User
from app.services.errors import Invalid
from app.services.inputs import BadDate, parse_date, parse_id

# The audit log shows UK time (services.rounds uses the same zone for closing dates).

PAGE_SIZE = 50

# What each action means, for the page that lists them.
ACTIONS = {
    "signed_in": "Signed in",
    "sign_in_failed": "Sign-in failed",
    "password_set": "Password set",
    "password_link_issued": "Password link issued",
    "organisation_created": "Organisation created",
    "user_created": "Account created",
    "user_removed": "Account removed",
    "admin_added_by_site_admin": "Administrator added by a site administrator",
    "partnership_created": "Partnership created",
    "partnership_edited": "Partnership edited",
    "agency_added": "Agency added",
    "agency_edited": "Agency edited",
    "coordinator_appointed": "Coordinator appointed",
    "coordinator_removed": "Coordinator removed",
    "round_opened": "Round opened",
    "round_closed": "Round closed",
    "invite_added": "Board member invited",
    "invites_uploaded": "Board members uploaded",
    "invite_reissued": "Invite link reissued",
    "invite_revoked": "Invite revoked",
    "response_reopened": "Response reopened",
    "claim_same_browser": "Invitation started in a browser that had started another",
    "claim_signed_in": "Invitation started in a browser signed in to MAPS",
    "claim_released": "Board member let start again in a new browser",
    "carry_on_link_sent": "Link to carry on emailed to a board member",
    "claim_moved": "Board member carried on in another browser",
    "submission_confirmed": "Submission confirmation emailed",
    "reminders_sent": "Reminders sent",
    "invitations_emailed": "Invitations emailed",
    "invitation_edited": "Invitation wording edited",
    "action_plan_edited": "Action plan edited",
    "board_meeting_started": "Board discussion started",
    "board_meeting_edited": "Board discussion edited",
    "live_vote_opened": "Live vote opened",
    "live_vote_closed": "Live vote closed",
    "questionnaire_uploaded": "Questionnaire uploaded",
    "questionnaire_removed": "Questionnaire removed",
}


def record(session: Session, *, action: str, user: User | None = None,
           organisation_id: int | None = None, partnership: Partnership | None = None,
           round_: AssessmentRound | None = None, detail: dict[str, Any] | None = None) -> None:
    """Add an event to the session; it is saved with the change it describes, in one commit."""
    assert action in ACTIONS, action
    if partnership is not None:
        organisation_id = partnership.organisation_id
    partnership_id = partnership.id if partnership else None
    if partnership_id is None and round_ is not None:
        partnership_id = round_.partnership_id
    session.add(AuditEvent(
        action=action, user_id=user.id if user else None, organisation_id=organisation_id,
        partnership_id=partnership_id, round_id=round_.id if round_ else None,
        detail=detail or {}))


@dataclass(frozen=True)
class AuditFilter:
    """What the audit log is narrowed to; None for any. Dates are UK calendar days, inclusive."""

    user_id: int | None = None
    action: str | None = None
    partnership_id: int | None = None
    since: date | None = None
    until: date | None = None


@dataclass
class AuditRow:
    event: AuditEvent
    who: str | None
    organisation: str | None
    partnership: str | None

    @property
    def what(self) -> str:
        return ACTIONS.get(self.event.action, self.event.action.replace("_", " ").capitalize())

    @property
    def when(self) -> str:
        """UK time, as people write it: "1 December 2026, 14:05"."""
        return local_time(self.event.at)

    @property
    def details(self) -> str:
        return describe(self.event.action, self.event.detail or {})


@dataclass
class AuditPage:
    rows: list[AuditRow]
    page: int
    pages: int
    total: int


def local_time(at: datetime) -> str:
    local = uk_time(at)
    return f"{local.day} {local:%B %Y, %H:%M}"


def parse_filter(*, who: str, what: str, partnership: str, since: tuple[str, str, str],
                 until: tuple[str, str, str]) -> AuditFilter:
    """The audit log's filter form as typed, or Invalid naming each field that is wrong
    (keyed by the field's id: "who", "what", "partnership", "from-day", "to-day")."""
    errors: dict[str, str] = {}
    user_id = parse_id(who) if who.strip() else None
    if who.strip() and user_id is None:
        errors["who"] = "Select a person from the list"
    action = what.strip() or None
    if action is not None and action not in ACTIONS:
        errors["what"] = "Select a kind of event from the list"
    partnership_id = parse_id(partnership) if partnership.strip() else None
    if partnership.strip() and partnership_id is None:
        errors["partnership"] = "Select a partnership from the list"
    days = {}
    for name, label, parts in (("from", "The \u2018from\u2019 date", since),
                               ("to", "The \u2018to\u2019 date", until)):
        try:
            days[name] = parse_date(*parts)
        except BadDate as exc:
            errors[f"{name}-day"] = f"{label} {exc}"
    if not errors and days["from"] and days["to"] and days["from"] > days["to"]:
        errors["to-day"] = ("The \u2018to\u2019 date must be the same as or after the "
                            "\u2018from\u2019 date")
    if errors:
        raise Invalid(errors)
    return AuditFilter(user_id=user_id, action=action, partnership_id=partnership_id,
                       since=days["from"], until=days["to"])


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, UK).astimezone(UTC)


def _conditions(reader: User, chosen: AuditFilter) -> list:
    where = []
    if reader.role != Role.site_admin:
        where.append(AuditEvent.organisation_id == reader.organisation_id)
    if chosen.user_id is not None:
        where.append(AuditEvent.user_id == chosen.user_id)
    if chosen.action is not None:
        where.append(AuditEvent.action == chosen.action)
    if chosen.partnership_id is not None:
        where.append(AuditEvent.partnership_id == chosen.partnership_id)
    if chosen.since is not None:
        where.append(col(AuditEvent.at) >= _day_start(chosen.since))
    if chosen.until is not None:
        where.append(col(AuditEvent.at) < _day_start(chosen.until + timedelta(days=1)))
    return where


def events_for(session: Session, *, reader: User, page: int = 1,
               chosen: AuditFilter = AuditFilter()) -> AuditPage:
    """Newest first, a page at a time. A site admin reads every event; an organisation admin
    their organisation's."""
    where = _conditions(reader, chosen)
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*where)).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    query = (select(AuditEvent, User.email, Organisation.name, Partnership.name)
             .join(User, col(User.id) == AuditEvent.user_id, isouter=True)
             .join(Organisation, col(Organisation.id) == AuditEvent.organisation_id,
                   isouter=True)
             .join(Partnership, col(Partnership.id) == AuditEvent.partnership_id, isouter=True)
             .where(*where)
             .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
             .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    rows = [AuditRow(event, who, organisation, partnership)
            for event, who, organisation, partnership in session.exec(query).all()]
    return AuditPage(rows=rows, page=page, pages=pages, total=total)


def filter_choices(session: Session, *, reader: User) -> dict[str, list[tuple[int, str]]]:
    """The people and partnerships the reader may filter by: those of their organisation, or
    every one for a site admin."""
    users = select(User.id, User.email).order_by(col(User.email))
    partnerships = select(Partnership.id, Partnership.name).order_by(col(Partnership.name))
    if reader.role != Role.site_admin:
        users = users.where(User.organisation_id == reader.organisation_id)
        partnerships = partnerships.where(
            Partnership.organisation_id == reader.organisation_id)
    return {"users": [tuple(r) for r in session.exec(users).all()],
            "partnerships": [tuple(r) for r in session.exec(partnerships).all()]}


# Detail keys as words, for events whose detail is listed rather than written as a sentence.
_KEYS = {"ip": "from address", "email": "email", "role": "role", "name": "name",
         "agency": "agency", "sector": "sector", "coordinator": "coordinator",
         "title": "title", "questionnaire": "questionnaire", "file": "file",
         "threshold": "least group size", "count": "number", "for": "for",
         "client_group": "client group", "description": "description", "text": "action"}
_ROLES = {"site_admin": "site administrator", "org_admin": "organisation administrator",
          "coordinator": "coordinator"}


def _value(key: str, value: Any) -> str:
    if key == "role":
        return _ROLES.get(str(value), str(value))
    if key == "closes" and isinstance(value, str):
        try:
            return local_time(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict) and set(value) == {"from", "to"}:
        return f"from \u201c{value['from']}\u201d to \u201c{value['to']}\u201d"
    return str(value)


def describe(action: str, detail: dict[str, Any]) -> str:
    """An event's detail in words, e.g. "Action 12 edited: Agree a joint budget"."""
    d = detail
    if action == "action_plan_edited" and "change" in d:
        return f"{str(d['change']).capitalize()}: \u201c{d.get('text', '')}\u201d"
    if action == "invites_uploaded" and "count" in d:
        people = ", ".join(d.get("emails", []))
        return f"{d['count']} board member{'s' if d['count'] != 1 else ''}: {people}"
    if action == "reminders_sent" and "count" in d:
        return f"{d['count']} reminder{'s' if d['count'] != 1 else ''} sent"
    if action == "round_opened" and "title" in d:
        words = f"{d['title']}, with {d.get('questionnaire', 'a questionnaire')}"
        if d.get("closes"):
            words += f", closing {_value('closes', d['closes'])}"
        if d.get("threshold"):
            words += f"; results shown for groups of at least {d['threshold']}"
        return words
    if action in ("questionnaire_uploaded", "questionnaire_removed") and "questionnaire" in d:
        where = "for every organisation" if d.get("site_wide") else "for this organisation"
        return f"{d['questionnaire']} from the file {d.get('file', '')}, {where}"
    if action == "invite_reissued" and "email" in d:
        return f"{d['email']}" + (", a withdrawn invite restored" if d.get("restored") else "")
    if action in ("invite_revoked", "response_reopened", "claim_released",
                  "claim_moved") and "email" in d:
        return str(d["email"])
    if action == "admin_added_by_site_admin" and "email" in d:
        told = ", ".join(d.get("told", [])) or "nobody (no other administrator, or no mail)"
        return f"{d['email']}; administrators emailed: {told}"
    if action == "claim_same_browser" and "email" in d:
        return (f"{d['email']}, in a browser that had already started the invitation of "
                f"{', '.join(d.get('also', []))}")
    if action == "claim_signed_in" and "email" in d:
        return f"{d['email']}, in a browser signed in as {d.get('account', '')}"
    if action in ("carry_on_link_sent", "submission_confirmed") and "email" in d:
        return str(d["email"]) + ("" if d.get("sent") else f", not sent: {d.get('reason', '')}")
    if action == "partnership_edited" and d and all(isinstance(v, dict) for v in d.values()):
        return "; ".join(f"{_KEYS.get(k, k).capitalize()} changed {_value(k, v)}"
                         for k, v in d.items())
    shown = {k: v for k, v in d.items() if k not in ("respondent", "action_id", "site_wide")}
    return "; ".join(f"{_KEYS.get(k, k.replace('_', ' ')).capitalize()}: {_value(k, v)}"
                     for k, v in shown.items())
