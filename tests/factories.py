"""Plain functions that make rows for tests, each taking overrides."""

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from sqlmodel import Session, select

from app.models import (
    Agency,
    Answer,
    AssessmentRound,
    Organisation,
    Partnership,
    PartnershipCoordinator,
    Role,
    RoundStatus,
    Sector,
    UploadedQuestionnaire,
    User,
)
from app.questionnaires.loader import Catalogue, load_catalogue
from app.services.questionnaires import upload
from app.services.responses import invite

PASSWORD = "correct horse battery staple"
# Rounds are made on the installed core questionnaire's latest version, as the app opens them.
CORE = load_catalogue().get("multi-agency-working")
# The same cheap parameters as the test settings (tests/conftest.py).
_hasher = PasswordHasher(time_cost=1, memory_cost=8192)


_names = itertools.count(1)


def make_organisation(session: Session, **overrides) -> Organisation:
    org = Organisation(**{"name": f"Testshire Council {next(_names)}", **overrides})
    session.add(org)
    session.flush()
    return org


def make_partnership(session: Session, organisation: Organisation | None = None,
                     agencies=(("Testshire Health", Sector.health),
                               ("Testshire Schools", Sector.education)),
                     **overrides) -> Partnership:
    organisation = organisation or make_organisation(session)
    partnership = Partnership(**{"organisation_id": organisation.id,
                                 "name": "Testshire Early Help", **overrides})
    session.add(partnership)
    session.flush()
    session.add_all([Agency(partnership_id=partnership.id, name=name, sector=sector)
                     for name, sector in agencies])
    session.flush()
    return partnership


def make_round(session: Session, partnership: Partnership | None = None,
               **overrides) -> AssessmentRound:
    partnership = partnership or make_partnership(session)
    now = datetime.now(UTC)
    round_ = AssessmentRound(**{
        "partnership_id": partnership.id, "title": "Round 1",
        "questionnaire_key": CORE.key, "questionnaire_version": CORE.version,
        "opens_at": now - timedelta(days=1), "closes_at": now + timedelta(days=30),
        "status": RoundStatus.open, **overrides})
    session.add(round_)
    session.flush()
    return round_


def make_invite(session: Session, round_: AssessmentRound | None = None, **overrides):
    """A respondent and their invite token (committed, ready for the app to read)."""
    round_ = round_ or make_round(session)
    respondent, token = invite(session, round_=round_, **overrides)
    session.commit()
    return respondent, token


def answer_all(session: Session, round_: AssessmentRound, questionnaire, pick,
               people: int = 4) -> None:
    """Submitted responses from `people` board members, across the partnership's agencies and
    both levels, each answering every scored question with `pick(item)` (committed)."""
    agencies = session.exec(select(Agency).where(
        Agency.partnership_id == round_.partnership_id)).all()
    for n in range(people):
        respondent, _ = make_invite(session, round_, agency_id=agencies[n % len(agencies)].id,
                                    level=("strategic", "operational")[n % 2])
        session.add_all([Answer(respondent_id=respondent.id, item_id=item.id, value=pick(item))
                         for item in questionnaire.items if item.scale.scored])
        respondent.submitted_at = datetime.now(UTC)
        session.add(respondent)
    session.commit()


def close(session: Session, round_: AssessmentRound) -> AssessmentRound:
    """Close the round as closing it in MAPS does (its results exist from now), committed."""
    round_.status = RoundStatus.closed
    round_.closed_at = datetime.now(UTC)
    session.add(round_)
    session.commit()
    return round_


def make_user(session: Session, organisation: Organisation | None = None, *,
              role: Role = Role.coordinator, coordinates=(), password: str = PASSWORD,
              **overrides) -> User:
    """An account with a password (committed); a coordinator of the given partnerships."""
    n = next(_names)
    user = User(**{"email": f"{role.value.replace('_', '-')}{n}@example.org",
                   "name": f"{role.value.replace('_', ' ').title()} {n}", "role": role,
                   "organisation_id": organisation.id if organisation else None,
                   "password_hash": _hasher.hash(password), **overrides})
    session.add(user)
    session.flush()
    session.add_all([PartnershipCoordinator(user_id=user.id, partnership_id=p.id)
                     for p in coordinates])
    session.commit()
    return user


LOCAL_DEFINITION = (Path(__file__).parent / "data" / "local-partnership-check.yaml").read_text()


def make_upload(session: Session, organisation: Organisation | None, uploaded_by: User, *,
                title: str = "Local partnership check", key: str = "local-partnership-check",
                version: int = 1) -> UploadedQuestionnaire:
    """The small example instrument uploaded for an organisation (None: site-wide)."""
    text = (LOCAL_DEFINITION
            .replace("title: Local partnership check", f"title: {json.dumps(title)}")
            .replace("key: local-partnership-check", f"key: {key}")
            .replace("version: 1", f"version: {version}"))
    return upload(session, text=text, filename=f"{key}.yaml", organisation=organisation,
                  uploaded_by=uploaded_by, catalogue=Catalogue([]))
