"""working-day calendar: holidays and make-up workdays

Revision ID: a3c1e0a10001
Revises: f5d46cd1846e
Create Date: 2026-11-22 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongzhi.core.db

revision: str = "a3c1e0a10001"
down_revision: str | None = "f5d46cd1846e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Schema only: the official schedule is data, loaded by `gongzhi calendar seed` (and `gongzhi generate`).
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("updated_at", gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('official','admin','import')", name=op.f("ck_calendar_years_source")),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_years")),
    )
    op.create_table(
        "calendar_days",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("is_workday", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("updated_at", gongzhi.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('official','admin','import')", name=op.f("ck_calendar_days_source")),
        sa.PrimaryKeyConstraint("date", name=op.f("pk_calendar_days")),
    )


def downgrade() -> None:
    op.drop_table("calendar_days")
    op.drop_table("calendar_years")
