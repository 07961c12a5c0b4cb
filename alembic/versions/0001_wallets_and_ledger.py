"""Users, organizations, memberships, wallets and the append-only ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 12:28:51.641702
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


APPEND_ONLY_MESSAGE = "ledger_entries is append-only: corrections are new entries"

POSTGRES_APPEND_ONLY = f"""
CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{APPEND_ONLY_MESSAGE} (% refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER ledger_entries_no_update_or_delete
    BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();
CREATE TRIGGER ledger_entries_no_truncate
    BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only();
"""

SQLITE_APPEND_ONLY = [
    f"""CREATE TRIGGER ledger_entries_no_{operation.lower()}
    BEFORE {operation} ON ledger_entries
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"""
    for operation in ("UPDATE", "DELETE")
]


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organizations_slug")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "password_hash", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "wallets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "owner_kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False
        ),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("monthly_limit", sa.BigInteger(), nullable=True),
        sa.Column("low_threshold", sa.BigInteger(), nullable=True),
        sa.Column("critical_threshold", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "owner_kind IN ('user', 'org')", name=op.f("ck_wallets_owner_kind_known")
        ),
        sa.CheckConstraint(
            "balance >= 0", name=op.f("ck_wallets_balance_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallets")),
        sa.UniqueConstraint("owner_kind", "owner_id", name="uq_wallets_owner"),
    )
    op.create_table(
        "ledger_entries",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("wallet_id", sa.Integer(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column(
            "category", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column(
            "description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False
        ),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column(
            "idempotency_key",
            sqlmodel.sql.sqltypes.AutoString(length=255),
            nullable=True,
        ),
        sa.Column(
            "request_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "category IS NULL OR category IN ('ai_usage', 'marketplace', 'premium_feature', 'subscription', 'transfer', 'other')",
            name=op.f("ck_ledger_entries_category_known"),
        ),
        sa.CheckConstraint(
            "type IN ('purchase', 'usage', 'grant', 'refund', 'transfer_in', 'transfer_out', 'expiry', 'adjustment')",
            name=op.f("ck_ledger_entries_type_known"),
        ),
        sa.CheckConstraint(
            "amount <> 0", name=op.f("ck_ledger_entries_amount_not_zero")
        ),
        sa.CheckConstraint(
            "balance_after >= 0",
            name=op.f("ck_ledger_entries_balance_after_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["wallet_id"],
            ["wallets.id"],
            name=op.f("fk_ledger_entries_wallet_id_wallets"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint(
            "wallet_id", "idempotency_key", name="uq_ledger_entries_wallet_key"
        ),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_entries_history", ["wallet_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_ledger_entries_usage",
            ["wallet_id", "category", "created_at"],
            unique=False,
        )

    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('owner', 'admin', 'member')",
            name=op.f("ck_memberships_role_known"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_memberships_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_memberships_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("org_id", "user_id", name="uq_memberships_org_user"),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_memberships_user_id"), ["user_id"], unique=False
        )

    _make_ledger_append_only()


def _make_ledger_append_only() -> None:
    """The database itself refuses UPDATE and DELETE of ledger rows, whatever the code does."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_APPEND_ONLY)
    else:
        for statement in SQLITE_APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memberships_user_id"))

    op.drop_table("memberships")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_usage")
        batch_op.drop_index("ix_ledger_entries_history")

    op.drop_table("ledger_entries")
    op.drop_table("wallets")
    op.drop_table("users")
    op.drop_table("organizations")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION ledger_entries_append_only()")
