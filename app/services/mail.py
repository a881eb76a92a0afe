"""Sending email through the configured SMTP server; MAPS works without one."""

import logging
import smtplib
import ssl
from email.message import EmailMessage

from app.config import Settings

log = logging.getLogger("maps.mail")


class MailError(Exception):
    pass


def configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def send(settings: Settings, *, messages: list[tuple[str, str, str]]) -> None:
    """Send (to, subject, body) messages over one connection, or raise MailError."""
    if not configured(settings):
        raise MailError("No mail server is configured (MAPS_SMTP_HOST).")
    context = ssl.create_default_context()
    try:
        if settings.smtp_port == 465:
            server = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=20,
                                      context=context)
        else:
            server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20)
        with server:
            if settings.smtp_port != 465 and settings.smtp_starttls:
                server.starttls(context=context)
            if settings.smtp_username:
                server.login(settings.smtp_username, settings.smtp_password or "")
            for to, subject, body in messages:
                message = EmailMessage()
                message["From"] = settings.smtp_from
                message["To"] = to
                message["Subject"] = subject
                message.set_content(body)
                server.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("sending mail failed: %s", exc)
        raise MailError(f"The mail server refused or could not be reached ({exc}).") from exc
