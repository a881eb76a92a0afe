"""The email confirming that a board member's answers were received, sent where MAPS knows
their address and has a mail server. It says when, and holds no answer: an email can be read
by whoever sees the mailbox, and MAPS shows nobody's answers but in their own browser."""

from sqlmodel import Session

from app.clock import uk_time
from app.config import Settings
from app.models import Partnership
from app.services import audit, mail
from app.services.responses import Invitation
from app.services.rounds import threshold_of


def _text(invitation: Invitation, *, partnership: str, threshold: int) -> str:
    respondent, round_ = invitation.respondent, invitation.round
    at = uk_time(respondent.submitted_at)
    closes = uk_time(round_.closing_date).strftime("%-d %B %Y")
    return (f"Dear {respondent.name or 'board member'},\n\n"
            f"MAPS received your answers to the {partnership} self-assessment on "
            f"{at:%-d %B %Y} at {at:%H:%M} (UK time). Thank you for taking part.\n\n"
            "This email holds none of your answers. Until the round closes on "
            f"{closes}, you can print or download a copy of them from your invitation link, "
            "in the browser you used.\n\n"
            "Your partnership coordinator will share the results, and an action plan, once "
            f"the round has closed. No result shows a group of fewer than {threshold} "
            "people.\n\n"
            "If you did not submit these answers, tell your partnership coordinator.\n")


def confirm_submission(session: Session, settings: Settings, *,
                       invitation: Invitation) -> bool | None:
    """Email the member that their answers were received; None when MAPS sends none (no
    mail server, or no address), else whether the mail server took it. Audit-logged. Call
    it after the submission is committed: the mail server never holds a transaction open."""
    respondent, round_ = invitation.respondent, invitation.round
    if not (mail.configured(settings) and respondent.email):
        return None
    partnership = session.get(Partnership, round_.partnership_id)
    email = mail.message(
        settings, to=respondent.email,
        subject=f"Your {partnership.name} self-assessment has been received",
        text=_text(invitation, partnership=partnership.name,
                   threshold=threshold_of(round_, settings.min_anonymity_threshold)))
    reason = mail.send_each(settings, messages={respondent.id: email})[respondent.id]
    audit.record(session, action="submission_confirmed", round_=round_, partnership=partnership,
                 detail={"respondent": respondent.id, "email": respondent.email,
                         "sent": reason is None, **({"reason": reason} if reason else {})})
    session.commit()
    return reason is None
