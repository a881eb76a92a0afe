"""The home page, the accessibility statement and the health check."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlmodel import Session

from app.db import get_session
from app.web.access import OptionalUser
from app.web.api import Health, errors
from app.web.render import render

router = APIRouter()


@dataclass(frozen=True)
class KnownProblem:
    summary: str   # in plain words, for "How accessible MAPS is"
    detail: str    # what fails and where, for "Non-accessible content"
    criteria: str  # the WCAG 2.2 success criteria it fails


# What tests/test_browser_accessibility.py (its xfail cases) and the last audit still find
# failing. Keep it true: remove a problem when its fix is merged, add one when it is found.
KNOWN_PROBLEMS = (
    KnownProblem(
        "the comparison of partnerships is wider than a small screen, and its heatmap cells "
        "are many small links",
        "On the page comparing partnerships, the table and heatmap make the page scroll "
        "sideways at 320 pixels wide and at high zoom, and each heatmap cell is a separate "
        "link that reads only as a score and band letter.",
        "1.4.10 (reflow), 2.4.4 (link purpose)"),
    KnownProblem(
        "some charts and tables in a round's results are hard to read on a small screen",
        "On a round's results page at 320 pixels wide, some chart labels are cut off or "
        "overlap and some tables are wider than the screen.",
        "1.4.10 (reflow)"),
    KnownProblem(
        "the report you can download as a PDF is not fully tagged for screen readers",
        "In the PDF report, table header cells do not say whether they head a row or a "
        "column, and links do not carry readable descriptions.",
        "1.3.1 (info and relationships), 2.4.4 (link purpose)"),
)
SessionDep = Annotated[Session, Depends(get_session)]


@router.get("/")
def home(request: Request, user: OptionalUser):
    # `user` is asked for so that a signed-in user gets their navigation here too. The page
    # shows no figures about the site: nobody signed out should learn who uses MAPS.
    return render(request, "home.html")


@router.get("/accessibility")
def accessibility(request: Request, user: OptionalUser):
    """The accessibility statement, linked from every page's footer."""
    return render(request, "accessibility.html", {
        "contact": request.app.state.settings.accessibility_contact,
        "known_problems": KNOWN_PROBLEMS})


@router.get("/healthz", response_model=None,
            responses={200: {"model": Health, "description": "The app and its database are up"},
                       **errors(503)})
def healthz(session: SessionDep):
    session.exec(text("SELECT 1"))
    return JSONResponse({"status": "ok", "app": "up", "database": "up"})
