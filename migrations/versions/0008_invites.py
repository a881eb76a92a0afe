"""invitations by email: each respondent's last invitation and reminder, sent or why not; a
round's own invitation wording

Revision ID: 0008_invites
Revises: 0007_instruments
Create Date: 2026-12-01

New columns only, all nullable: existing rows read as never emailed and MAPS's suggested
wording.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008_invites'
down_revision: str | None = '0007_instruments'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RESPONDENT = (
    ('invite_sent_at', sqlmodel.sql.sqltypes.UTCDateTime()),
    ('invite_error', sqlmodel.sql.sqltypes.AutoString(length=500)),
    ('reminder_sent_at', sqlmodel.sql.sqltypes.UTCDateTime()),
    ('reminder_error', sqlmodel.sql.sqltypes.AutoString(length=500)),
)
ROUND = (
    ('invitation_subject', sqlmodel.sql.sqltypes.AutoString(length=200)),
    ('invitation_message', sa.Text()),
)


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: no table rebuild, so the tables that refer to these
    # two are untouched.
    for name, type_ in RESPONDENT:
        op.add_column('respondent', sa.Column(name, type_, nullable=True))
    for name, type_ in ROUND:
        op.add_column('assessmentround', sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('assessmentround', schema=None) as batch_op:
        for name, _ in reversed(ROUND):
            batch_op.drop_column(name)
    with op.batch_alter_table('respondent', schema=None) as batch_op:
        for name, _ in reversed(RESPONDENT):
            batch_op.drop_column(name)
