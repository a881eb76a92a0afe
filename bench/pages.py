"""Page render times through the real app, against the health check (framework + one query),
and the JavaScript a round's results page makes the browser load."""

import random
import re
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.db import make_engine, migrate
from app.main import create_app
from app.models import (
    Agency,
    Answer,
    AssessmentRound,
    Organisation,
    Partnership,
    Respondent,
    Role,
)
from app.questionnaires.loader import COLLABORATION_KEY, load_catalogue
from app.services.questionnaires import keep_text
from app.web.render import TEMPLATES
from bench.scoring import seed_round
from bench.server import csrf_token
from tests.factories import PASSWORD, close, make_user

STATIC = TEMPLATES.parent / "static"
SCRIPT_SRC = re.compile(r'<script[^>]*\ssrc="/static/([^"]+)"')


def _median_ms(client: TestClient, path: str, repeat: int = 30) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (path, response.status_code)
    return sorted(times)[len(times) // 2] * 1000


def script_bytes(html: str) -> int:
    """The size of every script file the page loads."""
    return sum((STATIC / path).stat().st_size for path in SCRIPT_SRC.findall(html))


def _add_collaboration(session: Session, round_: AssessmentRound, rng: random.Random) -> None:
    """The round asks the Levels of Collaboration Scale as its optional part too, so the
    results page carries the collaboration map (and the network chart it may load)."""
    part = load_catalogue().instrument(COLLABORATION_KEY)
    agencies = session.exec(select(Agency).where(
        Agency.partnership_id == round_.partnership_id)).all()
    round_.part_key, round_.part_version = part.key, part.version
    round_.part_sha256 = keep_text(session, instrument=part)
    round_.roster = [[a.id, a.name] for a in agencies]
    session.add(round_)
    for person in session.exec(select(Respondent).where(Respondent.round_id == round_.id)):
        session.add_all(Answer(respondent_id=person.id, item_id=f"collaboration_level@{a.id}",
                               value=str(rng.randint(0, 5)))
                        for a in agencies if a.id != person.agency_id)
    session.commit()


def run() -> list[dict]:
    questionnaire = load_catalogue().get("multi-agency-working")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'pages.db'}"
        migrate(url)
        engine = make_engine(url)
        with Session(engine) as session:
            _, tokens = seed_round(session, questionnaire, 1, random.Random(3), submitted=False)
            answered, _ = seed_round(session, questionnaire, 15, random.Random(4))
            _add_collaboration(session, answered, random.Random(5))
            close(session, answered)  # results, and so the map, exist once a round closes
            partnership = session.get(Partnership, answered.partnership_id)
            coordinator = make_user(session, session.get(Organisation,
                                                         partnership.organisation_id),
                                    role=Role.coordinator, coordinates=[partnership])
            email, round_id = coordinator.email, answered.id
        engine.dispose()
        app = create_app(Settings(database_url=url, data_dir=Path(tmp),
                                  MAPS_SECRET_KEY="bench-secret-key"))
        with TestClient(app) as client:
            baseline = _median_ms(client, "/healthz")
            section = max(questionnaire.sections, key=lambda s: len(s.items))
            # Start with the link, as a board member does: this client then holds it.
            welcome = client.get(f"/r/{tokens[0]}/welcome")
            client.post(f"/r/{tokens[0]}/start", data={"csrftoken": csrf_token(welcome.text)})
            page = _median_ms(client, f"/r/{tokens[0]}/s/{section.id}")
            sign_in = client.get("/sign-in")
            client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                          "csrftoken": csrf_token(sign_in.text)})
            results_path = f"/rounds/{round_id}/results"
            results_ms = _median_ms(client, results_path, repeat=10)
            results_html = client.get(results_path).text
            assert 'id="collaboration"' in results_html  # the page measured has the map
            javascript = script_bytes(results_html)
    return [
        {"name": f"questionnaire page ({len(section.items)} questions)", "value": page,
         "unit": "ms", "baseline": baseline, "baseline_name": "GET /healthz"},
        {"name": "results page (15 respondents, with the collaboration map)",
         "value": results_ms, "unit": "ms",
         "baseline": baseline, "baseline_name": "GET /healthz"},
        {"name": "results page: JavaScript loaded", "value": javascript / 1000, "unit": "kB",
         "goal": "<=1000"},
    ]
