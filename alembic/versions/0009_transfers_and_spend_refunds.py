"""Transfers between wallets and refunds of spending (DESIGN §3b): credit_transfers links the
two entries of a transfer; spend_refund_parts records which lot each refunded unit came from.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:46:46.331795
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_transfers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("from_wallet_id", sa.Integer(), nullable=False),
        sa.Column("to_wallet_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column(
            "out_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "in_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("operator", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("request_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_credit_transfers_amount_positive")),
        sa.CheckConstraint(
            "from_wallet_id <> to_wallet_id", name=op.f("ck_credit_transfers_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["from_wallet_id"],
            ["wallets.id"],
            name=op.f("fk_credit_transfers_from_wallet_id_wallets"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["in_entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_credit_transfers_in_entry_id_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["out_entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_credit_transfers_out_entry_id_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["to_wallet_id"],
            ["wallets.id"],
            name=op.f("fk_credit_transfers_to_wallet_id_wallets"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_transfers")),
        sa.UniqueConstraint(
            "from_wallet_id", "idempotency_key", name="uq_credit_transfers_from_key"
        ),
    )
    with op.batch_alter_table("credit_transfers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_transfers_to_wallet_id"), ["to_wallet_id"], unique=False
        )

    op.create_table(
        "spend_refund_parts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "usage_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "refund_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("lot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("units > 0", name=op.f("ck_spend_refund_parts_units_positive")),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["credit_lots.id"],
            name=op.f("fk_spend_refund_parts_lot_id_credit_lots"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["refund_entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_spend_refund_parts_refund_entry_id_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["usage_entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_spend_refund_parts_usage_entry_id_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spend_refund_parts")),
    )
    with op.batch_alter_table("spend_refund_parts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_spend_refund_parts_usage_entry_id"), ["usage_entry_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("spend_refund_parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spend_refund_parts_usage_entry_id"))

    op.drop_table("spend_refund_parts")
    with op.batch_alter_table("credit_transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_transfers_to_wallet_id"))

    op.drop_table("credit_transfers")
