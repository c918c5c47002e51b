"""assessment: indicator sets, classes, indicators, periods and scores (考核)

Revision ID: a3c1e0a10011
Revises: a3c1e0a10010
Create Date: 2026-11-23 01:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongzhi.core.db

revision: str = "a3c1e0a10011"
down_revision: str | None = "a3c1e0a10010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('assess_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('level', sa.String(length=12), nullable=False),
    sa.Column('period_kind', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('red_count', sa.Integer(), nullable=False),
    sa.Column('yellow_count', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("level IN ('street','community','compound','grid')", name=op.f('ck_assess_sets_level')),
    sa.CheckConstraint("period_kind IN ('month','quarter','year')", name=op.f('ck_assess_sets_period_kind')),
    sa.CheckConstraint("status IN ('draft','active','archived')", name=op.f('ck_assess_sets_status')),
    sa.CheckConstraint('red_count >= 0 AND yellow_count >= 0', name=op.f('ck_assess_sets_lists')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_assess_sets_created_by_id_users')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_assess_sets_region_id_regions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assess_sets'))
    )
    with op.batch_alter_table('assess_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assess_sets_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assess_sets_scope_path'), ['scope_path'], unique=False)

    op.create_table('assess_classes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['set_id'], ['assess_sets.id'], name=op.f('fk_assess_classes_set_id_assess_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assess_classes')),
    sa.UniqueConstraint('set_id', 'name', name='uq_assess_classes_set_name')
    )
    with op.batch_alter_table('assess_classes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assess_classes_set_id'), ['set_id'], unique=False)

    op.create_table('assess_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('computed_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.CheckConstraint("status IN ('open','published')", name=op.f('ck_assess_periods_status')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_assess_periods_published_by_id_users')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_assess_periods_region_id_regions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['set_id'], ['assess_sets.id'], name=op.f('fk_assess_periods_set_id_assess_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assess_periods')),
    sa.UniqueConstraint('set_id', 'period', name='uq_assess_periods_set_period')
    )
    with op.batch_alter_table('assess_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assess_periods_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assess_periods_scope_path'), ['scope_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_assess_periods_set_id'), ['set_id'], unique=False)

    op.create_table('assess_indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('max_score', sa.Float(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=True),
    sa.Column('full_at', sa.Float(), nullable=True),
    sa.Column('zero_at', sa.Float(), nullable=True),
    sa.Column('if_no_data', sa.String(length=4), nullable=False),
    sa.Column('deduction', sa.Float(), nullable=True),
    sa.Column('guidance', sa.Text(), nullable=False),
    sa.CheckConstraint("if_no_data IN ('zero','full')", name=op.f('ck_assess_indicators_if_no_data')),
    sa.CheckConstraint("method IN ('computed','manual','veto')", name=op.f('ck_assess_indicators_method')),
    sa.CheckConstraint('max_score >= 0 AND max_score <= 100', name=op.f('ck_assess_indicators_max_score')),
    sa.ForeignKeyConstraint(['class_id'], ['assess_classes.id'], name=op.f('fk_assess_indicators_class_id_assess_classes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_id'], ['assess_sets.id'], name=op.f('fk_assess_indicators_set_id_assess_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assess_indicators')),
    sa.UniqueConstraint('set_id', 'code', name='uq_assess_indicators_set_code')
    )
    with op.batch_alter_table('assess_indicators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assess_indicators_class_id'), ['class_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assess_indicators_set_id'), ['set_id'], unique=False)

    op.create_table('assess_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('assessor_id', sa.Integer(), nullable=True),
    sa.Column('assessor_name', sa.String(length=60), nullable=False),
    sa.Column('scored_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.ForeignKeyConstraint(['assessor_id'], ['users.id'], name=op.f('fk_assess_scores_assessor_id_users')),
    sa.ForeignKeyConstraint(['indicator_id'], ['assess_indicators.id'], name=op.f('fk_assess_scores_indicator_id_assess_indicators'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_assess_scores_region_id_regions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['set_id'], ['assess_sets.id'], name=op.f('fk_assess_scores_set_id_assess_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assess_scores')),
    sa.UniqueConstraint('set_id', 'period', 'region_id', 'indicator_id', name='uq_assess_scores_one')
    )
    with op.batch_alter_table('assess_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assess_scores_indicator_id'), ['indicator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assess_scores_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assess_scores_scope_path'), ['scope_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_assess_scores_set_id'), ['set_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('assess_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assess_scores_set_id'))
        batch_op.drop_index(batch_op.f('ix_assess_scores_scope_path'))
        batch_op.drop_index(batch_op.f('ix_assess_scores_region_id'))
        batch_op.drop_index(batch_op.f('ix_assess_scores_indicator_id'))

    op.drop_table('assess_scores')
    with op.batch_alter_table('assess_indicators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assess_indicators_set_id'))
        batch_op.drop_index(batch_op.f('ix_assess_indicators_class_id'))

    op.drop_table('assess_indicators')
    with op.batch_alter_table('assess_periods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assess_periods_set_id'))
        batch_op.drop_index(batch_op.f('ix_assess_periods_scope_path'))
        batch_op.drop_index(batch_op.f('ix_assess_periods_region_id'))

    op.drop_table('assess_periods')
    with op.batch_alter_table('assess_classes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assess_classes_set_id'))

    op.drop_table('assess_classes')
    with op.batch_alter_table('assess_sets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assess_sets_scope_path'))
        batch_op.drop_index(batch_op.f('ix_assess_sets_region_id'))

    op.drop_table('assess_sets')
