"""duty catalog: departments, categories, matter types, admission lists

Revision ID: a3c1e0a10002
Revises: a3c1e0a10001
Create Date: 2026-11-22 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongzhi.core.db

revision: str = "a3c1e0a10002"
down_revision: str | None = "a3c1e0a10001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [sa.Column("created_at", gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
            sa.Column("updated_at", gongzhi.core.db.UTCDateTime(timezone=True), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_departments_region_id_regions"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("code", name=op.f("uq_departments_code")),
    )
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_departments_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_departments_region_id"), ["region_id"], unique=False)

    op.create_table(
        "duty_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("level IN (1, 2)", name=op.f("ck_duty_categories_level")),
        sa.ForeignKeyConstraint(["parent_id"], ["duty_categories.id"],
                                name=op.f("fk_duty_categories_parent_id_duty_categories")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_categories")),
        sa.UniqueConstraint("code", name=op.f("uq_duty_categories_code")),
    )
    with op.batch_alter_table("duty_categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duty_categories_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "matter_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("lead_department_id", sa.Integer(), nullable=True),
        sa.Column("assist_department_ids", sa.JSON(), nullable=False),
        sa.Column("tier", sa.String(length=12), nullable=False),
        sa.Column("accept_hours", sa.Integer(), nullable=False),
        sa.Column("resolve_days", sa.Integer(), nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("tier IN ('grid','community','street','department')", name=op.f("ck_matter_types_tier")),
        sa.CheckConstraint("accept_hours > 0 AND resolve_days > 0", name=op.f("ck_matter_types_limits")),
        sa.ForeignKeyConstraint(["category_id"], ["duty_categories.id"],
                                name=op.f("fk_matter_types_category_id_duty_categories")),
        sa.ForeignKeyConstraint(["lead_department_id"], ["departments.id"],
                                name=op.f("fk_matter_types_lead_department_id_departments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matter_types")),
        sa.UniqueConstraint("code", name=op.f("uq_matter_types_code")),
    )
    with op.batch_alter_table("matter_types", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_matter_types_category_id"), ["category_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_matter_types_lead_department_id"), ["lead_department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_matter_types_name"), ["name"], unique=False)

    op.create_table(
        "admission_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("matter_type_id", sa.Integer(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("kind IN ('must_do','assist','may_certify','must_not_certify')",
                           name=op.f("ck_admission_items_kind")),
        sa.ForeignKeyConstraint(["community_id"], ["regions.id"], name=op.f("fk_admission_items_community_id_regions"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["matter_type_id"], ["matter_types.id"],
                                name=op.f("fk_admission_items_matter_type_id_matter_types")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admission_items")),
        sa.UniqueConstraint("community_id", "code", name="uq_admission_items_community_code"),
    )
    with op.batch_alter_table("admission_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_admission_items_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_admission_items_matter_type_id"), ["matter_type_id"], unique=False)

    # A department handler's department (on SQLite the batch rebuilds the users table to add the key).
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_department_id"), ["department_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_users_department_id_departments"), "departments",
                                    ["department_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_department_id"))
        batch_op.drop_constraint(batch_op.f("fk_users_department_id_departments"), type_="foreignkey")
        batch_op.drop_column("department_id")
    for table, indexes in (
        ("admission_items", ("ix_admission_items_matter_type_id", "ix_admission_items_community_id")),
        ("matter_types", ("ix_matter_types_name", "ix_matter_types_lead_department_id", "ix_matter_types_category_id")),
        ("duty_categories", ("ix_duty_categories_parent_id",)),
        ("departments", ("ix_departments_region_id", "ix_departments_name")),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in indexes:
                batch_op.drop_index(batch_op.f(name))
        op.drop_table(table)
