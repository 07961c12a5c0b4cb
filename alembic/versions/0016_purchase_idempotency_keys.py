"""Purchases remember the client's Idempotency-Key, the request it named and its Checkout URL.

A replayed `POST …/credits/purchase` with the same key answers the original Checkout Session
instead of opening another; the same key with another request is a 409 (DESIGN §4b).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("purchases") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("request_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("checkout_url", sa.Text(), nullable=True))
        batch.create_index(
            "uq_purchases_buyer_idempotency_key",
            ["buyer_user_id", "idempotency_key"],
            unique=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("purchases") as batch:
        batch.drop_index("uq_purchases_buyer_idempotency_key")
        batch.drop_column("checkout_url")
        batch.drop_column("request_hash")
        batch.drop_column("idempotency_key")
