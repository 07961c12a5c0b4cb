"""Sign-in sessions, login throttling, the credit package catalog and monthly spend tracking.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 14:19:43.914037
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_packages",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("credits", sa.BigInteger(), nullable=False),
        sa.Column("bonus_credits", sa.BigInteger(), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("popular", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "bonus_credits >= 0", name=op.f("ck_credit_packages_bonus_not_negative")
        ),
        sa.CheckConstraint("credits > 0", name=op.f("ck_credit_packages_credits_positive")),
        sa.CheckConstraint("price_minor > 0", name=op.f("ck_credit_packages_price_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_packages")),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempts_email_time", ["email", "created_at"], unique=False)
        batch_op.create_index("ix_login_attempts_ip_time", ["ip", "created_at"], unique=False)

    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_auth_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_sessions_token_hash")),
    )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_sessions_user_id"), ["user_id"], unique=False)

    op.create_index(
        "ix_ledger_entries_idempotency_key", "ledger_entries", ["idempotency_key"], unique=False
    )
    with op.batch_alter_table("wallets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spend_month", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("spent_this_month", sa.BigInteger(), server_default="0", nullable=False)
        )

    _seed_packages()


def _seed_packages() -> None:
    """The starting catalog (credits in units of 1/10,000); operators edit it with the CLI."""
    packages = sa.table(
        "credit_packages",
        sa.column("id", sa.String),
        sa.column("name", sa.String),
        sa.column("credits", sa.BigInteger),
        sa.column("bonus_credits", sa.BigInteger),
        sa.column("price_minor", sa.BigInteger),
        sa.column("currency", sa.String),
        sa.column("popular", sa.Boolean),
        sa.column("active", sa.Boolean),
        sa.column("sort_order", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    unit = 10_000
    now = datetime.now(UTC)
    rows = [
        ("starter", "Starter", 1_000, 0, 1_000, False),
        ("growth", "Growth", 5_000, 500, 4_500, False),
        ("pro", "Pro", 10_000, 2_000, 9_000, True),
        ("scale", "Scale", 50_000, 15_000, 40_000, False),
    ]
    op.bulk_insert(
        packages,
        [
            {
                "id": package_id,
                "name": name,
                "credits": credits * unit,
                "bonus_credits": bonus * unit,
                "price_minor": cents,
                "currency": "usd",
                "popular": popular,
                "active": True,
                "sort_order": order,
                "created_at": now,
            }
            for order, (package_id, name, credits, bonus, cents, popular) in enumerate(rows)
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_idempotency_key", table_name="ledger_entries")
    with op.batch_alter_table("wallets", schema=None) as batch_op:
        batch_op.drop_column("spent_this_month")
        batch_op.drop_column("spend_month")

    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_sessions_user_id"))

    op.drop_table("auth_sessions")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_ip_time")
        batch_op.drop_index("ix_login_attempts_email_time")

    op.drop_table("login_attempts")
    op.drop_table("credit_packages")
