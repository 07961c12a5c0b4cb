"""2Bot AI requests remember their Idempotency-Key and the answer they got.

A retried image, speech, transcript or chat request with the same key is answered from the
stored answer instead of asking the model and charging again (DESIGN §4b).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 18:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ai_request_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False
        ),
        sa.Column("request_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_ai_request_keys_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_request_keys")),
    )
    op.create_index(
        "uq_ai_request_keys_user_key", "ai_request_keys", ["user_id", "idempotency_key"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_ai_request_keys_user_key", table_name="ai_request_keys")
    op.drop_table("ai_request_keys")
