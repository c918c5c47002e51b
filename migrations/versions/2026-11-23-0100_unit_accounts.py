"""unit accounts: a handler may act for a member unit or shop (users.unit_id)

Revision ID: a3c1e0a10006
Revises: a3c1e0a10005
Create Date: 2026-11-23 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a3c1e0a10006"
down_revision: str | None = "a3c1e0a10005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_unit_id"), ["unit_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_users_unit_id_units"), "units", ["unit_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_unit_id"))
        batch_op.drop_constraint(batch_op.f("fk_users_unit_id_units"), type_="foreignkey")
        batch_op.drop_column("unit_id")
