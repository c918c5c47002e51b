"""cobuild: big Party committee members, rotating chair, joint meetings, needs, resources, claims, projects,
micro-wishes

Revision ID: a3c1e0a10008
Revises: a3c1e0a10007
Create Date: 2026-11-23 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongzhi.core.db

revision: str = "a3c1e0a10008"
down_revision: str | None = "a3c1e0a10007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cobuild_chair_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('slot >= 1 AND slot <= 6', name=op.f('ck_cobuild_chair_terms_slot')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_cobuild_chair_terms_region_id_regions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_cobuild_chair_terms_unit_id_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cobuild_chair_terms')),
    sa.UniqueConstraint('region_id', 'year', 'slot', name='uq_cobuild_chair_terms_slot')
    )
    with op.batch_alter_table('cobuild_chair_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cobuild_chair_terms_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_chair_terms_scope_path'), ['scope_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_chair_terms_unit_id'), ['unit_id'], unique=False)

    op.create_table('cobuild_memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('term_end', sa.Date(), nullable=True),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('pledged', sa.Text(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('term_end IS NULL OR term_end >= signed_on', name=op.f('ck_cobuild_memberships_term')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_cobuild_memberships_region_id_regions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_cobuild_memberships_unit_id_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cobuild_memberships')),
    sa.UniqueConstraint('region_id', 'unit_id', name='uq_cobuild_memberships_region_unit')
    )
    with op.batch_alter_table('cobuild_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cobuild_memberships_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_memberships_scope_path'), ['scope_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_memberships_unit_id'), ['unit_id'], unique=False)

    op.create_table('cobuild_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('held_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=120), nullable=False),
    sa.Column('chair_unit_id', sa.Integer(), nullable=True),
    sa.Column('agenda', sa.JSON(), nullable=False),
    sa.Column('minutes', sa.Text(), nullable=False),
    sa.Column('decisions', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('convened_by_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('planned','held')", name=op.f('ck_cobuild_meetings_status')),
    sa.ForeignKeyConstraint(['chair_unit_id'], ['units.id'], name=op.f('fk_cobuild_meetings_chair_unit_id_units')),
    sa.ForeignKeyConstraint(['convened_by_id'], ['users.id'], name=op.f('fk_cobuild_meetings_convened_by_id_users')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_cobuild_meetings_region_id_regions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cobuild_meetings'))
    )
    with op.batch_alter_table('cobuild_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cobuild_meetings_chair_unit_id'), ['chair_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_meetings_held_at'), ['held_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_meetings_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_meetings_scope_path'), ['scope_path'], unique=False)

    op.create_table('cobuild_officers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('post', sa.String(length=60), nullable=False),
    sa.Column('term_start', sa.Date(), nullable=True),
    sa.Column('term_end', sa.Date(), nullable=True),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['membership_id'], ['cobuild_memberships.id'], name=op.f('fk_cobuild_officers_membership_id_cobuild_memberships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cobuild_officers'))
    )
    with op.batch_alter_table('cobuild_officers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cobuild_officers_membership_id'), ['membership_id'], unique=False)

    op.create_table('cobuild_resources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('resource_type', sa.String(length=8), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('skills', sa.String(length=200), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('provider_kind', sa.String(length=12), nullable=False),
    sa.Column('provider_name', sa.String(length=120), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('windows', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("provider_kind IN ('unit','social_org','volunteer','party_member')", name=op.f('ck_cobuild_resources_provider_kind')),
    sa.CheckConstraint("resource_type IN ('助老','助残','助学','医疗健康','环境整治','设施维修','文体活动','法律咨询','就业帮扶','其他')", name=op.f('ck_cobuild_resources_resource_type')),
    sa.CheckConstraint('capacity >= 1 AND capacity <= 1000', name=op.f('ck_cobuild_resources_capacity')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_cobuild_resources_created_by_id_users')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_cobuild_resources_region_id_regions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_cobuild_resources_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cobuild_resources_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cobuild_resources'))
    )
    with op.batch_alter_table('cobuild_resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cobuild_resources_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_resources_scope_path'), ['scope_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_resources_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_resources_user_id'), ['user_id'], unique=False)

    op.create_table('cobuild_wishes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('poster_id', sa.Integer(), nullable=False),
    sa.Column('poster_name', sa.String(length=60), nullable=False),
    sa.Column('photo_path', sa.String(length=200), nullable=True),
    sa.Column('claimer_id', sa.Integer(), nullable=True),
    sa.Column('claimer_name', sa.String(length=60), nullable=False),
    sa.Column('claimed_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('fulfilled_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('fulfil_photo_path', sa.String(length=200), nullable=True),
    sa.Column('fulfil_note', sa.String(length=400), nullable=False),
    sa.Column('thanks', sa.String(length=400), nullable=False),
    sa.Column('event_seq', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('visit','repair','supplies','daily','other')", name=op.f('ck_cobuild_wishes_kind')),
    sa.CheckConstraint("status IN ('pending','open','claimed','fulfilled','thanked','hidden')", name=op.f('ck_cobuild_wishes_status')),
    sa.ForeignKeyConstraint(['claimer_id'], ['users.id'], name=op.f('fk_cobuild_wishes_claimer_id_users')),
    sa.ForeignKeyConstraint(['poster_id'], ['users.id'], name=op.f('fk_cobuild_wishes_poster_id_users')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_cobuild_wishes_region_id_regions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cobuild_wishes'))
    )
    with op.batch_alter_table('cobuild_wishes', schema=None) as batch_op:
        batch_op.create_index('ix_cobuild_wishes_claimer_status', ['claimer_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_wishes_poster_id'), ['poster_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_wishes_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_wishes_scope_path'), ['scope_path'], unique=False)
        batch_op.create_index('ix_cobuild_wishes_status_scope', ['status', 'scope_path'], unique=False)

    op.create_table('cobuild_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['cobuild_meetings.id'], name=op.f('fk_cobuild_attendance_meeting_id_cobuild_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_cobuild_attendance_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cobuild_attendance_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cobuild_attendance')),
    sa.UniqueConstraint('meeting_id', 'name', name='uq_cobuild_attendance_meeting_name')
    )
    with op.batch_alter_table('cobuild_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cobuild_attendance_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_attendance_user_id'), ['user_id'], unique=False)

    op.create_table('cobuild_needs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('need_type', sa.String(length=8), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('skills', sa.String(length=200), nullable=False),
    sa.Column('beneficiary_count', sa.Integer(), nullable=False),
    sa.Column('beneficiaries', sa.String(length=200), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('urgency', sa.String(length=8), nullable=False),
    sa.Column('wanted_from', sa.Date(), nullable=True),
    sa.Column('wanted_to', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("need_type IN ('助老','助残','助学','医疗健康','环境整治','设施维修','文体活动','法律咨询','就业帮扶','其他')", name=op.f('ck_cobuild_needs_need_type')),
    sa.CheckConstraint("source IN ('resident','grid','community','unit','meeting')", name=op.f('ck_cobuild_needs_source')),
    sa.CheckConstraint("status IN ('open','claimed','in_project','done','closed')", name=op.f('ck_cobuild_needs_status')),
    sa.CheckConstraint("urgency IN ('low','normal','high')", name=op.f('ck_cobuild_needs_urgency')),
    sa.CheckConstraint('beneficiary_count >= 1', name=op.f('ck_cobuild_needs_beneficiary_count')),
    sa.CheckConstraint('wanted_to IS NULL OR wanted_from IS NULL OR wanted_to >= wanted_from', name=op.f('ck_cobuild_needs_window')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_cobuild_needs_created_by_id_users')),
    sa.ForeignKeyConstraint(['meeting_id'], ['cobuild_meetings.id'], name=op.f('fk_cobuild_needs_meeting_id_cobuild_meetings')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_cobuild_needs_region_id_regions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_cobuild_needs_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cobuild_needs'))
    )
    with op.batch_alter_table('cobuild_needs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cobuild_needs_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_needs_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_needs_scope_path'), ['scope_path'], unique=False)
        batch_op.create_index('ix_cobuild_needs_status_scope', ['status', 'scope_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_needs_unit_id'), ['unit_id'], unique=False)

    op.create_table('cobuild_wish_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wish_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=60), nullable=False),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('from_status', sa.String(length=10), nullable=True),
    sa.Column('to_status', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=400), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_cobuild_wish_events_actor_id_users')),
    sa.ForeignKeyConstraint(['wish_id'], ['cobuild_wishes.id'], name=op.f('fk_cobuild_wish_events_wish_id_cobuild_wishes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cobuild_wish_events')),
    sa.UniqueConstraint('wish_id', 'seq', name='uq_cobuild_wish_events_seq')
    )
    op.create_table('cobuild_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('claimant_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=400), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('provider','owner','assignment','member')", name=op.f('ck_cobuild_claims_kind')),
    sa.CheckConstraint("status IN ('pending','accepted','declined','withdrawn')", name=op.f('ck_cobuild_claims_status')),
    sa.ForeignKeyConstraint(['claimant_id'], ['users.id'], name=op.f('fk_cobuild_claims_claimant_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_cobuild_claims_decided_by_id_users')),
    sa.ForeignKeyConstraint(['need_id'], ['cobuild_needs.id'], name=op.f('fk_cobuild_claims_need_id_cobuild_needs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_id'], ['cobuild_resources.id'], name=op.f('fk_cobuild_claims_resource_id_cobuild_resources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cobuild_claims'))
    )
    with op.batch_alter_table('cobuild_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cobuild_claims_claimant_id'), ['claimant_id'], unique=False)
        batch_op.create_index('ix_cobuild_claims_need_status', ['need_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_claims_resource_id'), ['resource_id'], unique=False)

    op.create_table('cobuild_projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('owner_name', sa.String(length=120), nullable=False),
    sa.Column('owner_user_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_comment', sa.String(length=400), nullable=False),
    sa.Column('rated_by_id', sa.Integer(), nullable=True),
    sa.Column('done_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active','done','cancelled')", name=op.f('ck_cobuild_projects_status')),
    sa.CheckConstraint('rating IS NULL OR (rating >= 1 AND rating <= 5)', name=op.f('ck_cobuild_projects_rating')),
    sa.ForeignKeyConstraint(['claim_id'], ['cobuild_claims.id'], name=op.f('fk_cobuild_projects_claim_id_cobuild_claims')),
    sa.ForeignKeyConstraint(['need_id'], ['cobuild_needs.id'], name=op.f('fk_cobuild_projects_need_id_cobuild_needs')),
    sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'], name=op.f('fk_cobuild_projects_owner_user_id_users')),
    sa.ForeignKeyConstraint(['rated_by_id'], ['users.id'], name=op.f('fk_cobuild_projects_rated_by_id_users')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_cobuild_projects_region_id_regions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['resource_id'], ['cobuild_resources.id'], name=op.f('fk_cobuild_projects_resource_id_cobuild_resources')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_cobuild_projects_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cobuild_projects')),
    sa.UniqueConstraint('claim_id', name='uq_cobuild_projects_claim')
    )
    with op.batch_alter_table('cobuild_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cobuild_projects_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_projects_owner_user_id'), ['owner_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_projects_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_projects_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_projects_scope_path'), ['scope_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_cobuild_projects_unit_id'), ['unit_id'], unique=False)

    op.create_table('cobuild_project_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('done_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['cobuild_projects.id'], name=op.f('fk_cobuild_project_steps_project_id_cobuild_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cobuild_project_steps')),
    sa.UniqueConstraint('project_id', 'seq', name='uq_cobuild_project_steps_seq')
    )


def downgrade() -> None:
    op.drop_table('cobuild_project_steps')
    with op.batch_alter_table('cobuild_projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cobuild_projects_unit_id'))
        batch_op.drop_index(batch_op.f('ix_cobuild_projects_scope_path'))
        batch_op.drop_index(batch_op.f('ix_cobuild_projects_resource_id'))
        batch_op.drop_index(batch_op.f('ix_cobuild_projects_region_id'))
        batch_op.drop_index(batch_op.f('ix_cobuild_projects_owner_user_id'))
        batch_op.drop_index(batch_op.f('ix_cobuild_projects_need_id'))

    op.drop_table('cobuild_projects')
    with op.batch_alter_table('cobuild_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cobuild_claims_resource_id'))
        batch_op.drop_index('ix_cobuild_claims_need_status')
        batch_op.drop_index(batch_op.f('ix_cobuild_claims_claimant_id'))

    op.drop_table('cobuild_claims')
    op.drop_table('cobuild_wish_events')
    with op.batch_alter_table('cobuild_needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cobuild_needs_unit_id'))
        batch_op.drop_index('ix_cobuild_needs_status_scope')
        batch_op.drop_index(batch_op.f('ix_cobuild_needs_scope_path'))
        batch_op.drop_index(batch_op.f('ix_cobuild_needs_region_id'))
        batch_op.drop_index(batch_op.f('ix_cobuild_needs_created_by_id'))

    op.drop_table('cobuild_needs')
    with op.batch_alter_table('cobuild_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cobuild_attendance_user_id'))
        batch_op.drop_index(batch_op.f('ix_cobuild_attendance_meeting_id'))

    op.drop_table('cobuild_attendance')
    with op.batch_alter_table('cobuild_wishes', schema=None) as batch_op:
        batch_op.drop_index('ix_cobuild_wishes_status_scope')
        batch_op.drop_index(batch_op.f('ix_cobuild_wishes_scope_path'))
        batch_op.drop_index(batch_op.f('ix_cobuild_wishes_region_id'))
        batch_op.drop_index(batch_op.f('ix_cobuild_wishes_poster_id'))
        batch_op.drop_index('ix_cobuild_wishes_claimer_status')

    op.drop_table('cobuild_wishes')
    with op.batch_alter_table('cobuild_resources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cobuild_resources_user_id'))
        batch_op.drop_index(batch_op.f('ix_cobuild_resources_unit_id'))
        batch_op.drop_index(batch_op.f('ix_cobuild_resources_scope_path'))
        batch_op.drop_index(batch_op.f('ix_cobuild_resources_region_id'))

    op.drop_table('cobuild_resources')
    with op.batch_alter_table('cobuild_officers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cobuild_officers_membership_id'))

    op.drop_table('cobuild_officers')
    with op.batch_alter_table('cobuild_meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cobuild_meetings_scope_path'))
        batch_op.drop_index(batch_op.f('ix_cobuild_meetings_region_id'))
        batch_op.drop_index(batch_op.f('ix_cobuild_meetings_held_at'))
        batch_op.drop_index(batch_op.f('ix_cobuild_meetings_chair_unit_id'))

    op.drop_table('cobuild_meetings')
    with op.batch_alter_table('cobuild_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cobuild_memberships_unit_id'))
        batch_op.drop_index(batch_op.f('ix_cobuild_memberships_scope_path'))
        batch_op.drop_index(batch_op.f('ix_cobuild_memberships_region_id'))

    op.drop_table('cobuild_memberships')
    with op.batch_alter_table('cobuild_chair_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cobuild_chair_terms_unit_id'))
        batch_op.drop_index(batch_op.f('ix_cobuild_chair_terms_scope_path'))
        batch_op.drop_index(batch_op.f('ix_cobuild_chair_terms_region_id'))

    op.drop_table('cobuild_chair_terms')
