"""Sending email through the configured SMTP server; MAPS works without one."""

import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import TypeVar

from app.config import Settings

log = logging.getLogger("maps.mail")
K = TypeVar("K")


class MailError(Exception):
    pass


def configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def message(settings: Settings, *, to: str, subject: str, text: str, html: str | None = None,
            reply_to: str | None = None) -> EmailMessage:
    """One email from MAPS: plain text, and an HTML alternative when given."""
    email = EmailMessage()
    email["From"] = settings.smtp_from
    email["To"] = to
    email["Subject"] = subject
    if reply_to:
        email["Reply-To"] = reply_to
    email.set_content(text)
    if html is not None:
        email.add_alternative(html, subtype="html")
    return email


def _reason(exc: Exception, settings: Settings) -> str:
    """Why a message did not go, in words a coordinator can act on."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "The mail server refused this email address: check that it is spelt correctly"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return ("The mail server did not accept MAPS’s user name and password: ask your "
                "administrator to check MAPS_SMTP_USERNAME and MAPS_SMTP_PASSWORD")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return (f"The mail server refused MAPS’s sender address ({settings.smtp_from}): ask "
                "your administrator to check MAPS_SMTP_FROM")
    if isinstance(exc, smtplib.SMTPResponseException):
        said = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        return f"The mail server refused the message (it said: {exc.smtp_code} {said[:200]})"
    return (f"MAPS could not reach the mail server ({settings.smtp_host}, port "
            f"{settings.smtp_port}): try again later, or ask your administrator")


def _connect(settings: Settings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if settings.smtp_port == 465:
        server = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=20,
                                  context=context)
    else:
        server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20)
    try:
        if settings.smtp_port != 465 and settings.smtp_starttls:
            server.starttls(context=context)
        if settings.smtp_username:
            server.login(settings.smtp_username, settings.smtp_password or "")
    except BaseException:
        server.close()
        raise
    return server


def send_each(settings: Settings, *, messages: dict[K, EmailMessage]) -> dict[K, str | None]:
    """Send every message over one connection. For each key: None when the mail server took
    the message, else why it did not, in plain words. Never raises for a mail problem: a
    server that cannot be reached fails every message with the same reason."""
    if not configured(settings):
        raise MailError("No mail server is configured (MAPS_SMTP_HOST).")
    outcome: dict[K, str | None] = {}
    try:
        with _connect(settings) as server:
            for key, email in messages.items():
                try:
                    server.send_message(email)
                    outcome[key] = None
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
                    # This message only: the connection stays usable for the next.
                    log.warning("mail to one recipient refused: %s", exc)
                    outcome[key] = _reason(exc, settings)
                    server.rset()
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("sending mail failed: %s", exc)
        reason = _reason(exc, settings)
        for key in messages:
            outcome.setdefault(key, reason)
    return outcome


def send(settings: Settings, *, messages: list[tuple[str, str, str]]) -> None:
    """Send (to, subject, body) plain messages, or raise MailError with the first reason."""
    outcome = send_each(settings, messages={
        i: message(settings, to=to, subject=subject, text=body)
        for i, (to, subject, body) in enumerate(messages)})
    if failed := [reason for reason in outcome.values() if reason]:
        raise MailError(failed[0])
