"""Accounts: password hashing and checking, signing in with rate limits, sessions the server
can end, one-time password links, organisations and their users."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, update
from sqlmodel import Session, col, select
from zxcvbn import zxcvbn

from app import FULL_NAME, NAME
from app.config import Settings
from app.models import (
    Organisation,
    PartnershipCoordinator,
    PasswordLink,
    Role,
    SignInAttempt,
    User,
    UserSession,
    utcnow,
)
from app.services import audit
from app.services.errors import Invalid, unless_taken
from app.services.inputs import control_character_problem, is_email, name_problem, name_taken

# Stored for accounts that have no password yet: no argon2 hash starts with "!", so nothing
# verifies against it until the person follows their set-password link.
NO_PASSWORD = "!"
MIN_PASSWORD = 12
MAX_PASSWORD = 200
# zxcvbn's score: 3 means "safely unguessable" for an online attack (about 10**8 guesses or
# more). Below it are the passwords of its lists of common and breached passwords, and those
# made of repeats, sequences, keyboard patterns, dates and common words.
MIN_PASSWORD_SCORE = 3
# Published in the README for the demo's accounts (app/demo.py gives it to them), so nobody
# setting a password may choose it.
DEMO_PASSWORD = "demo-maps-2026"


@cache
def hasher(time_cost: int, memory_cost: int, parallelism: int = 1) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost,
                          parallelism=parallelism, type=Type.ID)


def _hasher(settings: Settings) -> PasswordHasher:
    return hasher(settings.password_time_cost, settings.password_memory_cost,
                  settings.password_parallelism)


def dummy_hash(settings: Settings) -> str:
    """A hash no password matches, checked when the email is unknown so that the answer takes
    as long as for a real account. Made once per process (app start-up makes it)."""
    return _dummy_hash(settings.password_time_cost, settings.password_memory_cost,
                       settings.password_parallelism)


@cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return hasher(time_cost, memory_cost, parallelism).hash(secrets.token_urlsafe(16))


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


# --- Sessions --------------------------------------------------------------------------------

def start_session(session: Session, *, user: User, settings: Settings) -> str:
    """A new session for the user; returns its key for the cookie (256 random bits), of which
    only the hash is kept."""
    now = utcnow()
    key = secrets.token_urlsafe(32)
    session.exec(delete(UserSession).where(col(UserSession.expires_at) <= now))
    session.add(UserSession(key_hash=_hash_token(key), user_id=user.id, created_at=now,
                            expires_at=now + timedelta(hours=settings.session_hours)))
    session.commit()
    return key


def session_user(session: Session, *, key: str, user_id: int) -> User | None:
    """The user whose live session has this key, or None: a session ends when its row goes."""
    return session.exec(select(User).join(UserSession, col(UserSession.user_id) == User.id)
                        .where(UserSession.key_hash == _hash_token(key),
                               UserSession.user_id == user_id,
                               col(UserSession.expires_at) > utcnow(),
                               col(User.removed_at).is_(None))).first()


def end_session(session: Session, *, key: str) -> None:
    session.exec(delete(UserSession).where(UserSession.key_hash == _hash_token(key)))
    session.commit()


def _end_sessions_of(session: Session, user: User) -> None:
    """Every session of the user ends (in the caller's transaction)."""
    session.exec(delete(UserSession).where(UserSession.user_id == user.id))


# --- Signing in ------------------------------------------------------------------------------

@dataclass
class SignIn:
    user: User | None = None
    retry_at: datetime | None = None  # set when there have been too many failures


def sign_in(session: Session, *, email: str, password: str, ip: str, settings: Settings,
            now: datetime | None = None) -> SignIn:
    """Check an email and password. Every attempt is written before the password is checked,
    so parallel guesses from several app processes count against each other.

    Failures are limited per (email, client address) pair and per client address, never per
    email alone: someone guessing at an account is stopped without locking its owner out, who
    signs in from another address. A success clears that pair's failures."""
    email = normalise_email(email)[:320]
    ip = ip[:64]
    now = now or utcnow()
    since = now - timedelta(minutes=settings.sign_in_window_minutes)
    session.exec(delete(SignInAttempt).where(col(SignInAttempt.at) < since))
    attempt = SignInAttempt(email=email, ip=ip, at=now)
    session.add(attempt)
    session.commit()
    retry_at = _retry_at(session, email=email, ip=ip, since=since, settings=settings)
    if retry_at is not None:
        session.delete(attempt)
        session.commit()
        return SignIn(retry_at=retry_at)
    user = session.exec(select(User).where(User.email == email,
                                           col(User.removed_at).is_(None))).first()
    if user is None:
        # Spend the same time as a real check, so timing does not reveal which emails exist.
        verify_password(settings, dummy_hash(settings), password)
    elif verify_password(settings, user.password_hash, password):
        session.exec(delete(SignInAttempt).where(SignInAttempt.email == email,
                                                 SignInAttempt.ip == ip))
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
    pair = (SignInAttempt.email == email) & (SignInAttempt.ip == ip)
    for where, limit in ((pair, settings.sign_in_max_failures),
                         (SignInAttempt.ip == ip, settings.sign_in_max_failures_per_ip)):
        times = session.exec(select(SignInAttempt.at).where(
            where, col(SignInAttempt.at) >= since).order_by(SignInAttempt.at)).all()
        # The rows include this attempt; it may go ahead if fewer than `limit` failed before.
        if len(times) > limit:
            # Enough of the oldest failures must age out of the window to get below the limit.
            free_at = times[len(times) - 1 - limit] + window
            latest = max(latest, free_at) if latest else free_at
    return latest


def password_problems(password: str, confirm: str, user: User,
                      organisation: Organisation | None) -> dict[str, str]:
    """NIST SP 800-63B: at least 12 characters, any characters, no composition rules, and not
    a password that is common, breached or easy to guess: zxcvbn's lists and patterns, and
    the words an attacker would try first here (the person's name and email address, their
    organisation's name, the site's name and the password the README publishes for the
    demo)."""
    if len(password) < MIN_PASSWORD:
        return {"password": f"Enter a password of at least {MIN_PASSWORD} characters"}
    if len(password) > MAX_PASSWORD:
        return {"password": f"Enter a password of at most {MAX_PASSWORD} characters"}
    if password.strip().lower() == user.email.lower():
        return {"password": "Your password must not be your email address"}
    guessable = _guessable_words(user, organisation)
    strength = _strength(password, guessable)
    if strength["score"] < MIN_PASSWORD_SCORE:
        found = _built_on(strength, guessable)
        why = (f"It is built on {found[0]}." if found
               else strength["feedback"]["warning"] or "It is too easy to guess.")
        return {"password": f"Choose a password that is harder to guess. {why} A few "
                            "unrelated words make a strong password that is easy to remember"}
    if password != confirm:
        return {"confirm": "Enter the same password twice"}
    return {}


def _strength(password: str, guessable: dict[str, str]) -> dict:
    """zxcvbn's reading of the password; or of it in lower case without spaces and
    punctuation, when that is weak for holding the guessable words: zxcvbn counts the spaces
    and capitals of "Northshire County Council 2026" as guesses of their own, so would pass
    it. (Only for those words: "a long new password" stays zxcvbn's to judge.)"""
    strength = zxcvbn(password, user_inputs=list(guessable))
    squashed = re.sub(r"[\W_]+", "", password).lower()
    if strength["score"] >= MIN_PASSWORD_SCORE and squashed and squashed != password:
        plain = zxcvbn(squashed, user_inputs=list(guessable))
        if plain["score"] < MIN_PASSWORD_SCORE and _built_on(plain, guessable):
            return plain
    return strength


def _built_on(strength: dict, guessable: dict[str, str]) -> list[str]:
    """What each guessable word zxcvbn found in the password is ("your name")."""
    return [guessable[m["matched_word"]] for m in strength["sequence"]
            if m.get("dictionary_name") == "user_inputs" and m["matched_word"] in guessable]


def _guessable_words(user: User, organisation: Organisation | None) -> dict[str, str]:
    """Each word an attacker would try first (lower case, as zxcvbn matches them), with what
    it is, as the refusal names it: every word of each name, its hyphenated words run
    together ("multiagency"), and the whole name run together."""
    local, _, domain = user.email.lower().partition("@")
    sources = [("your name", user.name), ("your email address", local.replace(".", " ")),
               ("your email address", domain.replace(".", " ")),
               ("your organisation's name", organisation.name if organisation else ""),
               ("the site's name", f"{NAME} {FULL_NAME}")]
    words = {DEMO_PASSWORD: "the demo's password, which the README publishes",
             user.email.lower(): "your email address"}
    for what, text in sources:
        chunks = [re.sub(r"\W+", "", chunk) for chunk in text.lower().split()]
        for word in [*re.findall(r"\w+", text.lower()), *chunks, "".join(chunks)]:
            if len(word) > 2:  # "of", "uk": every password has letters like these
                words.setdefault(word, what)
    return words


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
    organisation = session.get(Organisation, user.organisation_id) \
        if user.organisation_id else None
    problems = password_problems(password, confirm, user, organisation)
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
    # Whoever else was signed in as this person (perhaps the reason for a new password) is
    # signed out; the caller starts the new session.
    _end_sessions_of(session, user)
    audit.record(session, action="password_set", user=user, organisation_id=user.organisation_id)
    session.commit()
    return user


# Said whether the address belongs to an account of this organisation (listed on the same
# page), of another organisation, or of a removed account: an administrator must not learn
# which addresses have accounts elsewhere.
ORGANISATION_TAKEN = "There is already an organisation with this name"
EMAIL_UNAVAILABLE = ("This email address cannot be used for a new account. If the person "
                     "already has an account here, it is listed above; otherwise ask them for "
                     "another work address")


def _check_new_user(session: Session, name: str, email: str) -> tuple[str, str]:
    name, email = name.strip(), normalise_email(email)
    errors = {}
    if not name:
        errors["name"] = "Enter the person's full name"
    elif problem := name_problem(name):
        errors["name"] = problem
    if problem := control_character_problem(email):
        errors["email"] = f"The email address {problem}"
    elif not is_email(email):
        errors["email"] = "Enter an email address in the correct format, like name@example.org"
    elif session.exec(select(User).where(User.email == email)).first():
        errors["email"] = EMAIL_UNAVAILABLE
    if errors:
        raise Invalid(errors)
    return name, email


def create_user(session: Session, *, organisation: Organisation | None, name: str, email: str,
                role: Role, created_by: User | None) -> User:
    """An account without a password; the caller issues its set-password link."""
    name, email = _check_new_user(session, name, email)
    user = User(email=email, name=name, role=role, password_hash=NO_PASSWORD,
                organisation_id=organisation.id if organisation else None)
    with unless_taken(session, {"email": EMAIL_UNAVAILABLE}):
        session.add(user)
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
    elif problem := name_problem(name):
        errors["org_name"] = problem
    elif name_taken(session.exec(select(Organisation.name)), name):
        errors["org_name"] = ORGANISATION_TAKEN
    try:
        admin_name, admin_email = _check_new_user(session, admin_name, admin_email)
    except Invalid as exc:
        errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    organisation = Organisation(name=name)
    with unless_taken(session, {"org_name": ORGANISATION_TAKEN}):
        session.add(organisation)
    admin = User(email=admin_email, name=admin_name, role=Role.org_admin,
                 password_hash=NO_PASSWORD, organisation_id=organisation.id)
    with unless_taken(session, {"email": EMAIL_UNAVAILABLE}):
        session.add(admin)
    audit.record(session, action="organisation_created", user=created_by,
                 organisation_id=organisation.id, detail={"name": name})
    audit.record(session, action="user_created", user=created_by,
                 organisation_id=organisation.id,
                 detail={"email": admin_email, "role": Role.org_admin})
    session.commit()
    return organisation, admin


def remove_user(session: Session, *, user: User, removed_by: User) -> None:
    """The account can no longer sign in, and its sessions, password links and partnership
    appointments end now. The row stays, so the audit log still names who did what. Removing
    a removed account changes nothing."""
    if user.removed_at is not None:
        return
    now = utcnow()
    user.removed_at = now
    user.password_hash = NO_PASSWORD
    session.add(user)
    _end_sessions_of(session, user)
    session.exec(update(PasswordLink).where(
        PasswordLink.user_id == user.id, col(PasswordLink.used_at).is_(None)).values(used_at=now))
    session.exec(delete(PartnershipCoordinator).where(PartnershipCoordinator.user_id == user.id))
    audit.record(session, action="user_removed", user=removed_by,
                 organisation_id=user.organisation_id, detail={"email": user.email})
    session.commit()


def users_of(session: Session, organisation: Organisation) -> list[User]:
    return list(session.exec(select(User).where(User.organisation_id == organisation.id,
                                                col(User.removed_at).is_(None))
                             .order_by(User.role, User.name)))
