"""The emailed link to carry on in another browser (docs/privacy.md, rule 8): offered where
MAPS knows the member's email address and has a mail server, sent only to that address,
working once and for a short time, and moving the link's claim to the browser that uses it
with every answer kept. Each link sent and used is in the audit log; none carries an answer."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session

from app.clock import uk_time
from app.config import Settings
from app.models import Partnership, Respondent, utcnow
from app.services import audit, mail, responses
from app.services.responses import Invitation

# MAPS's own figures, not findings. Long enough for an email to arrive and be opened on
# another device; short enough that a link found later in a mailbox is worth nothing.
LINK_MINUTES = 30
LINK_LIFETIME = timedelta(minutes=LINK_MINUTES)
# Anyone holding the invite link may ask; this keeps them from filling the member's mailbox.
RESEND_GAP = timedelta(minutes=2)


class LinkState(StrEnum):
    usable = "usable"
    expired = "expired"
    spent = "spent"  # used already, replaced by a newer link, or never sent


class TooSoon(Exception):
    """A link was sent moments ago: the member is told when they may ask again."""

    def __init__(self, sent_at: datetime):
        super().__init__("A link to carry on was sent moments ago")
        self.sent_at, self.again_at = sent_at, sent_at + RESEND_GAP


def offered(settings: Settings, respondent: Respondent) -> bool:
    return mail.configured(settings) and bool(respondent.email)


def _key_hash(key: str) -> str:
    return hashlib.sha256(f"carry-on:{key}".encode()).hexdigest()


def _record(session: Session, action: str, invitation: Invitation, **detail) -> None:
    respondent = invitation.respondent
    audit.record(session, action=action, round_=invitation.round,
                 partnership=session.get(Partnership, invitation.round.partnership_id),
                 detail={"respondent": respondent.id, "email": respondent.email, **detail})


def _email(settings: Settings, invitation: Invitation, *, partnership: str, link: str):
    respondent = invitation.respondent
    until = uk_time(respondent.carry_on_sent_at + LINK_LIFETIME).strftime("%H:%M")
    return mail.message(
        settings, to=respondent.email,
        subject=f"Carry on with your {partnership} self-assessment",
        text=f"Dear {respondent.name or 'board member'},\n\n"
             f"Someone asked MAPS, from your invitation link, for a link to carry on with your "
             f"{partnership} self-assessment in another browser. If that was you, open this "
             f"link in the browser you want to use, before {until} (UK time):\n\n{link}\n\n"
             "It works once. Every answer you have saved is kept, and from then on that "
             "browser, not the one you used before, opens them.\n\n"
             "If you did not ask for this, do not open the link, and tell your partnership "
             "coordinator: nothing changes unless the link is used.\n")


def send_link(session: Session, settings: Settings, *, invitation: Invitation,
              link_to: str) -> bool:
    """Email the member a new link to carry on (`link_to` + its key); whether the mail server
    took it. Raises TooSoon within RESEND_GAP of the last one. The key is kept as a hash,
    and committed before MAPS talks to the mail server, which holds no transaction open."""
    respondent = invitation.respondent
    now = utcnow()
    if respondent.carry_on_sent_at is not None and now < respondent.carry_on_sent_at + RESEND_GAP:
        raise TooSoon(respondent.carry_on_sent_at)
    key = secrets.token_urlsafe(24)
    respondent.carry_on_hash, respondent.carry_on_sent_at = _key_hash(key), now
    partnership = session.get(Partnership, invitation.round.partnership_id).name
    email = _email(settings, invitation, partnership=partnership, link=link_to + key)
    session.add(respondent)
    session.commit()
    reason = mail.send_each(settings, messages={respondent.id: email})[respondent.id]
    if reason is not None:  # it never left: the link is no use, and asking again is fine
        respondent.carry_on_hash = respondent.carry_on_sent_at = None
        session.add(respondent)
    _record(session, "carry_on_link_sent", invitation, sent=reason is None,
            **({"reason": reason} if reason else {}))
    session.commit()
    return reason is None


def state_of(respondent: Respondent, key: str) -> LinkState:
    if respondent.carry_on_hash is None or respondent.carry_on_sent_at is None or \
            not hmac.compare_digest(_key_hash(key), respondent.carry_on_hash):
        return LinkState.spent
    if utcnow() >= respondent.carry_on_sent_at + LINK_LIFETIME:
        return LinkState.expired
    return LinkState.usable


def carry_on(session: Session, *, invitation: Invitation, key: str) -> str | None:
    """Move the claim to the browser using the link, spending the link; that browser's new
    resume code, or None when the link no longer works (used, replaced or expired)."""
    if state_of(invitation.respondent, key) is not LinkState.usable:
        return None
    code = responses.move_claim(
        session, invitation.respondent,
        only_if=(Respondent.carry_on_hash == _key_hash(key))
        & (Respondent.carry_on_sent_at > utcnow() - LINK_LIFETIME),
        also={"carry_on_hash": None})
    if code is None:  # another browser used it a moment ago
        session.rollback()
        return None
    _record(session, "claim_moved", invitation)
    session.commit()
    session.refresh(invitation.respondent)
    return code
