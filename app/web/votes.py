"""The live vote on a board member's phone: type the code shown in the meeting, answer the one
question, done. No account and no invite link: one vote per device (its browser session),
never linked to anyone's questionnaire answers. A tiny page that works without JavaScript."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from app.services import live_votes
from app.services.errors import Invalid
from app.web.access import SessionDep
from app.web.csrf import session_key
from app.web.forms import PostedForm
from app.web.render import render

router = APIRouter()


class CodeForm(PostedForm):
    code: str = ""


class VoteForm(PostedForm):
    answer: str = ""


@router.get("/vote")
def code_page(request: Request):
    return render(request, "vote/code.html", {"errors": {}, "code": ""})


@router.post("/vote")
def enter_code(request: Request, session: SessionDep, form: Annotated[CodeForm, Form()]):
    code = live_votes.normalise(form.code)
    try:
        live_votes.find(session, code)
    except live_votes.NoSuchVote:
        message = ("Enter the code shown on the screen" if not code else
                   "There is no vote with that code: check the code on the screen")
        return render(request, "vote/code.html", {"errors": {"code": message},
                                                  "code": form.code}, status_code=400)
    return RedirectResponse(f"/vote/{code}", status_code=303)


def _page(request: Request, session, code: str, *, status_code: int = 200, **extra):
    vote = live_votes.find(session, code)
    _, item = live_votes.question_of(session, vote=vote, catalogue=request.app.state.catalogue)
    context = {"vote": vote, "item": item, "errors": {}, "answer": "",
               "voted": live_votes.has_voted(session, vote=vote,
                                             key=session_key(request.session))}
    context.update(extra)
    return render(request, "vote/vote.html", context, status_code=status_code)


@router.get("/vote/{code}")
def vote_page(code: str, request: Request, session: SessionDep):
    return _page(request, session, code)


@router.post("/vote/{code}")
def cast_vote(code: str, request: Request, session: SessionDep,
              form: Annotated[VoteForm, Form()]):
    vote = live_votes.find(session, code)
    _, item = live_votes.question_of(session, vote=vote, catalogue=request.app.state.catalogue)
    try:
        outcome = live_votes.cast(session, vote=vote, item=item, value=form.answer,
                                  key=session_key(request.session))
    except Invalid as exc:
        return _page(request, session, code, errors=exc.errors, status_code=400)
    if outcome == live_votes.CLOSED:
        return _page(request, session, code, status_code=409, refused=True)
    return RedirectResponse(f"/vote/{vote.code}", status_code=303)
