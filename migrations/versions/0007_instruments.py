"""questionnaire definitions: the texts rounds keep, and uploaded instruments

Revision ID: 0007_instruments
Revises: 0004
Create Date: 2026-12-01

Each existing round gets the text of the definition it was opened on, when a file with its key
and version is installed (built in, or in MAPS_QUESTIONNAIRE_DIRS); a round whose file is gone
keeps no text and is scored from the installed version, as before.
"""
import hashlib
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import sqlmodel
import yaml
from alembic import op

revision: str = '0007_instruments'
down_revision: str | None = '0006_security'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUILT_IN = Path(__file__).resolve().parents[2] / "app" / "questionnaires"


def upgrade() -> None:
    op.create_table('definitiontext',
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )
    op.create_table('uploadedquestionnaire',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['sha256'], ['definitiontext.sha256'], ),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('uploadedquestionnaire', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_uploadedquestionnaire_organisation_id'), ['organisation_id'], unique=False)

    # ALTER TABLE ADD COLUMN on every backend, never a rebuild of the table (on SQLite a rebuild
    # drops and re-creates it, which the tables that refer to rounds refuse).
    op.add_column('assessmentround', sa.Column('questionnaire_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))

    _keep_texts_of_existing_rounds()


def _definition_files() -> dict[tuple[str, int], str]:
    """(key, version) -> text of every readable definition file, built-in ones first. Read
    with plain YAML, not the app's loader, so this migration keeps working as the loader
    changes; a file the app would refuse never reaches a round anyway."""
    folders = [BUILT_IN] + [Path(p) for p in os.environ.get("MAPS_QUESTIONNAIRE_DIRS", "")
                            .split(os.pathsep) if p.strip()]
    found: dict[tuple[str, int], str] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
            try:
                text = path.read_text(encoding="utf-8")
                doc = yaml.safe_load(text)
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue
            if isinstance(doc, dict) and isinstance(doc.get("version"), int):
                found.setdefault((str(doc.get("key")), doc["version"]), text)
    return found


def _keep_texts_of_existing_rounds() -> None:
    connection = op.get_bind()
    rounds = sa.table("assessmentround", sa.column("questionnaire_key"),
                      sa.column("questionnaire_version"), sa.column("questionnaire_sha256"))
    texts = sa.table("definitiontext", sa.column("sha256"), sa.column("text"),
                     sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()))
    used = connection.execute(sa.select(rounds.c.questionnaire_key,
                                         rounds.c.questionnaire_version).distinct()).all()
    if not used:
        return
    files = _definition_files()
    for key, version in used:
        text = files.get((key, version))
        if text is None:
            continue
        sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if connection.execute(sa.select(texts.c.sha256).where(
                texts.c.sha256 == sha256)).first() is None:
            connection.execute(texts.insert().values(sha256=sha256, text=text,
                                                     created_at=datetime.now(UTC)))
        connection.execute(rounds.update().where(
            rounds.c.questionnaire_key == key, rounds.c.questionnaire_version == version
        ).values(questionnaire_sha256=sha256))


def downgrade() -> None:
    op.drop_column('assessmentround', 'questionnaire_sha256')  # SQLite 3.35+: no rebuild

    with op.batch_alter_table('uploadedquestionnaire', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_uploadedquestionnaire_organisation_id'))

    op.drop_table('uploadedquestionnaire')
    op.drop_table('definitiontext')
