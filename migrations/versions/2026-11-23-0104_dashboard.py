"""dashboard: roll-ups of the appeal figures, region ancestor pairs; appeals (region_id, created_at) and
appeal_events.at indexes

Revision ID: a3c1e0a10010
Revises: a3c1e0a10009
Create Date: 2026-11-23 01:04:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongzhi.core.db

revision: str = "a3c1e0a10010"
down_revision: str | None = "a3c1e0a10009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dash_rollup_state',
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('through', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refreshed_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_dash_rollup_state'))
    )
    op.create_table('dash_appeal_stats',
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('grain', sa.String(length=5), nullable=False),
    sa.Column('dim', sa.String(length=12), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('level', sa.String(length=12), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('registered', sa.Integer(), nullable=False),
    sa.Column('responded', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('rated', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.Column('ever_overdue', sa.Integer(), nullable=False),
    sa.Column('supervised', sa.Integer(), nullable=False),
    sa.Column('escalated', sa.Integer(), nullable=False),
    sa.Column('closed', sa.Integer(), nullable=False),
    sa.Column('hours_sum', sa.Float(), nullable=False),
    sa.Column('h0', sa.Integer(), nullable=False),
    sa.Column('h1', sa.Integer(), nullable=False),
    sa.Column('h2', sa.Integer(), nullable=False),
    sa.Column('h3', sa.Integer(), nullable=False),
    sa.Column('h4', sa.Integer(), nullable=False),
    sa.Column('h5', sa.Integer(), nullable=False),
    sa.Column('h6', sa.Integer(), nullable=False),
    sa.Column('h7', sa.Integer(), nullable=False),
    sa.Column('h8', sa.Integer(), nullable=False),
    sa.Column('h9', sa.Integer(), nullable=False),
    sa.Column('h10', sa.Integer(), nullable=False),
    sa.Column('h11', sa.Integer(), nullable=False),
    sa.CheckConstraint("grain IN ('day','month')", name=op.f('ck_dash_appeal_stats_grain')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_dash_appeal_stats_region_id_regions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('region_id', 'grain', 'dim', 'period', 'key', name=op.f('pk_dash_appeal_stats'))
    )
    with op.batch_alter_table('dash_appeal_stats', schema=None) as batch_op:
        batch_op.create_index('ix_dash_appeal_stats_period', ['period', 'grain'], unique=False)

    op.create_table('dash_region_ancestors',
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('ancestor_id', sa.Integer(), nullable=False),
    sa.Column('ancestor_level', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['ancestor_id'], ['regions.id'], name=op.f('fk_dash_region_ancestors_ancestor_id_regions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_dash_region_ancestors_region_id_regions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('region_id', 'ancestor_id', name=op.f('pk_dash_region_ancestors'))
    )
    with op.batch_alter_table('appeal_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_events_at'), ['at'], unique=False)

    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeals_region_id'))
        batch_op.create_index('ix_appeals_region_created', ['region_id', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_index('ix_appeals_region_created')
        batch_op.create_index(batch_op.f('ix_appeals_region_id'), ['region_id'], unique=False)

    with op.batch_alter_table('appeal_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeal_events_at'))

    op.drop_table('dash_region_ancestors')
    with op.batch_alter_table('dash_appeal_stats', schema=None) as batch_op:
        batch_op.drop_index('ix_dash_appeal_stats_period')

    op.drop_table('dash_appeal_stats')
    op.drop_table('dash_rollup_state')
