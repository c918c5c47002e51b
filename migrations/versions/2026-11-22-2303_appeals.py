"""appeals: the loop, timeline, parts, photos, followers

Revision ID: a3c1e0a10004
Revises: a3c1e0a10003
Create Date: 2026-11-22 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongzhi.core.db

revision: str = "a3c1e0a10004"
down_revision: str | None = "a3c1e0a10003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('appeals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('priority', sa.String(length=8), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('matter_type_id', sa.Integer(), nullable=True),
    sa.Column('tier', sa.String(length=12), nullable=True),
    sa.Column('assigned_region_id', sa.Integer(), nullable=True),
    sa.Column('assigned_department_id', sa.Integer(), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('supervised', sa.Boolean(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('reporter_name', sa.String(length=40), nullable=False),
    sa.Column('phone_enc', sa.LargeBinary(), nullable=True),
    sa.Column('phone_hash', sa.String(length=64), nullable=True),
    sa.Column('phone_masked', sa.String(length=24), nullable=True),
    sa.Column('location_consent', sa.Boolean(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('metoo_count', sa.Integer(), nullable=False),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('review_reopened', sa.Boolean(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('close_reason', sa.String(length=20), nullable=False),
    sa.Column('due_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('warn_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolve_due_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('warned', sa.Boolean(), nullable=False),
    sa.Column('overdue', sa.Boolean(), nullable=False),
    sa.Column('ever_overdue', sa.Boolean(), nullable=False),
    sa.Column('next_check_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paused_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('extension_days', sa.Integer(), nullable=True),
    sa.Column('event_seq', sa.Integer(), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('registered_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dispatched_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verified_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("channel IN ('hotline','mailbox','visit','patrol','volunteer','h5','transfer','open311')", name=op.f('ck_appeals_channel')),
    sa.CheckConstraint("status <> 'merged' OR parent_id IS NOT NULL", name=op.f('ck_appeals_merged_has_parent')),
    sa.CheckConstraint("status IN ('received','registered','rejected','merged','dispatched','accepted','in_progress','resolved','verified','rated','closed')", name=op.f('ck_appeals_status')),
    sa.CheckConstraint("tier IS NULL OR tier IN ('grid','community','street','department')", name=op.f('ck_appeals_tier')),
    sa.CheckConstraint('rating IS NULL OR (rating >= 1 AND rating <= 5)', name=op.f('ck_appeals_rating')),
    sa.ForeignKeyConstraint(['assigned_department_id'], ['departments.id'], name=op.f('fk_appeals_assigned_department_id_departments')),
    sa.ForeignKeyConstraint(['assigned_region_id'], ['regions.id'], name=op.f('fk_appeals_assigned_region_id_regions')),
    sa.ForeignKeyConstraint(['category_id'], ['duty_categories.id'], name=op.f('fk_appeals_category_id_duty_categories')),
    sa.ForeignKeyConstraint(['grid_id'], ['regions.id'], name=op.f('fk_appeals_grid_id_regions')),
    sa.ForeignKeyConstraint(['matter_type_id'], ['matter_types.id'], name=op.f('fk_appeals_matter_type_id_matter_types')),
    sa.ForeignKeyConstraint(['parent_id'], ['appeals.id'], name=op.f('fk_appeals_parent_id_appeals')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_appeals_region_id_regions')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_appeals_reporter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeals')),
    sa.UniqueConstraint('channel', 'external_id', name='uq_appeals_channel_external_id')
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index('ix_appeals_assigned_department', ['assigned_department_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_assigned_region_id'), ['assigned_region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_matter_type_id'), ['matter_type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_next_check_at'), ['next_check_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_phone_hash'), ['phone_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_reporter_id'), ['reporter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_scope_path'), ['scope_path'], unique=False)
        batch_op.create_index('ix_appeals_status_scope', ['status', 'scope_path'], unique=False)

    op.create_table('appeal_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=60), nullable=False),
    sa.Column('actor_role', sa.String(length=24), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_appeal_events_actor_id_users')),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeals.id'], name=op.f('fk_appeal_events_appeal_id_appeals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal_events')),
    sa.UniqueConstraint('appeal_id', 'seq', name='uq_appeal_events_appeal_seq')
    )
    op.create_table('appeal_followers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=10), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeals.id'], name=op.f('fk_appeal_followers_appeal_id_appeals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_appeal_followers_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal_followers')),
    sa.UniqueConstraint('appeal_id', 'user_id', name='uq_appeal_followers_appeal_user')
    )
    with op.batch_alter_table('appeal_followers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_followers_appeal_id'), ['appeal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeal_followers_user_id'), ['user_id'], unique=False)

    op.create_table('appeal_parts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('task', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('due_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('report', sa.Text(), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open','accepted','done')", name=op.f('ck_appeal_parts_status')),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeals.id'], name=op.f('fk_appeal_parts_appeal_id_appeals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_appeal_parts_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal_parts')),
    sa.UniqueConstraint('appeal_id', 'department_id', name='uq_appeal_parts_appeal_department')
    )
    with op.batch_alter_table('appeal_parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_parts_appeal_id'), ['appeal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeal_parts_department_id'), ['department_id'], unique=False)

    op.create_table('appeal_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('content_type', sa.String(length=20), nullable=False),
    sa.Column('path', sa.String(length=200), nullable=False),
    sa.Column('thumb_path', sa.String(length=200), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeals.id'], name=op.f('fk_appeal_photos_appeal_id_appeals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal_photos'))
    )
    with op.batch_alter_table('appeal_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_photos_appeal_id'), ['appeal_id'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeals.id'], name=op.f('fk_idempotency_keys_appeal_id_appeals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_idempotency_keys'))
    )


def downgrade() -> None:
    op.drop_table('idempotency_keys')
    with op.batch_alter_table('appeal_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeal_photos_appeal_id'))

    op.drop_table('appeal_photos')
    with op.batch_alter_table('appeal_parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeal_parts_department_id'))
        batch_op.drop_index(batch_op.f('ix_appeal_parts_appeal_id'))

    op.drop_table('appeal_parts')
    with op.batch_alter_table('appeal_followers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeal_followers_user_id'))
        batch_op.drop_index(batch_op.f('ix_appeal_followers_appeal_id'))

    op.drop_table('appeal_followers')
    op.drop_table('appeal_events')
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_index('ix_appeals_status_scope')
        batch_op.drop_index(batch_op.f('ix_appeals_scope_path'))
        batch_op.drop_index(batch_op.f('ix_appeals_reporter_id'))
        batch_op.drop_index(batch_op.f('ix_appeals_region_id'))
        batch_op.drop_index(batch_op.f('ix_appeals_phone_hash'))
        batch_op.drop_index(batch_op.f('ix_appeals_parent_id'))
        batch_op.drop_index(batch_op.f('ix_appeals_next_check_at'))
        batch_op.drop_index(batch_op.f('ix_appeals_matter_type_id'))
        batch_op.drop_index(batch_op.f('ix_appeals_grid_id'))
        batch_op.drop_index(batch_op.f('ix_appeals_created_at'))
        batch_op.drop_index(batch_op.f('ix_appeals_category_id'))
        batch_op.drop_index(batch_op.f('ix_appeals_assigned_region_id'))
        batch_op.drop_index('ix_appeals_assigned_department')

    op.drop_table('appeals')
