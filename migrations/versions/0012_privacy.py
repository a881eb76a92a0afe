"""disclosure frozen at close: the plan of which groups a closed round's results may show, by
agency id and level

Revision ID: 0012_privacy
Revises: 0011_board
Create Date: 2026-12-07

A new nullable column. Rounds closed before it get their plan from `maps migrate` (and
`maps serve`), right after this migration (app/upgrade.py, results.freeze_missing): the
pattern they showed until now, tie-broken on the agencies' names as then, kept by id.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012_privacy'
down_revision: str | None = '0011_board'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('assessmentround', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disclosure', sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('assessmentround', schema=None) as batch_op:
        batch_op.drop_column('disclosure')
