"""board meetings: a closed round's discussion, its agenda and record, and live votes

Revision ID: 0011_board
Revises: 0010_report
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = '0011_board'
down_revision: str | None = '0010_report'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('boardmeeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['assessmentround.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_id')
    )
    op.create_table('livevote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('votes_cast', sa.Integer(), nullable=False),
    sa.Column('opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('shown', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['assessmentround.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('round_id', 'item_id')
    )
    op.create_index(op.f('ix_livevote_round_id'), 'livevote', ['round_id'], unique=False)
    op.create_table('agendaitem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('why', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('agreed_value', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('better_level', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['boardmeeting.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('meeting_id', 'kind', 'key')
    )
    op.create_index(op.f('ix_agendaitem_meeting_id'), 'agendaitem', ['meeting_id'], unique=False)
    op.create_table('voteballot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('device', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.ForeignKeyConstraint(['vote_id'], ['livevote.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('vote_id', 'device')
    )
    op.create_index(op.f('ix_voteballot_vote_id'), 'voteballot', ['vote_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_voteballot_vote_id'), table_name='voteballot')
    op.drop_table('voteballot')
    op.drop_index(op.f('ix_agendaitem_meeting_id'), table_name='agendaitem')
    op.drop_table('agendaitem')
    op.drop_index(op.f('ix_livevote_round_id'), table_name='livevote')
    op.drop_table('livevote')
    op.drop_table('boardmeeting')
