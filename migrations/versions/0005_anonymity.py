"""anonymity: claimed invite links, comment-only answers, rounds that record when they closed

Revision ID: 0005_anonymity
Revises: 0004
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = '0005_anonymity'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The site minimum's default (MAPS_MIN_ANONYMITY_THRESHOLD): rounds set lower before it
# existed are raised to it.
MIN_THRESHOLD = 3

rounds = sa.table('assessmentround', sa.column('anonymity_threshold', sa.Integer))
respondents = sa.table('respondent', sa.column('started_at', sqlmodel.sql.sqltypes.UTCDateTime()),
                       sa.column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime()))


def upgrade() -> None:
    with op.batch_alter_table('assessmentround', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(),
                                      nullable=True))
    with op.batch_alter_table('respondent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resume_hash',
                                      sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(),
                                      nullable=True))
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.alter_column('value', existing_type=sqlmodel.sql.sqltypes.AutoString(length=32),
                              nullable=True)

    # A closed round counts whoever had submitted, and not been withdrawn, when it closed. No
    # answer can come after its closing date, but an invitation could be withdrawn after it
    # and before the round was closed: then it closed no earlier than that.
    op.execute(sa.text(
        "UPDATE assessmentround SET closed_at = closes_at WHERE status = 'closed'"))
    op.execute(sa.text(
        "UPDATE assessmentround SET closed_at = (SELECT MAX(r.revoked_at) FROM respondent r "
        "WHERE r.round_id = assessmentround.id AND r.revoked_at > assessmentround.closes_at) "
        "WHERE status = 'closed' AND EXISTS (SELECT 1 FROM respondent r "
        "WHERE r.round_id = assessmentround.id AND r.revoked_at > assessmentround.closes_at)"))
    op.execute(rounds.update().where(rounds.c.anonymity_threshold < MIN_THRESHOLD)
               .values(anonymity_threshold=MIN_THRESHOLD))
    # A response started before links were claimed may have been opened by anyone holding
    # its link: it counts as claimed when it was started, with no resume code, so no link
    # shows its saved answers again.
    op.execute(respondents.update().where(respondents.c.started_at.is_not(None))
               .values(claimed_at=respondents.c.started_at))
    # Summaries were kept before disclosure control: made again after the upgrade
    # (app/db.py), so a round below its threshold keeps no scores.
    op.execute(sa.text('DELETE FROM roundsummary'))


def downgrade() -> None:
    # A comment without an answer has no place in the older schema.
    op.execute(sa.text('DELETE FROM answer WHERE value IS NULL'))
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.alter_column('value', existing_type=sqlmodel.sql.sqltypes.AutoString(length=32),
                              nullable=False)
    with op.batch_alter_table('respondent', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('resume_hash')
    with op.batch_alter_table('assessmentround', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
