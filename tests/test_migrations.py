"""The Alembic migrations build exactly the schema the models describe, and undo cleanly."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.db import alembic_config


def test_migrated_schema_matches_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_answer_is_unique_per_respondent_and_item(engine):
    constraints = inspect(engine).get_unique_constraints("answer")
    assert any(set(c["column_names"]) == {"respondent_id", "item_id"} for c in constraints)


def test_downgrade_to_base_and_upgrade_again(database_url, engine):
    config = alembic_config(database_url)
    command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "head")
    tables = set(inspect(engine).get_table_names())
    assert {"organisation", "partnership", "agency", "assessmentround", "respondent",
            "answer", "user", "partnershipcoordinator"} <= tables


def test_0005_claims_started_responses_and_raises_low_thresholds(database_url, engine):
    """Upgrading an 0004 database: a response already started opens for nobody (it may have
    been opened by anyone holding its link), thresholds below 3 rise to 3, closed rounds learn
    when they closed, and comparisons are scored again under disclosure control."""
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa
    from sqlmodel.sql.sqltypes import UTCDateTime

    config = alembic_config(database_url)
    command.downgrade(config, "0004")
    now = datetime.now(UTC)
    tables = {
        "organisation": sa.table("organisation", sa.column("id"), sa.column("name"),
                                 sa.column("created_at", UTCDateTime())),
        "partnership": sa.table("partnership", sa.column("id"), sa.column("organisation_id"),
                                sa.column("name"), sa.column("client_group"),
                                sa.column("description"),
                                sa.column("created_at", UTCDateTime())),
        "assessmentround": sa.table(
            "assessmentround", sa.column("id"), sa.column("partnership_id"), sa.column("title"),
            sa.column("questionnaire_key"), sa.column("questionnaire_version"),
            sa.column("opens_at", UTCDateTime()), sa.column("closes_at", UTCDateTime()),
            sa.column("status"), sa.column("anonymity_threshold"),
            sa.column("created_at", UTCDateTime())),
        "respondent": sa.table("respondent", sa.column("id"), sa.column("round_id"),
                               sa.column("name"), sa.column("email"), sa.column("token_hash"),
                               sa.column("started_at", UTCDateTime()),
                               sa.column("revoked_at", UTCDateTime())),
    }
    with engine.begin() as conn:
        conn.execute(tables["organisation"].insert().values(id=1, name="Old", created_at=now))
        conn.execute(tables["partnership"].insert().values(
            id=1, organisation_id=1, name="Old board", client_group="", description="",
            created_at=now))
        round_values = dict(partnership_id=1, questionnaire_key="multi-agency-working",
                            questionnaire_version=1, opens_at=now - timedelta(days=60),
                            closes_at=now - timedelta(days=30), created_at=now)
        conn.execute(tables["assessmentround"].insert(), [
            {**round_values, "id": 1, "title": "Closed", "status": "closed",
             "anonymity_threshold": 1},
            {**round_values, "id": 2, "title": "Closed late", "status": "closed",
             "anonymity_threshold": 5},
            {**round_values, "id": 3, "title": "Open", "status": "open",
             "anonymity_threshold": 2, "closes_at": now + timedelta(days=30)}])
        withdrawn_late = now - timedelta(days=20)
        conn.execute(tables["respondent"].insert(), [
            {"id": 1, "round_id": 3, "name": "", "email": "", "token_hash": "a" * 64,
             "started_at": now - timedelta(days=1), "revoked_at": None},
            {"id": 2, "round_id": 3, "name": "", "email": "", "token_hash": "b" * 64,
             "started_at": None, "revoked_at": None},
            {"id": 3, "round_id": 2, "name": "", "email": "", "token_hash": "c" * 64,
             "started_at": None, "revoked_at": withdrawn_late}])
    command.upgrade(config, "head")
    with engine.connect() as conn:
        rounds = {row.id: row for row in conn.execute(sa.text(
            "SELECT id, anonymity_threshold, closed_at FROM assessmentround"))}
        respondents = {row.id: row for row in conn.execute(sa.text(
            "SELECT id, claimed_at, resume_hash FROM respondent"))}
    assert {i: r.anonymity_threshold for i, r in rounds.items()} == {1: 3, 2: 5, 3: 3}
    assert rounds[1].closed_at is not None and rounds[3].closed_at is None
    # Withdrawn after the closing date, before the round was closed: it closed after that.
    closed_late = rounds[2].closed_at
    if isinstance(closed_late, str):  # SQLite, read without the column's type
        closed_late = datetime.fromisoformat(closed_late)
    if closed_late.tzinfo is None:
        closed_late = closed_late.replace(tzinfo=UTC)
    assert abs(closed_late - withdrawn_late) < timedelta(seconds=1)
    assert respondents[1].claimed_at is not None and respondents[1].resume_hash is None
    assert respondents[2].claimed_at is None


def test_0011_adds_the_board_meeting_tables_and_takes_them_away(database_url, engine):
    """Down to 0010 drops the meeting's four tables and nothing else; up again restores them."""
    board = {"boardmeeting", "agendaitem", "livevote", "voteballot"}
    before = set(inspect(engine).get_table_names())
    assert board <= before
    config = alembic_config(database_url)
    command.downgrade(config, "0010_report")
    assert set(inspect(engine).get_table_names()) == before - board
    command.upgrade(config, "head")
    assert set(inspect(engine).get_table_names()) == before
    assert {"meeting_id", "kind", "key"} in [
        set(c["column_names"]) for c in inspect(engine).get_unique_constraints("agendaitem")]
