"""Accounts: password hashing, signing in with rate limits, one-time password links,
organisations and their users."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, update
from sqlmodel import Session, col, func, select

from app.config import Settings
from app.models import Organisation, PasswordLink, Role, SignInAttempt, User, utcnow
from app.services import audit
from app.services.errors import Invalid

# Stored for accounts that have no password yet: no argon2 hash starts with "!", so nothing
# verifies against it until the person follows their set-password link.
NO_PASSWORD = "!"
MIN_PASSWORD = 12
MAX_PASSWORD = 200
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@cache
def hasher(time_cost: int, memory_cost: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)


def _hasher(settings: Settings) -> PasswordHasher:
    return hasher(settings.password_time_cost, settings.password_memory_cost)


@cache
def _dummy_hash(time_cost: int, memory_cost: int) -> str:
    return hasher(time_cost, memory_cost).hash(secrets.token_urlsafe(16))


def hash_password(settings: Settings, password: str) -> str:
    return _hasher(settings).hash(password)


def verify_password(settings: Settings, password_hash: str, password: str) -> bool:
    """Any argon2 hash verifies, whatever its cost (the demo's hashes included)."""
    try:
        return _hasher(settings).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def session_fingerprint(user: User) -> str:
    """Kept in the session cookie: changing the password changes it, ending other sessions."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


@dataclass
class SignIn:
    user: User | None = None
    retry_at: datetime | None = None  # set when there have been too many failures


def sign_in(session: Session, *, email: str, password: str, ip: str, settings: Settings,
            now: datetime | None = None) -> SignIn:
    """Check an email and password. Every attempt is written before the password is checked,
    so parallel guesses from several app processes count against each other; a success clears
    the email's failures."""
    email = normalise_email(email)[:320]
    now = now or utcnow()
    since = now - timedelta(minutes=settings.sign_in_window_minutes)
    session.exec(delete(SignInAttempt).where(col(SignInAttempt.at) < since))
    attempt = SignInAttempt(email=email, ip=ip[:64], at=now)
    session.add(attempt)
    session.commit()
    retry_at = _retry_at(session, email=email, ip=ip, since=since, settings=settings)
    if retry_at is not None:
        session.delete(attempt)
        session.commit()
        return SignIn(retry_at=retry_at)
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        # Spend the same time as a real check, so timing does not reveal which emails exist.
        verify_password(settings, _dummy_hash(settings.password_time_cost,
                                              settings.password_memory_cost), password)
    elif verify_password(settings, user.password_hash, password):
        session.exec(delete(SignInAttempt).where(SignInAttempt.email == email))
        if _hasher(settings).check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(settings, password)
            session.add(user)
        audit.record(session, action="signed_in", user=user,
                     organisation_id=user.organisation_id, detail={"ip": ip})
        session.commit()
        return SignIn(user=user)
    audit.record(session, action="sign_in_failed",
                 organisation_id=user.organisation_id if user else None,
                 detail={"email": email, "ip": ip})
    session.commit()
    return SignIn()


def _retry_at(session: Session, *, email: str, ip: str, since: datetime,
              settings: Settings) -> datetime | None:
    window = timedelta(minutes=settings.sign_in_window_minutes)
    latest = None
    for column, value, limit in ((SignInAttempt.email, email, settings.sign_in_max_failures),
                                 (SignInAttempt.ip, ip, settings.sign_in_max_failures_per_ip)):
        times = session.exec(select(SignInAttempt.at).where(
            column == value, col(SignInAttempt.at) >= since).order_by(SignInAttempt.at)).all()
        # The rows include this attempt; it may go ahead if fewer than `limit` failed before.
        if len(times) > limit:
            # Enough of the oldest failures must age out of the window to get below the limit.
            free_at = times[len(times) - 1 - limit] + window
            latest = max(latest, free_at) if latest else free_at
    return latest


def password_problems(password: str, confirm: str, email: str) -> dict[str, str]:
    if len(password) < MIN_PASSWORD:
        return {"password": f"Enter a password of at least {MIN_PASSWORD} characters"}
    if len(password) > MAX_PASSWORD:
        return {"password": f"Enter a password of at most {MAX_PASSWORD} characters"}
    if password.strip().lower() == email.lower():
        return {"password": "Your password must not be your email address"}
    if password != confirm:
        return {"confirm": "Enter the same password twice"}
    return {}


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_password_link(session: Session, *, user: User, issued_by: User | None,
                        settings: Settings) -> str:
    """A new one-time link to set the user's password; returns its token (256 random bits),
    of which only the hash is kept. Earlier unused links for the user stop working."""
    now = utcnow()
    session.exec(update(PasswordLink).where(
        PasswordLink.user_id == user.id, col(PasswordLink.used_at).is_(None)).values(used_at=now))
    token = secrets.token_urlsafe(32)
    session.add(PasswordLink(user_id=user.id, token_hash=_hash_token(token),
                             issued_by_id=issued_by.id if issued_by else None,
                             expires_at=now + timedelta(hours=settings.password_link_hours)))
    audit.record(session, action="password_link_issued", user=issued_by,
                 organisation_id=user.organisation_id, detail={"for": user.email})
    session.commit()
    return token


def open_password_link(session: Session, token: str) -> tuple[PasswordLink, User] | None:
    """The link and its user while it is unused and unexpired, else None."""
    link = session.exec(select(PasswordLink).where(
        PasswordLink.token_hash == _hash_token(token))).first()
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        return None
    return link, session.get(User, link.user_id)


def set_password_from_link(session: Session, *, token: str, password: str, confirm: str,
                           settings: Settings) -> User | None:
    """Use the link once: None if it is not (or no longer) valid, Invalid if the password is
    not acceptable."""
    opened = open_password_link(session, token)
    if opened is None:
        return None
    link, user = opened
    problems = password_problems(password, confirm, user.email)
    if problems:
        raise Invalid(problems)
    # Only one of two simultaneous posts of the same link can mark it used.
    used = session.exec(update(PasswordLink).where(
        PasswordLink.id == link.id, col(PasswordLink.used_at).is_(None)).values(used_at=utcnow()))
    if used.rowcount != 1:
        session.rollback()
        return None
    user.password_hash = hash_password(settings, password)
    session.add(user)
    session.exec(delete(SignInAttempt).where(SignInAttempt.email == user.email))
    audit.record(session, action="password_set", user=user, organisation_id=user.organisation_id)
    session.commit()
    return user


def _check_new_user(session: Session, name: str, email: str) -> tuple[str, str]:
    name, email = name.strip(), normalise_email(email)
    errors = {}
    if not name:
        errors["name"] = "Enter the person's full name"
    elif len(name) > 200:
        errors["name"] = "Enter a name of at most 200 characters"
    if not EMAIL_RE.match(email) or len(email) > 320:
        errors["email"] = "Enter an email address in the correct format, like name@example.org"
    elif session.exec(select(User).where(User.email == email)).first():
        errors["email"] = "There is already an account with this email address"
    if errors:
        raise Invalid(errors)
    return name, email


def create_user(session: Session, *, organisation: Organisation | None, name: str, email: str,
                role: Role, created_by: User | None) -> User:
    """An account without a password; the caller issues its set-password link."""
    name, email = _check_new_user(session, name, email)
    user = User(email=email, name=name, role=role, password_hash=NO_PASSWORD,
                organisation_id=organisation.id if organisation else None)
    session.add(user)
    session.flush()
    audit.record(session, action="user_created", user=created_by,
                 organisation_id=user.organisation_id, detail={"email": email, "role": role})
    session.commit()
    return user


def create_organisation(session: Session, *, name: str, admin_name: str, admin_email: str,
                        created_by: User | None) -> tuple[Organisation, User]:
    """An organisation and its first admin, in one transaction."""
    name = name.strip()
    errors = {}
    if not name:
        errors["org_name"] = "Enter the organisation's name"
    elif len(name) > 200:
        errors["org_name"] = "Enter a name of at most 200 characters"
    elif session.exec(select(Organisation).where(
            func.lower(Organisation.name) == name.lower())).first():
        errors["org_name"] = "There is already an organisation with this name"
    try:
        admin_name, admin_email = _check_new_user(session, admin_name, admin_email)
    except Invalid as exc:
        errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    organisation = Organisation(name=name)
    session.add(organisation)
    session.flush()
    admin = User(email=admin_email, name=admin_name, role=Role.org_admin,
                 password_hash=NO_PASSWORD, organisation_id=organisation.id)
    session.add(admin)
    session.flush()
    audit.record(session, action="organisation_created", user=created_by,
                 organisation_id=organisation.id, detail={"name": name})
    audit.record(session, action="user_created", user=created_by,
                 organisation_id=organisation.id,
                 detail={"email": admin_email, "role": Role.org_admin})
    session.commit()
    return organisation, admin


def users_of(session: Session, organisation: Organisation) -> list[User]:
    return list(session.exec(select(User).where(User.organisation_id == organisation.id)
                             .order_by(User.role, User.name)))
