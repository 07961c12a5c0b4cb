"""Refunds of spending go back into the lots they came from (DESIGN §3b): each refunded part
records whether its units went back into the source lot itself (`restored`) or into a new
`refund` lot, as every refund made before this revision did (so those rows stay false).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("spend_refund_parts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("restored", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_spend_refund_parts_restored_has_lot"), "NOT restored OR lot_id IS NOT NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("spend_refund_parts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_spend_refund_parts_restored_has_lot"), type_="check")
        batch_op.drop_column("restored")
