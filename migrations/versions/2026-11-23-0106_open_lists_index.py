"""appeals: the open lists' index carries the flags they count (overdue, warned, supervised)

Revision ID: a3c1e0a10012
Revises: a3c1e0a10011
Create Date: 2026-11-23 01:06:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a3c1e0a10012"
down_revision: str | None = "a3c1e0a10011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index("ix_appeals_status_scope_flags",
                              ["status", "scope_path", "overdue", "warned", "supervised"], unique=False)
        batch_op.drop_index("ix_appeals_status_scope")


def downgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index("ix_appeals_status_scope", ["status", "scope_path"], unique=False)
        batch_op.drop_index("ix_appeals_status_scope_flags")