def test_0014_gives_rounds_kept_on_the_core_instrument_its_links(database_url, engine):
    """A round kept the core instrument's text before definitions named MAPS's content by
    link: upgrading gives that text the block the core files now end with, so the round keeps
    its recommendations, placements and disputed facts, and the catalogue knows the text by
    its hash; another instrument's text is left alone. Downgrading changes nothing (the older
    code falls back on the installed version of a text it cannot read)."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from app.questionnaires.loader import load_catalogue, parse, sha256_of

    core = load_catalogue().instrument("multi-agency-working", 2)
    before = core.text[:core.text.index("\n# MAPS's own content")]  # ends with its newline
    other = before.replace("key: multi-agency-working", "key: our-own-check")
    config = alembic_config(database_url)
    command.downgrade(config, "0013_journey")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for text in (before, other):
            conn.execute(sa.text("INSERT INTO definitiontext (sha256, text, created_at) "
                                 "VALUES (:sha, :text, :t)"),
                         {"sha": sha256_of(text), "text": text, "t": now})
        conn.execute(sa.text("INSERT INTO organisation (name, created_at) VALUES ('O', :t)"),
                     {"t": now})
        conn.execute(sa.text("INSERT INTO partnership (organisation_id, name, client_group, "
                             "description, created_at) VALUES (1, 'P', '', '', :t)"), {"t": now})
        for key, text in (("multi-agency-working", before), ("our-own-check", other)):
            conn.execute(sa.text(
                "INSERT INTO assessmentround (partnership_id, title, questionnaire_key, "
                "questionnaire_version, questionnaire_sha256, opens_at, closes_at, status, "
                "anonymity_threshold, created_at) VALUES (1, :key, :key, 2, :sha, :t, :t, "
                "'open', 3, :t)"), {"key": key, "sha": sha256_of(text), "t": now})

    def kept() -> dict[str, str]:
        with engine.connect() as conn:
            return dict(conn.execute(sa.text(
                "SELECT r.questionnaire_key, d.text FROM assessmentround r JOIN definitiontext "
                "d ON d.sha256 = r.questionnaire_sha256")).all())

    command.upgrade(config, "head")
    after = kept()
    assert after["multi-agency-working"] == core.text  # the file's text, by the same hash
    assert parse(after["multi-agency-working"]).links.recommendations == "review-table-5.1"
    assert after["our-own-check"] == other
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM definitiontext WHERE sha256 = :s"),
                            {"s": sha256_of(before)}).scalar() == 0
    command.downgrade(config, "0013_journey")
    assert kept() == after
    command.upgrade(config, "head")
    assert kept() == after
