"""The audit log: every state change by a coordinator or admin, and who may read which events."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models import AssessmentRound, AuditEvent, Partnership, Role, User

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
    "reminders_sent": "Reminders sent",
    "invitations_emailed": "Invitations emailed",
    "invitation_edited": "Invitation wording edited",
    "action_plan_edited": "Action plan edited",
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


@dataclass
class AuditPage:
    events: list[tuple[AuditEvent, str | None, str | None]]  # event, user email, partnership
    page: int
    pages: int
    total: int


def events_for(session: Session, *, reader: User, page: int = 1) -> AuditPage:
    """Newest first. A site admin reads every event; an organisation admin their organisation's."""
    query = (select(AuditEvent, User.email, Partnership.name)
             .join(User, col(User.id) == AuditEvent.user_id, isouter=True)
             .join(Partnership, col(Partnership.id) == AuditEvent.partnership_id, isouter=True))
    count = select(func.count()).select_from(AuditEvent)
    if reader.role != Role.site_admin:
        query = query.where(AuditEvent.organisation_id == reader.organisation_id)
        count = count.where(AuditEvent.organisation_id == reader.organisation_id)
    total = session.exec(count).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = session.exec(query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
                        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return AuditPage(events=[tuple(r) for r in rows], page=page, pages=pages, total=total)
