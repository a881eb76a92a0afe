"""Who is signed in, and what each role may see and do. Every access check lives here.

- A site admin manages organisations and their admins, and reads the whole audit log; they
  see no partnership's data.
- An organisation admin sees every partnership of their organisation, creates partnerships,
  edits their details and appoints coordinators.
- A coordinator sees and runs the partnerships they coordinate: agencies, rounds, invites.
- A board member has no account; their invite link is checked in app/services/responses.py.

Data of another organisation (or a partnership a coordinator does not coordinate) is answered
with 404, so its existence is not revealed; a visible thing the role may not change with 403.
"""

from dataclasses import dataclass
from enum import Enum
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session

from app.db import get_session
from app.models import (
    ActionItem,
    AgendaItem,
    AssessmentRound,
    BoardMeeting,
    Organisation,
    Partnership,
    Respondent,
    Role,
    UploadedQuestionnaire,
    User,
)
from app.services import accounts
from app.services.inputs import MAX_ID
from app.services.partnerships import is_coordinator
from app.web.csrf import SESSION_KEY

SessionDep = Annotated[Session, Depends(get_session)]
SIGNED_IN_AS = "user_id"  # in the session cookie beside its key: which account, if any


class SignInRequired(Exception):
    """Raised for a page that needs an account; answered with a redirect to the sign-in page."""

    def __init__(self, next_path: str):
        self.next_path = next_path


@dataclass(frozen=True)
class Viewer:
    """Who is signed in, as every page's layout shows them: plain values copied when the
    request found its user. A page drawn after the database failed (the error pages) reads
    them without touching a row, which could need the very database that failed."""

    id: int
    email: str
    role: Role
    organisation_id: int | None

    @classmethod
    def of(cls, user: User | None) -> "Viewer | None":
        if user is None:
            return None
        return cls(id=user.id, email=user.email, role=Role(user.role),
                   organisation_id=user.organisation_id)


def current_user(request: Request, session: SessionDep) -> User | None:
    """The signed-in user, or None. The session must still be live in the database: signing
    out, a new password or the account's removal ends it on every app process at once."""
    user_id, key = request.session.get(SIGNED_IN_AS), request.session.get(SESSION_KEY)
    user = None
    if isinstance(user_id, int) and isinstance(key, str):
        user = accounts.session_user(session, key=key, user_id=user_id)
        if user is None:
            request.session.clear()  # ended elsewhere: a fresh anonymous session from now on
    request.state.viewer = Viewer.of(user)
    return user


def signed_in_user(request: Request,
                   user: Annotated[User | None, Depends(current_user)]) -> User:
    if user is None:
        raise SignInRequired(request.url.path)
    return user


OptionalUser = Annotated[User | None, Depends(current_user)]
CurrentUser = Annotated[User, Depends(signed_in_user)]


def sign_in_session(request: Request, session: Session, user: User) -> None:
    # A fresh session (a new key, so a new CSRF token) on sign-in: nothing set before it
    # carries over, and a key an attacker planted beforehand is worth nothing.
    request.session.clear()
    key = accounts.start_session(session, user=user, settings=request.app.state.settings)
    request.session.update({SESSION_KEY: key, SIGNED_IN_AS: user.id})
    request.state.viewer = Viewer.of(user)


def sign_out_session(request: Request, session: Session) -> None:
    key = request.session.get(SESSION_KEY)
    if isinstance(key, str):
        accounts.end_session(session, key=key)
    request.session.clear()
    request.state.viewer = None


def get_by_id(session: Session, model, id_: int):
    """The row with this id, or None when there is none (or none could have it)."""
    return session.get(model, id_) if 0 < id_ <= MAX_ID else None


def _not_found() -> HTTPException:
    return HTTPException(404, "There is no such page, or it belongs to an organisation you do "
                              "not work for.")


def _forbidden(message: str) -> HTTPException:
    return HTTPException(403, message)


ROLE_NAMES = {Role.site_admin: "a site administrator",
              Role.org_admin: "an organisation administrator",
              Role.coordinator: "a partnership coordinator"}


def require_role(user: User, *roles: Role) -> None:
    if user.role not in roles:
        raise _forbidden(f"Only {' or '.join(ROLE_NAMES[r] for r in roles)} can do this.")


