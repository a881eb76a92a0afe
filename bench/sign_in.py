"""Signing in through a served app (uvicorn, HTTP) with the default Argon2id parameters, against
one Argon2id verification with the same parameters in this process, in the same run.

A sign-in should cost one verification and little else: the goal is at most 2x."""

import statistics
import tempfile
import time
from pathlib import Path

import httpx
from sqlmodel import Session

from app.config import Settings
from app.db import make_engine, migrate
from app.models import Organisation, Role, User
from app.services.accounts import hash_password, verify_password
from bench.server import csrf_token, serve

PASSWORD = "a long bench passphrase"
SECRET = "bench-secret-key-not-for-production"


def _sign_in_seconds(url: str, email: str, password: str, expected: int) -> float:
    with httpx.Client(base_url=url, timeout=30) as browser:
        token = csrf_token(browser.get("/sign-in").text)
        start = time.perf_counter()
        response = browser.post("/sign-in", data={"csrftoken": token, "email": email,
                                                  "password": password})
        elapsed = time.perf_counter() - start
    assert response.status_code == expected, (response.status_code, response.text[:300])
    return elapsed


def run(repeat: int = 9) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'sign-in.db'}"
        migrate(url)
        settings = Settings(database_url=url, data_dir=Path(tmp), MAPS_SECRET_KEY=SECRET)
        engine = make_engine(url)
        with Session(engine) as session:
            organisation = Organisation(name="Bench Council")
            session.add(organisation)
            session.flush()
            user = User(email="bench@example.org", name="Bench", role=Role.org_admin,
                        organisation_id=organisation.id,
                        password_hash=hash_password(settings, PASSWORD))
            session.add(user)
            session.commit()
            stored = user.password_hash
        engine.dispose()
        verify = []
        for _ in range(repeat):
            start = time.perf_counter()
            assert verify_password(settings, stored, PASSWORD)
            verify.append(time.perf_counter() - start)
        env = {"MAPS_DATABASE_URL": url, "MAPS_DATA_DIR": tmp, "MAPS_SECRET_KEY": SECRET}
        with serve("app.main:create_app", env) as (app_url, _):
            _sign_in_seconds(app_url, "bench@example.org", PASSWORD, 303)  # warm
            right = [_sign_in_seconds(app_url, "bench@example.org", PASSWORD, 303)
                     for _ in range(repeat)]
            unknown = [_sign_in_seconds(app_url, f"nobody{n}@example.org", PASSWORD, 400)
                       for n in range(repeat)]
    baseline = statistics.median(verify) * 1000
    params = (f"Argon2id m={settings.password_memory_cost} KiB, "
              f"t={settings.password_time_cost}, p={settings.password_parallelism}")
    return [
        {"name": "sign-in, right password", "value": statistics.median(right) * 1000,
         "unit": "ms", "baseline": baseline, "baseline_name": f"one verification, {params}"},
        {"name": "sign-in, unknown email", "value": statistics.median(unknown) * 1000,
         "unit": "ms", "baseline": baseline, "baseline_name": f"one verification, {params}"},
    ]
