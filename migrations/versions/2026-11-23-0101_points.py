"""points: the double-entry ledger, earning rules, the store (积分超市) and redemptions

Revision ID: a3c1e0a10007
Revises: a3c1e0a10006
Create Date: 2026-11-23 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongzhi.core.db

revision: str = "a3c1e0a10007"
down_revision: str | None = "a3c1e0a10006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('points_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('rule', sa.String(length=24), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('daily_cap', sa.Integer(), nullable=True),
    sa.Column('monthly_cap', sa.Integer(), nullable=True),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("rule IN ('report_verified','wish_fulfilled','service_hour','meeting_attended','civic_act')", name=op.f('ck_points_rules_rule')),
    sa.CheckConstraint('points > 0 AND (daily_cap IS NULL OR daily_cap > 0) AND (monthly_cap IS NULL OR monthly_cap > 0)', name=op.f('ck_points_rules_amounts')),
    sa.ForeignKeyConstraint(['community_id'], ['regions.id'], name=op.f('fk_points_rules_community_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_rules')),
    sa.UniqueConstraint('community_id', 'rule', name='uq_points_rules_community_rule')
    )
    with op.batch_alter_table('points_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_rules_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_rules_scope_path'), ['scope_path'], unique=False)

    op.create_table('points_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_key', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('balance', sa.Integer(), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind = 'issuer' OR balance >= 0", name=op.f('ck_points_accounts_not_negative')),
    sa.CheckConstraint("kind IN ('user','household','issuer','unit')", name=op.f('ck_points_accounts_kind')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_points_accounts_household_id_households')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_points_accounts_region_id_regions')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_points_accounts_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_points_accounts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_accounts')),
    sa.UniqueConstraint('owner_key', name=op.f('uq_points_accounts_owner_key'))
    )
    with op.batch_alter_table('points_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_accounts_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_accounts_scope_path'), ['scope_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_accounts_user_id'), ['user_id'], unique=False)

    op.create_table('points_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('per_person_limit', sa.Integer(), nullable=True),
    sa.Column('limit_period', sa.String(length=8), nullable=False),
    sa.Column('fee_yuan', sa.Integer(), nullable=True),
    sa.Column('cancel_hours', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('starts_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ends_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('goods','service','property_fee')", name=op.f('ck_points_items_kind')),
    sa.CheckConstraint("limit_period IN ('day','week','month','year','ever')", name=op.f('ck_points_items_limit_period')),
    sa.CheckConstraint('cancel_hours >= 0', name=op.f('ck_points_items_cancel_hours')),
    sa.CheckConstraint('per_person_limit IS NULL OR per_person_limit > 0', name=op.f('ck_points_items_per_person_limit')),
    sa.CheckConstraint('price > 0', name=op.f('ck_points_items_price')),
    sa.CheckConstraint('stock >= 0', name=op.f('ck_points_items_stock')),
    sa.ForeignKeyConstraint(['community_id'], ['regions.id'], name=op.f('fk_points_items_community_id_regions')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_points_items_created_by_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_points_items_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_items'))
    )
    with op.batch_alter_table('points_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_items_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_items_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_items_scope_path'), ['scope_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_items_unit_id'), ['unit_id'], unique=False)

    op.create_table('points_postings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('rule', sa.String(length=24), nullable=True),
    sa.Column('ref', sa.String(length=120), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('award','redeem','reverse','adjust')", name=op.f('ck_points_postings_kind')),
    sa.ForeignKeyConstraint(['community_id'], ['regions.id'], name=op.f('fk_points_postings_community_id_regions')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_points_postings_created_by_users')),
    sa.ForeignKeyConstraint(['reverses_id'], ['points_postings.id'], name=op.f('fk_points_postings_reverses_id_points_postings')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_points_postings_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_postings')),
    sa.UniqueConstraint('key', name=op.f('uq_points_postings_key'))
    )
    with op.batch_alter_table('points_postings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_postings_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_postings_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_points_postings_rule_user', ['rule', 'user_id', 'created_at'], unique=False)

    op.create_table('points_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('posting_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_points_entries_nonzero')),
    sa.ForeignKeyConstraint(['account_id'], ['points_accounts.id'], name=op.f('fk_points_entries_account_id_points_accounts')),
    sa.ForeignKeyConstraint(['posting_id'], ['points_postings.id'], name=op.f('fk_points_entries_posting_id_points_postings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_entries'))
    )
    with op.batch_alter_table('points_entries', schema=None) as batch_op:
        batch_op.create_index('ix_points_entries_account', ['account_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_entries_posting_id'), ['posting_id'], unique=False)

    op.create_table('points_item_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=20), nullable=False),
    sa.Column('path', sa.String(length=200), nullable=False),
    sa.Column('thumb_path', sa.String(length=200), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['points_items.id'], name=op.f('fk_points_item_photos_item_id_points_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_item_photos'))
    )
    with op.batch_alter_table('points_item_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_item_photos_item_id'), ['item_id'], unique=False)

    op.create_table('points_redemptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=220), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('open_code', sa.String(length=12), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('fee_period', sa.String(length=7), nullable=True),
    sa.Column('posting_id', sa.Integer(), nullable=False),
    sa.Column('reversal_id', sa.Integer(), nullable=True),
    sa.Column('created_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('handed_over_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('handed_over_by', sa.Integer(), nullable=True),
    sa.Column('closed_at', gongzhi.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('close_reason', sa.String(length=200), nullable=False),
    sa.CheckConstraint("status = 'open' OR open_code IS NULL", name=op.f('ck_points_redemptions_code_only_open')),
    sa.CheckConstraint("status IN ('open','handed_over','cancelled','refunded')", name=op.f('ck_points_redemptions_status')),
    sa.CheckConstraint('quantity > 0 AND points > 0', name=op.f('ck_points_redemptions_amounts')),
    sa.ForeignKeyConstraint(['account_id'], ['points_accounts.id'], name=op.f('fk_points_redemptions_account_id_points_accounts')),
    sa.ForeignKeyConstraint(['closed_by'], ['users.id'], name=op.f('fk_points_redemptions_closed_by_users')),
    sa.ForeignKeyConstraint(['community_id'], ['regions.id'], name=op.f('fk_points_redemptions_community_id_regions')),
    sa.ForeignKeyConstraint(['handed_over_by'], ['users.id'], name=op.f('fk_points_redemptions_handed_over_by_users')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_points_redemptions_household_id_households')),
    sa.ForeignKeyConstraint(['item_id'], ['points_items.id'], name=op.f('fk_points_redemptions_item_id_points_items')),
    sa.ForeignKeyConstraint(['posting_id'], ['points_postings.id'], name=op.f('fk_points_redemptions_posting_id_points_postings')),
    sa.ForeignKeyConstraint(['reversal_id'], ['points_postings.id'], name=op.f('fk_points_redemptions_reversal_id_points_postings')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_points_redemptions_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_points_redemptions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_redemptions')),
    sa.UniqueConstraint('open_code', name=op.f('uq_points_redemptions_open_code'))
    )
    with op.batch_alter_table('points_redemptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_redemptions_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_redemptions_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_redemptions_scope_path'), ['scope_path'], unique=False)
        batch_op.create_index('ix_points_redemptions_unit_status', ['unit_id', 'status'], unique=False)
        batch_op.create_index('ix_points_redemptions_user_item', ['user_id', 'item_id', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('points_redemptions', schema=None) as batch_op:
        batch_op.drop_index('ix_points_redemptions_user_item')
        batch_op.drop_index('ix_points_redemptions_unit_status')
        batch_op.drop_index(batch_op.f('ix_points_redemptions_scope_path'))
        batch_op.drop_index(batch_op.f('ix_points_redemptions_item_id'))
        batch_op.drop_index(batch_op.f('ix_points_redemptions_created_at'))

    op.drop_table('points_redemptions')
    with op.batch_alter_table('points_item_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_item_photos_item_id'))

    op.drop_table('points_item_photos')
    with op.batch_alter_table('points_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_entries_posting_id'))
        batch_op.drop_index('ix_points_entries_account')

    op.drop_table('points_entries')
    with op.batch_alter_table('points_postings', schema=None) as batch_op:
        batch_op.drop_index('ix_points_postings_rule_user')
        batch_op.drop_index(batch_op.f('ix_points_postings_created_at'))
        batch_op.drop_index(batch_op.f('ix_points_postings_community_id'))

    op.drop_table('points_postings')
    with op.batch_alter_table('points_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_items_unit_id'))
        batch_op.drop_index(batch_op.f('ix_points_items_scope_path'))
        batch_op.drop_index(batch_op.f('ix_points_items_name'))
        batch_op.drop_index(batch_op.f('ix_points_items_community_id'))

    op.drop_table('points_items')
    with op.batch_alter_table('points_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_accounts_user_id'))
        batch_op.drop_index(batch_op.f('ix_points_accounts_scope_path'))
        batch_op.drop_index(batch_op.f('ix_points_accounts_region_id'))

    op.drop_table('points_accounts')
    with op.batch_alter_table('points_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_rules_scope_path'))
        batch_op.drop_index(batch_op.f('ix_points_rules_community_id'))

    op.drop_table('points_rules')
