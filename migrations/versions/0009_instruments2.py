"""roster items and optional parts: a round's roster of partner agencies and its optional part

Revision ID: 0009_instruments2
Revises: 0008_invites
Create Date: 2026-12-01

Answers to roster items need no new column: each is stored under "<item>@<agency id>"
(app/questionnaires/schema.py), so the answer table and the autosave path are unchanged.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009_instruments2'
down_revision: str | None = '0008_invites'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ALTER TABLE ADD COLUMN on every backend, never a rebuild of the table (0007 says why).
    op.add_column('assessmentround', sa.Column('part_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    op.add_column('assessmentround', sa.Column('part_version', sa.Integer(), nullable=True))
    op.add_column('assessmentround', sa.Column('part_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.add_column('assessmentround', sa.Column('roster', sa.JSON(), nullable=True))


def downgrade() -> None:
    for column in ('roster', 'part_sha256', 'part_version', 'part_key'):
        op.drop_column('assessmentround', column)  # SQLite 3.35+: no rebuild
