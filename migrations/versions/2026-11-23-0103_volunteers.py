"""volunteers: 双报到 (reporting, posts, pairs, problems), service logs, evaluations, volunteers and teams

Revision ID: a3c1e0a10009
Revises: a3c1e0a10008
Create Date: 2026-11-23 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongzhi.core.db

revision: str = "a3c1e0a10009"
down_revision: str | None = "a3c1e0a10008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('vol_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('places', sa.String(length=200), nullable=False),
    sa.Column('slots', sa.Integer(), nullable=False),
    sa.Column('time_text', sa.String(length=100), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('slots > 0', name=op.f('ck_vol_posts_slots')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_vol_posts_region_id_regions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vol_posts'))
    )
    with op.batch_alter_table('vol_posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vol_posts_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_posts_scope_path'), ['scope_path'], unique=False)

    op.create_table('vol_teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_vol_teams_region_id_regions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vol_teams'))
    )
    with op.batch_alter_table('vol_teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vol_teams_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_teams_scope_path'), ['scope_path'], unique=False)

    op.create_table('vol_volunteers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('roles', sa.String(length=80), nullable=False),
    sa.Column('skills', sa.String(length=200), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('is_leader', sa.Boolean(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('user_id IS NOT NULL OR resident_id IS NOT NULL', name=op.f('ck_vol_volunteers_who')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_vol_volunteers_region_id_regions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_vol_volunteers_resident_id_residents')),
    sa.ForeignKeyConstraint(['team_id'], ['vol_teams.id'], name=op.f('fk_vol_volunteers_team_id_vol_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_vol_volunteers_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vol_volunteers')),
    sa.UniqueConstraint('user_id', name=op.f('uq_vol_volunteers_user_id'))
    )
    with op.batch_alter_table('vol_volunteers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vol_volunteers_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_volunteers_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_volunteers_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_volunteers_scope_path'), ['scope_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_volunteers_team_id'), ['team_id'], unique=False)

    op.create_table('vol_reportings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('skills', sa.String(length=200), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending','confirmed','rejected')", name=op.f('ck_vol_reportings_status')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_vol_reportings_decided_by_users')),
    sa.ForeignKeyConstraint(['member_id'], ['party_members.id'], name=op.f('fk_vol_reportings_member_id_party_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_vol_reportings_region_id_regions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_vol_reportings_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vol_reportings')),
    sa.UniqueConstraint('member_id', 'region_id', name='uq_vol_reportings_member_region'),
    sa.UniqueConstraint('user_id', name=op.f('uq_vol_reportings_user_id'))
    )
    with op.batch_alter_table('vol_reportings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vol_reportings_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_reportings_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_reportings_scope_path'), ['scope_path'], unique=False)

    op.create_table('vol_evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reporting_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=8), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('evaluated_by', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("grade IN ('优秀','合格','基本合格','不合格')", name=op.f('ck_vol_evaluations_grade')),
    sa.ForeignKeyConstraint(['evaluated_by'], ['users.id'], name=op.f('fk_vol_evaluations_evaluated_by_users')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_vol_evaluations_region_id_regions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reporting_id'], ['vol_reportings.id'], name=op.f('fk_vol_evaluations_reporting_id_vol_reportings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vol_evaluations')),
    sa.UniqueConstraint('reporting_id', 'year', name='uq_vol_evaluations_reporting_year')
    )
    with op.batch_alter_table('vol_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vol_evaluations_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_evaluations_reporting_id'), ['reporting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_evaluations_scope_path'), ['scope_path'], unique=False)

    op.create_table('vol_pairings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reporting_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('care_tags', sa.String(length=120), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('ended_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['ended_by'], ['users.id'], name=op.f('fk_vol_pairings_ended_by_users')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_vol_pairings_household_id_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_vol_pairings_region_id_regions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reporting_id'], ['vol_reportings.id'], name=op.f('fk_vol_pairings_reporting_id_vol_reportings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vol_pairings')),
    sa.UniqueConstraint('reporting_id', 'household_id', name='uq_vol_pairings_reporting_household')
    )
    with op.batch_alter_table('vol_pairings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vol_pairings_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_pairings_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_pairings_reporting_id'), ['reporting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_pairings_scope_path'), ['scope_path'], unique=False)

    op.create_table('vol_post_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('reporting_id', sa.Integer(), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['vol_posts.id'], name=op.f('fk_vol_post_claims_post_id_vol_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporting_id'], ['vol_reportings.id'], name=op.f('fk_vol_post_claims_reporting_id_vol_reportings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vol_post_claims')),
    sa.UniqueConstraint('post_id', 'reporting_id', name='uq_vol_post_claims_post_reporting')
    )
    with op.batch_alter_table('vol_post_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vol_post_claims_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_post_claims_reporting_id'), ['reporting_id'], unique=False)

    op.create_table('vol_problem_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reporting_id', sa.Integer(), nullable=False),
    sa.Column('target_kind', sa.String(length=12), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('ended_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['ended_by'], ['users.id'], name=op.f('fk_vol_problem_claims_ended_by_users')),
    sa.CheckConstraint("target_kind IN ('appeal','need')", name=op.f('ck_vol_problem_claims_target_kind')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_vol_problem_claims_region_id_regions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reporting_id'], ['vol_reportings.id'], name=op.f('fk_vol_problem_claims_reporting_id_vol_reportings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vol_problem_claims')),
    sa.UniqueConstraint('reporting_id', 'target_kind', 'target_id', name='uq_vol_problem_claims_reporting_target')
    )
    with op.batch_alter_table('vol_problem_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vol_problem_claims_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_problem_claims_reporting_id'), ['reporting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_problem_claims_scope_path'), ['scope_path'], unique=False)

    op.create_table('vol_service_logs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reporting_id', sa.Integer(), nullable=True),
    sa.Column('volunteer_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('served_on', sa.Date(), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('pairing_id', sa.Integer(), nullable=True),
    sa.Column('problem_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.CheckConstraint("status IN ('pending','confirmed','rejected')", name=op.f('ck_vol_service_logs_status')),
    sa.CheckConstraint('(reporting_id IS NULL) <> (volunteer_id IS NULL)', name=op.f('ck_vol_service_logs_who')),
    sa.CheckConstraint('hours > 0 AND hours <= 24', name=op.f('ck_vol_service_logs_hours')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_vol_service_logs_decided_by_users')),
    sa.ForeignKeyConstraint(['pairing_id'], ['vol_pairings.id'], name=op.f('fk_vol_service_logs_pairing_id_vol_pairings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['post_id'], ['vol_posts.id'], name=op.f('fk_vol_service_logs_post_id_vol_posts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['problem_id'], ['vol_problem_claims.id'], name=op.f('fk_vol_service_logs_problem_id_vol_problem_claims'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_vol_service_logs_region_id_regions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reporting_id'], ['vol_reportings.id'], name=op.f('fk_vol_service_logs_reporting_id_vol_reportings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_vol_service_logs_user_id_users')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['vol_volunteers.id'], name=op.f('fk_vol_service_logs_volunteer_id_vol_volunteers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vol_service_logs'))
    )
    with op.batch_alter_table('vol_service_logs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vol_service_logs_pairing_id'), ['pairing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_service_logs_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_service_logs_reporting_id'), ['reporting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_service_logs_scope_path'), ['scope_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_service_logs_served_on'), ['served_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_service_logs_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_service_logs_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vol_service_logs_volunteer_id'), ['volunteer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('vol_service_logs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vol_service_logs_volunteer_id'))
        batch_op.drop_index(batch_op.f('ix_vol_service_logs_user_id'))
        batch_op.drop_index(batch_op.f('ix_vol_service_logs_status'))
        batch_op.drop_index(batch_op.f('ix_vol_service_logs_served_on'))
        batch_op.drop_index(batch_op.f('ix_vol_service_logs_scope_path'))
        batch_op.drop_index(batch_op.f('ix_vol_service_logs_reporting_id'))
        batch_op.drop_index(batch_op.f('ix_vol_service_logs_region_id'))
        batch_op.drop_index(batch_op.f('ix_vol_service_logs_pairing_id'))

    op.drop_table('vol_service_logs')
    with op.batch_alter_table('vol_problem_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vol_problem_claims_scope_path'))
        batch_op.drop_index(batch_op.f('ix_vol_problem_claims_reporting_id'))
        batch_op.drop_index(batch_op.f('ix_vol_problem_claims_region_id'))

    op.drop_table('vol_problem_claims')
    with op.batch_alter_table('vol_post_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vol_post_claims_reporting_id'))
        batch_op.drop_index(batch_op.f('ix_vol_post_claims_post_id'))

    op.drop_table('vol_post_claims')
    with op.batch_alter_table('vol_pairings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vol_pairings_scope_path'))
        batch_op.drop_index(batch_op.f('ix_vol_pairings_reporting_id'))
        batch_op.drop_index(batch_op.f('ix_vol_pairings_region_id'))
        batch_op.drop_index(batch_op.f('ix_vol_pairings_household_id'))

    op.drop_table('vol_pairings')
    with op.batch_alter_table('vol_evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vol_evaluations_scope_path'))
        batch_op.drop_index(batch_op.f('ix_vol_evaluations_reporting_id'))
        batch_op.drop_index(batch_op.f('ix_vol_evaluations_region_id'))

    op.drop_table('vol_evaluations')
    with op.batch_alter_table('vol_reportings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vol_reportings_scope_path'))
        batch_op.drop_index(batch_op.f('ix_vol_reportings_region_id'))
        batch_op.drop_index(batch_op.f('ix_vol_reportings_member_id'))

    op.drop_table('vol_reportings')
    with op.batch_alter_table('vol_volunteers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vol_volunteers_team_id'))
        batch_op.drop_index(batch_op.f('ix_vol_volunteers_scope_path'))
        batch_op.drop_index(batch_op.f('ix_vol_volunteers_resident_id'))
        batch_op.drop_index(batch_op.f('ix_vol_volunteers_region_id'))
        batch_op.drop_index(batch_op.f('ix_vol_volunteers_name'))

    op.drop_table('vol_volunteers')
    with op.batch_alter_table('vol_teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vol_teams_scope_path'))
        batch_op.drop_index(batch_op.f('ix_vol_teams_region_id'))

    op.drop_table('vol_teams')
    with op.batch_alter_table('vol_posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vol_posts_scope_path'))
        batch_op.drop_index(batch_op.f('ix_vol_posts_region_id'))

    op.drop_table('vol_posts')
