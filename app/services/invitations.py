"""The invitation email: MAPS's suggested wording or the coordinator's own (with placeholders
for the personal parts), and the details every invitation carries whatever the wording: the
personal link, the partnership, who is asking, the closing date, the time it takes and what
happens to the answers."""

import html
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from string import Formatter

from jinja2 import Environment, FileSystemLoader

from app.clock import uk_time
from app.services.errors import Invalid

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# Placeholder -> what it becomes, as the wording form explains it.
PLACEHOLDERS = {
    "name": "the board member’s name",
    "agency": "their agency",
    "link": "their personal link",
    "partnership": "the partnership’s name",
    "questionnaire": "the questionnaire’s title",
    "coordinator": "your name",
    "organisation": "your organisation",
    "closing_date": "the closing date",
    "minutes": "how many minutes it takes",
}
DEFAULT_SUBJECT = "{partnership}: please answer “{questionnaire}” by {closing_date}"
DEFAULT_MESSAGE = """Dear {name},

I am asking each member of the {partnership} board to answer the questionnaire \
“{questionnaire}”. Your answers, with everyone else's, will show the board where it works \
well together and where to improve.

It takes about {minutes} minutes, and you can stop and come back to it. Please answer by \
{closing_date}, using your personal link below.

Thank you,
{coordinator}
{organisation}"""
MAX_SUBJECT = 200
MAX_MESSAGE = 5000


@dataclass(frozen=True)
class Invitation:
    """What is the same in every invitation of a round."""

    partnership: str
    coordinator: str
    coordinator_email: str
    organisation: str
    closes_at: datetime
    minutes: int
    threshold: int  # the anonymity threshold in force, as the privacy promise states it
    questionnaire: str = ""  # the round's questionnaire's title
    subject: str = DEFAULT_SUBJECT
    message: str = DEFAULT_MESSAGE

    @property
    def closing_date(self) -> str:
        return uk_time(self.closes_at).strftime("%A %-d %B %Y")

    @property
    def closing_time(self) -> str:
        """The date with its hour; rounds opened in MAPS close as their last day ends."""
        local = uk_time(self.closes_at)
        if (local.hour, local.minute) == (23, 59):
            return f"{self.closing_date}, at the end of the day"
        return f"{self.closing_date} at {local.strftime('%H:%M')}"


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


def _parts(template: str) -> list[tuple[str, str | None]]:
    """(literal text, placeholder or None); raises ValueError naming what is wrong."""
    parts = []
    try:
        parsed = list(Formatter().parse(template))
    except ValueError:
        raise ValueError("A ‘{’ or ‘}’ has no partner: write placeholders like {name}, and "
                         "write a brace on its own as {{ or }}") from None
    for literal, field, spec, conversion in parsed:
        if field is not None and (field not in PLACEHOLDERS or spec or conversion):
            shown = "{" + field + (f"!{conversion}" if conversion else "") + \
                (f":{spec}" if spec else "") + "}"
            raise ValueError(f"‘{shown[:60]}’ is not a placeholder MAPS knows. Use only: "
                             + ", ".join("{" + p + "}" for p in PLACEHOLDERS))
        parts.append((literal, field))
    return parts


def check_wording(*, subject: str, message: str) -> tuple[str, str]:
    """The wording as it will be kept, or Invalid naming each field's problem."""
    subject, message = subject.strip(), message.strip().replace("\r\n", "\n")
    errors = {}
    for field, text, limit in (("subject", subject, MAX_SUBJECT),
                               ("message", message, MAX_MESSAGE)):
        label = "subject" if field == "subject" else "message"
        if not text:
            errors[field] = f"Enter the {label}"
        elif len(text) > limit:
            errors[field] = f"The {label} is longer than {limit} characters: shorten it"
        else:
            try:
                _parts(text)
            except ValueError as exc:
                errors[field] = f"In the {label}: {exc}"
    if "subject" not in errors and "\n" in subject:
        errors["subject"] = "The subject must be one line"
    if errors:
        raise Invalid(errors)
    return subject, message


def _fill(template: str, values: dict[str, str], escape=lambda s: s, link=None) -> str:
    out = []
    for literal, field in _parts(template):
        out.append(escape(literal))
        if field == "link" and link is not None:
            out.append(link)
        elif field is not None:
            out.append(escape(values[field]))
    return "".join(out)


class _Points(HTMLParser):
    """The heading and the text of each point (<h2>, <li>), for the plain-text part."""

    def __init__(self):
        super().__init__()
        self.items: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("h2", "li"):
            self._depth += 1
            self.items.append("")

    def handle_endtag(self, tag):
        if tag in ("h2", "li"):
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.items[-1] += data


@cache
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                       trim_blocks=True, lstrip_blocks=True)


def privacy_promise(threshold: int) -> tuple[str, str, list[str]]:
    """The respondent's privacy promise (respond/_privacy.html, the questionnaire's own words,
    so the email never says more or less than MAPS does): its HTML, and its heading and points
    as plain text."""
    promise = _env().get_template("respond/_privacy.html").render(threshold=threshold)
    parser = _Points()
    parser.feed(promise)
    heading, *points = [" ".join(item.split()) for item in parser.items]
    return promise, heading, points


def compose(invitation: Invitation, *, name: str, agency: str, link: str) -> Email:
    """One board member's invitation, in plain text and HTML."""
    values = {"name": name or "board member", "agency": agency or "your agency",
              "link": link, "partnership": invitation.partnership,
              "coordinator": invitation.coordinator, "organisation": invitation.organisation,
              "closing_date": invitation.closing_date, "minutes": str(invitation.minutes),
              "questionnaire": invitation.questionnaire}
    subject = " ".join(_fill(invitation.subject, values).split())
    message = _fill(invitation.message, values)
    asked_by = (f"{invitation.coordinator} ({invitation.coordinator_email}), "
                f"{invitation.organisation}")
    promise_html, promise_heading, promise_points = privacy_promise(invitation.threshold)
    details = [("Your personal link", link), ("Partnership", invitation.partnership),
               ("Asked by", asked_by), ("Closing date", invitation.closing_time),
               ("Time it takes", f"About {invitation.minutes} minutes. You can stop and come "
                                 "back to it: the answers you have saved are kept.")]
    text = "\n".join([
        message, "", "-" * 40,
        *(f"{label}: {value}" for label, value in details), "",
        "Your link is personal: do not pass it on. You need no account or password.", "",
        promise_heading, "",
        *(f"- {point}" for point in promise_points), ""])
    link_html = f'<a href="{html.escape(link)}">{html.escape(link)}</a>'
    message_html = _fill(invitation.message, values, escape=html.escape, link=link_html)
    body = _env().get_template("email/invitation.html").render(
        subject=subject, paragraphs=[p.replace("\n", "<br>") for p in message_html.split("\n\n")],
        details=details, link=link, promise=promise_html)
    return Email(subject=subject, text=text, html=body)
