"""Ledger indexes for the hot paths (issue 16): the usage window and the service-key claim.

- `ix_ledger_entries_type_window` (wallet_id, type, created_at, category, amount): the usage
  report (`GET …/usage?days=N`) reads only the window's `usage` rows, from the index alone, so
  its cost follows the window, not the wallet's whole history.
- `uq_ledger_entries_service_key`: a service idempotency key (`service:…`) is unique across
  wallets. The deduction's own statement claims it (its insert), so a service deduction needs no
  advisory lock and no key query before it; a key reused on another wallet fails the insert
  and is answered 409, as before. Existing rows already obey it (the old check refused reuse).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERVICE_KEY_CONDITION = "idempotency_key LIKE 'service:%'"


def upgrade() -> None:
    # Plain index operations: a batch on ledger_entries could rebuild it without its triggers.
    op.create_index(
        "ix_ledger_entries_type_window",
        "ledger_entries",
        ["wallet_id", "type", "created_at", "category", "amount"],
    )
    op.create_index(
        "uq_ledger_entries_service_key",
        "ledger_entries",
        ["idempotency_key"],
        unique=True,
        postgresql_where=sa.text(SERVICE_KEY_CONDITION),
        sqlite_where=sa.text(SERVICE_KEY_CONDITION),
    )


def downgrade() -> None:
    op.drop_index("uq_ledger_entries_service_key", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_type_window", table_name="ledger_entries")
