"""Asking before a change that cannot be taken back (the GOV.UK confirmation pattern).

A destructive form posts `confirm=yes` only from the confirmation page; a POST without it (the
round page's one-click buttons, a replayed or forged request, a script) shows that page and
changes nothing."""

from dataclasses import dataclass, field

from fastapi import Request
from starlette.responses import Response

from app.web.render import render

CONFIRM_FIELD = "confirm"


def confirmed(value: str | None) -> bool:
    return value == "yes"


@dataclass(frozen=True)
class Confirmation:
    heading: str  # the question: "Reissue Ann's link?"
    action: str  # where the confirmed form posts
    button: str  # what pressing it does: "Reissue the link"
    cancel: str  # where "Cancel" goes, unchanged
    caption: str = ""
    body: list[str] = field(default_factory=list)  # what will happen, in plain words
    warning: str = ""  # what cannot be undone
    hidden: dict[str, str] = field(default_factory=dict)  # other fields the action needs


def confirm_page(request: Request, confirmation: Confirmation) -> Response:
    return render(request, "_confirm.html", {"c": confirmation, "field": CONFIRM_FIELD})
