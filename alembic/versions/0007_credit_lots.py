"""Credit lots (DESIGN §3b): where every credit came from, when it expires, which is spent first.

Existing balances become one `opening` lot per wallet (no expiry); every active hold becomes
a pinned allocation on that lot. History is indexed in ledger order (wallet_id, id).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 08:17:14.991376
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from credits_app.clock import utcnow

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_lots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("wallet_id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("original", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("held", sa.BigInteger(), nullable=False),
        sa.Column("expired", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("cost_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source IN ('purchase', 'bonus', 'grant', 'promotion', 'transfer', 'refund', "
            "'opening')",
            name=op.f("ck_credit_lots_source_known"),
        ),
        sa.CheckConstraint(
            "expired >= 0 AND expired <= original", name=op.f("ck_credit_lots_expired_in_range")
        ),
        sa.CheckConstraint(
            "held >= 0 AND held <= remaining", name=op.f("ck_credit_lots_held_in_range")
        ),
        sa.CheckConstraint("original > 0", name=op.f("ck_credit_lots_original_positive")),
        sa.CheckConstraint(
            "priority >= 0 AND priority <= 100", name=op.f("ck_credit_lots_priority_in_range")
        ),
        sa.CheckConstraint(
            "remaining >= 0 AND remaining <= original",
            name=op.f("ck_credit_lots_remaining_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_credit_lots_entry_id_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["wallet_id"],
            ["wallets.id"],
            name=op.f("fk_credit_lots_wallet_id_wallets"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_lots")),
    )
    with op.batch_alter_table("credit_lots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_lots_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index("ix_credit_lots_expires_at", ["expires_at"], unique=False)
        batch_op.create_index("ix_credit_lots_wallet", ["wallet_id", "expires_at"], unique=False)

    op.create_table(
        "credit_allocations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("hold_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("lot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "entry_id IS NOT NULL OR hold_id IS NOT NULL",
            name=op.f("ck_credit_allocations_entry_or_hold"),
        ),
        sa.CheckConstraint("units > 0", name=op.f("ck_credit_allocations_units_positive")),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_credit_allocations_entry_id_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"],
            ["credit_holds.id"],
            name=op.f("fk_credit_allocations_hold_id_credit_holds"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["credit_lots.id"],
            name=op.f("fk_credit_allocations_lot_id_credit_lots"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_allocations")),
    )
    with op.batch_alter_table("credit_allocations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_allocations_entry_id"), ["entry_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_credit_allocations_hold_id"), ["hold_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_credit_allocations_lot_id"), ["lot_id"], unique=False)

    with op.batch_alter_table("credit_packages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bonus_expires_in_days", sa.Integer(), nullable=True))

    # Plain index operations: a batch on ledger_entries could rebuild it without its triggers.
    op.drop_index("ix_ledger_entries_history", table_name="ledger_entries")
    op.create_index("ix_ledger_entries_history", "ledger_entries", ["wallet_id", "id"])

    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bonus_expires_in_days", sa.Integer(), nullable=True))

    _open_lots_for_existing_balances()


def _open_lots_for_existing_balances() -> None:
    """Each funded wallet's balance becomes one never-expiring `opening` lot; its active holds
    pin their units on it, so `sum(remaining) == balance` and `sum(held) == held` from now on."""
    op.execute(
        sa.text(
            """
            INSERT INTO credit_lots
                (wallet_id, source, entry_id, original, remaining, held, expired, expires_at,
                 priority, cost_minor, currency, created_at)
            SELECT id, 'opening', NULL, balance, balance, held, 0, NULL, 50, NULL, NULL, :now
            FROM wallets WHERE balance > 0
            """
        ).bindparams(sa.bindparam("now", utcnow(), type_=sa.DateTime(timezone=True)))
    )
    op.execute(
        """
        INSERT INTO credit_allocations (entry_id, hold_id, lot_id, units)
        SELECT NULL, credit_holds.id, credit_lots.id, credit_holds.amount
        FROM credit_holds JOIN credit_lots ON credit_lots.wallet_id = credit_holds.wallet_id
        WHERE credit_holds.status = 'active' AND credit_lots.source = 'opening'
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.drop_column("bonus_expires_in_days")

    op.drop_index("ix_ledger_entries_history", table_name="ledger_entries")
    op.create_index(
        "ix_ledger_entries_history", "ledger_entries", ["wallet_id", "created_at", "id"]
    )

    with op.batch_alter_table("credit_packages", schema=None) as batch_op:
        batch_op.drop_column("bonus_expires_in_days")

    with op.batch_alter_table("credit_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_allocations_lot_id"))
        batch_op.drop_index(batch_op.f("ix_credit_allocations_hold_id"))
        batch_op.drop_index(batch_op.f("ix_credit_allocations_entry_id"))

    op.drop_table("credit_allocations")
    with op.batch_alter_table("credit_lots", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_lots_wallet")
        batch_op.drop_index("ix_credit_lots_expires_at")
        batch_op.drop_index(batch_op.f("ix_credit_lots_entry_id"))

    op.drop_table("credit_lots")
