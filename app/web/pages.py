"""The home page and the health check."""

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
SessionDep = Annotated[Session, Depends(get_session)]


@router.get("/")
def home(request: Request, user: OptionalUser):
    # `user` is asked for so that a signed-in user gets their navigation here too. The page
    # shows no figures about the site: nobody signed out should learn who uses MAPS.
    return render(request, "home.html")


@router.get("/healthz", response_model=None,
            responses={200: {"model": Health, "description": "The app and its database are up"},
                       **errors(503)})
def healthz(session: SessionDep):
    session.exec(text("SELECT 1"))
    return JSONResponse({"status": "ok", "app": "up", "database": "up"})