class Do(Enum):
    """What a user wants to do with a partnership."""

    view = "view"  # its pages, rounds, response rates
    edit = "edit"  # its name, client group and description
    appoint = "appoint"  # its coordinators
    run = "run"  # its agencies, rounds and invitations


def can_see_partnership(session: Session, user: User, partnership: Partnership) -> bool:
    if user.organisation_id != partnership.organisation_id:
        return False
    if user.role == Role.org_admin:
        return True
    return user.role == Role.coordinator and is_coordinator(session, user, partnership.id)


def allowed(user: User, do: Do) -> bool:
    """Whether the user's role may do this to a partnership they can see."""
    if do in (Do.view, Do.edit):
        return True
    if do is Do.appoint:
        return user.role == Role.org_admin
    return user.role == Role.coordinator


def require_partnership(session: Session, user: User, partnership_id: int, *,
                        do: Do = Do.view) -> Partnership:
    partnership = get_by_id(session, Partnership, partnership_id)
    if partnership is None or not can_see_partnership(session, user, partnership):
        raise _not_found()
    if not allowed(user, do):
        raise _forbidden({Do.appoint: "Only an organisation administrator can appoint "
                                      "coordinators.",
                          Do.run: "Only the partnership's coordinators can change its "
                                  "agencies, rounds and invitations."}[do])
    return partnership


def require_round(session: Session, user: User, round_id: int, *,
                  do: Do = Do.view) -> tuple[AssessmentRound, Partnership]:
    round_ = get_by_id(session, AssessmentRound, round_id)
    if round_ is None:
        raise _not_found()
    return round_, require_partnership(session, user, round_.partnership_id, do=do)


def require_respondent(session: Session, round_: AssessmentRound,
                       respondent_id: int) -> Respondent:
    respondent = get_by_id(session, Respondent, respondent_id)
    if respondent is None or respondent.round_id != round_.id:
        raise _not_found()
    return respondent


def require_action(session: Session, round_: AssessmentRound, action_id: int) -> ActionItem:
    item = get_by_id(session, ActionItem, action_id)
    if item is None or item.round_id != round_.id:
        raise _not_found()
    return item


def require_agenda_item(session: Session, meeting: BoardMeeting, agenda_id: int) -> AgendaItem:
    item = get_by_id(session, AgendaItem, agenda_id)
    if item is None or item.meeting_id != meeting.id:
        raise _not_found()
    return item


def require_organisation(session: Session, user: User, organisation_id: int) -> Organisation:
    """A site admin may manage any organisation; an organisation admin their own."""
    organisation = get_by_id(session, Organisation, organisation_id)
    if organisation is None:
        raise _not_found()
    if user.role == Role.site_admin:
        return organisation
    if user.organisation_id != organisation.id:
        raise _not_found()
    require_role(user, Role.org_admin)
    return organisation


def require_account(session: Session, user: User, user_id: int, *,
                    removed_too: bool = False) -> User:
    """An account whose password link the user may issue, or that they may remove: a site
    admin any organisation's accounts, an organisation admin the other accounts of their
    organisation. A removed account is no longer there, but for removing it again."""
    target = get_by_id(session, User, user_id)
    if target is None or (target.removed_at is not None and not removed_too):
        raise _not_found()
    if user.role == Role.site_admin:
        if target.organisation_id is None:
            raise _forbidden("A site administrator's account cannot be changed here: use the "
                             "maps command (maps user password-link).")
        return target
    if target.organisation_id != user.organisation_id:
        raise _not_found()
    require_role(user, Role.org_admin)
    if target.id == user.id:
        raise _forbidden("You cannot do this to your own account: ask another administrator.")
    return target


def require_upload(session: Session, user: User, upload_id: int, *,
                   remove: bool = False) -> UploadedQuestionnaire:
    """An uploaded questionnaire. An organisation administrator sees their organisation's and
    the site-wide ones, and removes their own; a site administrator sees every one, and
    removes those published site-wide."""
    upload = get_by_id(session, UploadedQuestionnaire, upload_id)
    if upload is None or (user.role != Role.site_admin
                          and upload.organisation_id not in (None, user.organisation_id)):
        raise _not_found()
    require_role(user, Role.site_admin, Role.org_admin)
    if remove and upload.organisation_id != user.organisation_id:
        raise _forbidden("Only a site administrator can remove a questionnaire published "
                         "site-wide." if upload.organisation_id is None else
                         "Only the organisation's administrators can remove its "
                         "questionnaires.")
    return upload
