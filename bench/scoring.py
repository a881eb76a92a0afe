"""Scoring a 200-respondent round against merely loading its answers from the database."""

import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, select

from app.db import make_engine, migrate
from app.models import Agency, Answer, AssessmentRound
from app.questionnaires.loader import load_catalogue
from app.scoring import score_round
from app.services.responses import invite
from app.services.results import round_answers
from tests.factories import make_partnership, make_round

RESPONDENTS = 200


def seed_round(session: Session, questionnaire, respondents: int, rng: random.Random, *,
               submitted: bool = True) -> tuple[AssessmentRound, list[str]]:
    """A round with respondents (agency and level set) and their answers; returns the tokens."""
    partnership = make_partnership(session)
    round_: AssessmentRound = make_round(session, partnership)
    agencies = session.exec(select(Agency).where(Agency.partnership_id == partnership.id)).all()
    tokens = []
    for n in range(respondents):
        person, token = invite(session, round_=round_, agency_id=agencies[n % len(agencies)].id,
                               level=rng.choice(["strategic", "operational"]))
        tokens.append(token)
        if submitted:
            person.submitted_at = datetime.now(UTC)
            session.add_all(Answer(respondent_id=person.id, item_id=item.id,
                                   value=rng.choice(item.scale.options).value)
                            for item in questionnaire.items)
    session.commit()
    return round_, tokens


def best_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def run() -> list[dict]:
    questionnaire = load_catalogue().get("multi-agency-working")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrate(url)
        engine = make_engine(url)
        with Session(engine) as session:
            round_, _ = seed_round(session, questionnaire, RESPONDENTS, random.Random(1))
            load_ms = best_of(lambda: round_answers(session, round_.id))
            answers = round_answers(session, round_.id)
            score_ms = best_of(lambda: score_round(questionnaire, answers))
        engine.dispose()
    return [{"name": f"score a {RESPONDENTS}-respondent round", "value": score_ms, "unit": "ms",
             "baseline": load_ms, "baseline_name": "load its answers from SQLite"}]
