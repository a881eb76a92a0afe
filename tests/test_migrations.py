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
