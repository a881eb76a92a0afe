"""Page render times through the real app, against the health check (framework + one query)."""

import random
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.db import make_engine, migrate
from app.main import create_app
from app.questionnaires.loader import load_catalogue
from bench.scoring import seed_round


def _median_ms(client: TestClient, path: str, repeat: int = 30) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (path, response.status_code)
    return sorted(times)[len(times) // 2] * 1000


def run() -> list[dict]:
    questionnaire = load_catalogue().get("multi-agency-working")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'pages.db'}"
        migrate(url)
        engine = make_engine(url)
        with Session(engine) as session:
            _, tokens = seed_round(session, questionnaire, 1, random.Random(3), submitted=False)
        engine.dispose()
        app = create_app(Settings(database_url=url, data_dir=Path(tmp),
                                  MAPS_SECRET_KEY="bench-secret-key"))
        with TestClient(app) as client:
            baseline = _median_ms(client, "/healthz")
            section = max(questionnaire.sections, key=lambda s: len(s.items))
            # Start with the link, as a board member does: this client then holds it.
            client.get(f"/r/{tokens[0]}/welcome")
            client.post(f"/r/{tokens[0]}/start",
                        data={"csrftoken": client.cookies.get("csrftoken", "")})
            page = _median_ms(client, f"/r/{tokens[0]}/s/{section.id}")
    return [{"name": f"questionnaire page ({len(section.items)} questions)", "value": page,
             "unit": "ms", "baseline": baseline, "baseline_name": "GET /healthz"}]
