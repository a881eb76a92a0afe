"""Emailing invitations and reminders, and keeping for each person whether theirs went.

Mail goes out after the invites are saved and their transaction has ended: a mail server that
is slow or down never holds a database transaction open, and never loses an invite."""


from sqlalchemy import update as sql_update
from sqlmodel import Session, col, select

from app.clock import uk_time
from app.models import AssessmentRound, Organisation, Partnership, Respondent, User, utcnow
from app.questionnaires.timing import estimated_minutes
from app.services import audit, mail, questionnaires
from app.services.invitations import DEFAULT_MESSAGE, DEFAULT_SUBJECT, Invitation, compose
from app.services.partnerships import agencies_of
from app.services.responses import hash_token, new_token
from app.services.rounds import InviteRow, require_open, threshold_of


def invitation_of(session: Session, *, round_: AssessmentRound, partnership: Partnership,
                  sender: User, catalogue, min_threshold: int) -> Invitation:
    """What every invitation of the round says: the round's wording, who is asking, the
    closing date, the time the round's own questionnaire takes and the threshold in force."""
    questionnaire = questionnaires.round_questionnaire(session, round_=round_,
                                                       catalogue=catalogue)
    organisation = session.get(Organisation, partnership.organisation_id)
    return Invitation(
        partnership=partnership.name, coordinator=sender.name or sender.email,
        coordinator_email=sender.email, organisation=organisation.name if organisation else "",
        closes_at=round_.closing_date, minutes=estimated_minutes(questionnaire),
        threshold=threshold_of(round_, min_threshold), questionnaire=questionnaire.title,
        subject=round_.invitation_subject or DEFAULT_SUBJECT,
        message=round_.invitation_message or DEFAULT_MESSAGE)


def _record(session: Session, outcome: dict[int, str | None], *, sent_at: str,
            error: str) -> None:
    now = utcnow()
    for respondent_id, reason in outcome.items():
        session.exec(sql_update(Respondent).where(Respondent.id == respondent_id).values(
            {sent_at: None if reason else now, error: reason}))


def email_invites(session: Session, *, round_: AssessmentRound, partnership: Partnership,
                  links: list[tuple[Respondent, str]], base_url: str, sender: User, settings,
                  catalogue) -> dict[int, str | None]:
    """Email each saved invite its link; respondent id -> None (sent) or why not."""
    invitation = invitation_of(session, round_=round_, partnership=partnership, sender=sender,
                               catalogue=catalogue, min_threshold=settings.min_anonymity_threshold)
    agencies = {a.id: a.name for a in agencies_of(session, partnership)}
    messages = {}
    for respondent, token in links:
        if not respondent.email:
            continue
        email = compose(invitation, name=respondent.name,
                        agency=agencies.get(respondent.agency_id, ""), link=f"{base_url}/r/{token}")
        messages[respondent.id] = mail.message(settings, to=respondent.email,
                                               subject=email.subject, text=email.text,
                                               html=email.html, reply_to=sender.email)
    if not messages:
        return {}
    return _deliver(session, settings, messages, round_=round_, partnership=partnership,
                    user=sender, kind="invite", action="invitations_emailed", sent_key="sent")


def failed_invites(session: Session, round_: AssessmentRound) -> list[Respondent]:
    """Invitations the mail server did not take, to people who have not opened MAPS since
    (so none of them can have a link that works: it never reached them)."""
    return list(session.exec(select(Respondent).where(
        Respondent.round_id == round_.id, col(Respondent.invite_error).is_not(None),
        col(Respondent.revoked_at).is_(None), col(Respondent.claimed_at).is_(None),
        col(Respondent.started_at).is_(None)).order_by(Respondent.name, Respondent.id)))


def resend_failed(session: Session, *, round_: AssessmentRound, partnership: Partnership,
                  base_url: str, sender: User, settings, catalogue) -> dict[int, str | None]:
    """Email the failed invitations again. MAPS keeps no links, so each gets a new one; the
    old link was never delivered, so nobody loses a link they had."""
    require_open(round_)
    links = []
    for respondent in failed_invites(session, round_):
        token = new_token()
        respondent.token_hash = hash_token(token)
        session.add(respondent)
        links.append((respondent, token))
    if not links:
        return {}
    session.commit()
    return email_invites(session, round_=round_, partnership=partnership, links=links,
                         base_url=base_url, sender=sender, settings=settings,
                         catalogue=catalogue)


def remind(session: Session, *, round_: AssessmentRound, partnership: Partnership,
           rows: list[InviteRow], reminded_by: User, settings) -> dict[int, str | None]:
    """Email a reminder to each of `rows` with an email address; id -> None (sent) or why
    not, kept per person like the invitations."""
    require_open(round_)
    closes = uk_time(round_.closing_date).strftime("%-d %B %Y")
    asker = f"{reminded_by.name or reminded_by.email} ({reminded_by.email})"
    messages = {row.respondent.id: mail.message(
        settings, to=row.respondent.email, reply_to=reminded_by.email,
        subject=f"Reminder: {partnership.name}'s questionnaire closes on {closes}",
        text=f"Dear {row.respondent.name or 'board member'},\n\n"
             f"This is a reminder to answer the questionnaire for {partnership.name} by "
             f"{closes}.\n\n"
             "Use the personal link in your invitation, in the browser where you started "
             "(or enter your resume code in another): your saved answers are kept. "
             f"If you cannot find the link, ask {asker} for a new one.\n")
        for row in rows if row.respondent.email}
    if not messages:
        return {}
    return _deliver(session, settings, messages, round_=round_, partnership=partnership,
                    user=reminded_by, kind="reminder", action="reminders_sent", sent_key="count")


def _deliver(session: Session, settings, messages: dict, *, round_: AssessmentRound,
             partnership: Partnership, user: User, kind: str, action: str,
             sent_key: str) -> dict[int, str | None]:
    """Send each message, keep each person's outcome (`<kind>_sent_at` / `<kind>_error`) and
    audit the counts. The transaction ends before MAPS talks to the mail server, so a slow or
    failing server never holds it open, and what was saved stays saved."""
    round_id, partnership_id = round_.id, partnership.id
    session.commit()
    outcome = mail.send_each(settings, messages=messages)
    _record(session, outcome, sent_at=f"{kind}_sent_at", error=f"{kind}_error")
    audit.record(session, action=action, user=user,
                 round_=session.get(AssessmentRound, round_id),
                 partnership=session.get(Partnership, partnership_id),
                 detail={sent_key: sum(r is None for r in outcome.values()),
                         "failed": sum(r is not None for r in outcome.values())})
    session.commit()
    return outcome


def failed_reminders(rows: list[InviteRow]) -> list[InviteRow]:
    return [r for r in rows if r.respondent.reminder_error]


def save_wording(session: Session, *, round_: AssessmentRound, partnership: Partnership,
                 subject: str, message: str, saved_by: User) -> None:
    """Keep the round's invitation wording (checked by invitations.check_wording); MAPS's own
    wording is kept as None, so that improvements to it reach rounds that never changed it."""
    round_.invitation_subject = None if subject == DEFAULT_SUBJECT else subject
    round_.invitation_message = None if message == DEFAULT_MESSAGE else message
    session.add(round_)
    audit.record(session, action="invitation_edited", user=saved_by, round_=round_,
                 partnership=partnership, detail={"subject": subject})
    session.commit()
