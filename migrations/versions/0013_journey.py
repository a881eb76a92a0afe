"""getting back in: a one-time emailed link to carry on in another browser, and the time a
coordinator let a member start again in a new browser

Revision ID: 0013_journey
Revises: 0012_privacy
Create Date: 2026-12-07

New columns only, all nullable: existing respondents read as never sent a link and never
released.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0013_journey'
down_revision: str | None = '0012_privacy'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RESPONDENT = (
    ('carry_on_hash', sqlmodel.sql.sqltypes.AutoString(length=64)),
    ('carry_on_sent_at', sqlmodel.sql.sqltypes.UTCDateTime()),
    ('claim_released_at', sqlmodel.sql.sqltypes.UTCDateTime()),
)


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: no table rebuild, so the tables that refer to
    # respondent are untouched.
    for name, type_ in RESPONDENT:
        op.add_column('respondent', sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('respondent', schema=None) as batch_op:
        for name, _ in reversed(RESPONDENT):
            batch_op.drop_column(name)
