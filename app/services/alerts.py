"""Telling an organisation's administrators, by email where mail is set up, about something
they should check: an invitation started in a questionable browser, an account added to
their organisation by a site administrator. The audit log records the same events."""

import logging

from sqlmodel import Session, col, select

from app.config import Settings
from app.models import AssessmentRound, Organisation, Partnership, Role, User
from app.services import audit, mail

log = logging.getLogger("maps.alerts")


def tell_admins(session: Session, settings: Settings, *, organisation_id: int, subject: str,
                body: str, leave_out: int | None = None) -> dict[str, str | None]:
    """Email each administrator of the organisation (but the account `leave_out`); for each
    address, None when the mail server took the message, else why not. Empty without a mail
    server or anyone to tell."""
    if not mail.configured(settings):
        return {}
    admins = session.exec(select(User).where(
        User.organisation_id == organisation_id, User.role == Role.org_admin,
        col(User.removed_at).is_(None), User.id != (leave_out or -1))).all()
    outcome = mail.send_each(settings, messages={
        admin.email: mail.message(settings, to=admin.email, subject=subject,
                                  text=f"Dear {admin.name or admin.email},\n\n{body}\n")
        for admin in admins}) if admins else {}
    for address, reason in outcome.items():
        if reason:
            log.warning("could not tell %s: %s", address, reason)
    return outcome


def flagged_claim(session: Session, settings: Settings, *, round_: AssessmentRound,
                  flags: list[tuple[str, dict]], user: User | None, base_url: str) -> None:
    """Tell the organisation's other administrators about a flagged claim: `flags` as
    responses.flag_claim recorded them."""
    partnership = session.get(Partnership, round_.partnership_id)
    why = "; ".join(audit.describe(action, detail) for action, detail in flags)
    tell_admins(session, settings, organisation_id=partnership.organisation_id,
                leave_out=user.id if user else None,
                subject=f"MAPS: check an invitation in {round_.title}",
                body=(f"In {round_.title} ({partnership.name}), MAPS flagged this invitation "
                      f"when it was started: {why}.\n\n"
                      "A coordinator holds every invitation link, so MAPS cannot tell a board "
                      "member from someone invited at an address the coordinator controls and "
                      "answered as; enough such answers can make an agency's one real member "
                      "a group large enough to be shown. Please check with the board that "
                      "this invitation is a real board member's.\n\n"
                      f"The round's page lists every flag: {base_url}/rounds/{round_.id}\n"
                      "The audit log holds the entries."))



def admin_added(session: Session, settings: Settings, *, organisation: Organisation,
                account: User, added_by: User, base_url: str) -> None:
    """A site administrator added an account to an organisation: tell its other
    administrators (an administrator reads every partnership's results), and record whom."""
    outcome = tell_admins(
        session, settings, organisation_id=organisation.id, leave_out=account.id,
        subject=f"MAPS: a site administrator added {account.email} to {organisation.name}",
        body=(f"{added_by.name or added_by.email} ({added_by.email}), a site administrator "
              f"of MAPS, has added {account.name} ({account.email}) to {organisation.name} "
              "as an administrator, who sees the results and comments of every partnership "
              "of the organisation.\n\n"
              "If you did not expect this, remove their access on the People page: "
              f"{base_url}/organisations/{organisation.id}\nThe audit log records it."))
    audit.record(session, action="admin_added_by_site_admin", user=added_by,
                 organisation_id=organisation.id,
                 detail={"email": account.email,
                         "told": sorted(a for a, reason in outcome.items() if not reason)})
    session.commit()
