"""Bringing a database up to date, as `maps migrate` and `maps serve` do: the schema, then
the data a migration cannot make in SQL."""

from sqlmodel import Session

from app.config import Settings
from app.db import make_engine, migrate
from app.questionnaires.loader import load_catalogue
from app.services.results import freeze_missing, summarise_missing


def upgrade(url: str) -> None:
    """Migrate to the latest schema, then keep the disclosure plans that are missing (rounds
    closed before 0011, or after a downgrade: the pattern each showed until now), then make
    the round summaries that are missing (rounds closed before 0003 kept them, or after a
    downgrade): they are scores, so comparisons show every closed round."""
    migrate(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            freeze_missing(session)
            summarise_missing(session, load_catalogue(Settings().questionnaire_dirs))
    finally:
        engine.dispose()
