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
        "the interactive network chart of how the agencies work together needs a mouse",
        "On a round's results page, the interactive chart of the collaboration map (drawn "
        "only when you press its button) cannot be explored with a keyboard: its details on "
        "hover, zoom and pan need a mouse. The table of ratings above it, and the drawing it "
        "replaces, give the same figures.",
        "2.1.1 (keyboard)"),
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
