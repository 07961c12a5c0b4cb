"""Volume pricing tiers (seeded), custom-amount purchases and cached Stripe receipt links.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 11:40:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (minimum whole credits, cents per credit in millionths, bonus %): operators edit them with
# `python -m credits_app pricing ...`. 1,000,000 micros = 1 cent per credit.
SEED_TIERS = [
    (100, 1_000_000, 0),
    (1_000, 950_000, 0),
    (5_000, 900_000, 0),
    (10_000, 850_000, 5),
    (50_000, 750_000, 10),
    (250_000, 650_000, 10),
    (1_000_000, 550_000, 15),
]


def upgrade() -> None:
    op.create_table(
        "pricing_tiers",
        sa.Column("min_credits", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("unit_price_micros", sa.BigInteger(), nullable=False),
        sa.Column("bonus_percent", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "bonus_percent >= 0 AND bonus_percent <= 100",
            name=op.f("ck_pricing_tiers_bonus_in_range"),
        ),
        sa.CheckConstraint("min_credits > 0", name=op.f("ck_pricing_tiers_min_credits_positive")),
        sa.CheckConstraint(
            "unit_price_micros > 0", name=op.f("ck_pricing_tiers_unit_price_positive")
        ),
        sa.PrimaryKeyConstraint("min_credits", name=op.f("pk_pricing_tiers")),
    )
    tiers = sa.table(
        "pricing_tiers",
        sa.column("min_credits", sa.BigInteger),
        sa.column("unit_price_micros", sa.BigInteger),
        sa.column("bonus_percent", sa.Integer),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        tiers,
        [
            {"min_credits": m, "unit_price_micros": u, "bonus_percent": b, "updated_at": now}
            for m, u, b in SEED_TIERS
        ],
    )
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.alter_column("package_id", existing_type=sa.String(length=64), nullable=True)
        batch_op.add_column(sa.Column("unit_price_micros", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("receipt_url", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.drop_column("receipt_url")
        batch_op.drop_column("unit_price_micros")
    op.execute("UPDATE purchases SET package_id = 'custom' WHERE package_id IS NULL")
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.alter_column("package_id", existing_type=sa.String(length=64), nullable=False)
    op.drop_table("pricing_tiers")
