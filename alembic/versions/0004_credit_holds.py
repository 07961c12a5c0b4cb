"""Credit holds: credits reserved by in-flight AI requests (wallets.held + credit_holds).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 14:37:13.820377
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_holds",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("wallet_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'settled', 'released')", name=op.f("ck_credit_holds_status_known")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_credit_holds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["wallet_id"],
            ["wallets.id"],
            name=op.f("fk_credit_holds_wallet_id_wallets"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_holds")),
    )
    with op.batch_alter_table("credit_holds", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credit_holds_wallet_status", ["wallet_id", "status", "created_at"], unique=False
        )

    with op.batch_alter_table("wallets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held", sa.BigInteger(), server_default="0", nullable=False))

    if op.get_bind().dialect.name == "postgresql":
        # SQLite cannot add a CHECK without rebuilding `wallets` (referenced by the ledger);
        # there the guarded UPDATE in ledger_sql.py is what keeps `held` non-negative.
        op.create_check_constraint("ck_wallets_held_not_negative", "wallets", "held >= 0")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("ck_wallets_held_not_negative", "wallets", type_="check")
    with op.batch_alter_table("wallets", schema=None) as batch_op:
        batch_op.drop_column("held")

    with op.batch_alter_table("credit_holds", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_holds_wallet_status")

    op.drop_table("credit_holds")
