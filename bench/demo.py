"""Loading the demo data (`maps demo`, `make run`) into a freshly migrated SQLite database,
against migrating that database: the work every first start does anyway."""

import tempfile
import time
from pathlib import Path

from sqlmodel import Session

from app import demo
from app.db import make_engine, migrate
from app.questionnaires.loader import load_catalogue


def run() -> list[dict]:
    catalogue = load_catalogue()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        start = time.perf_counter()
        migrate(url)
        migrated = time.perf_counter() - start
        engine = make_engine(url)
        with Session(engine) as session:
            start = time.perf_counter()
            demo.load(session, catalogue)
            loaded = time.perf_counter() - start
        engine.dispose()
    return [{"name": "demo data load (sqlite)", "value": loaded, "unit": "s",
             "baseline": migrated, "baseline_name": "migrating the empty database",
             "goal": "<=3 s"}]
