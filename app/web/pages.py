"""The home page and the health check."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, text
from sqlmodel import Session, select

from app.db import get_session
from app.models import AssessmentRound, Organisation, Partnership, Respondent
from app.web.access import OptionalUser
from app.web.api import Health, errors
from app.web.render import render

router = APIRouter()
SessionDep = Annotated[Session, Depends(get_session)]


@router.get("/")
def home(request: Request, session: SessionDep, user: OptionalUser):
    # `user` is asked for so that a signed-in user gets their navigation here too.
    def count(query):
        return session.exec(query).one()

    counts = {
        "organisations": count(select(func.count()).select_from(Organisation)),
        "partnerships": count(select(func.count()).select_from(Partnership)),
        "rounds": count(select(func.count()).select_from(AssessmentRound)),
        "responses": count(select(func.count()).select_from(Respondent)
                           .where(Respondent.submitted_at.is_not(None))),
    }
    return render(request, "home.html", {"counts": counts})


@router.get("/healthz", response_model=None,
            responses={200: {"model": Health, "description": "The app and its database are up"},
                       **errors(503)})
def healthz(session: SessionDep):
    session.exec(text("SELECT 1"))
    return JSONResponse({"status": "ok", "app": "up", "database": "up"})
