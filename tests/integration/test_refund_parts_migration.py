"""Migrating refunds made as new `refund` lots (0010) to refunds that restore lots (0011).

At 0010 a spend refund created a `refund` lot beside the lot the spend took from. The database
is filled at 0010 with raw SQL the way that code left it; after the upgrade those parts are
marked not `restored`, the lot invariants still hold, and refunding the rest of the spend
puts it back into the original lot, never more than the spend took from it.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from alembic import command
from credits_app.clock import frozen_at
from credits_app.credits import credit_service as credits
from credits_app.credits.owners import WalletOwner
from credits_app.credits.spend_refunds import AmountExceedsRefundable, refund_for_service
from credits_app.db import make_engine, use_engine
from credits_app.migrations import alembic_config
from tests.support.databases import postgres_admin_url, scratch_postgres_database
from tests.support.lots import assert_lots_match_ledger

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
UNIT = 10_000


def _migrate(engine: Engine, revision: str) -> None:
    config = alembic_config()
    config.attributes["configure_logger"] = False
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _fill_at_0010(engine: Engine) -> None:
    """A grant of 10 (lot 1), a marketplace spend of 6 from it, a refund of 2 as lot 2."""
    statements = [
        "INSERT INTO users (id, email, name, created_at) VALUES (1, 'a@example.com', 'A', :t)",
        "INSERT INTO wallets (id, owner_kind, owner_id, balance, held, spent_this_month, "
        "created_at) VALUES (1, 'user', 1, 60000, 0, 40000, :t)",
        "INSERT INTO ledger_entries (id, wallet_id, type, category, amount, balance_after, "
        "description, metadata, idempotency_key, created_at) VALUES "
        "(1, 1, 'grant', NULL, 100000, 100000, 'grant', '{}', NULL, :t),"
        "(2, 1, 'usage', 'marketplace', -60000, 40000, 'bot', '{}', NULL, :t),"
        "(3, 1, 'refund', 'marketplace', 20000, 60000, 'Refund', '{\"refundOf\": 2}', NULL, :t)",
        "INSERT INTO credit_lots (id, wallet_id, source, entry_id, original, remaining, held, "
        "expired, expires_at, priority, cost_minor, currency, created_at) VALUES "
        "(1, 1, 'grant', 1, 100000, 40000, 0, 0, NULL, 50, NULL, NULL, :t),"
        "(2, 1, 'refund', 3, 20000, 20000, 0, 0, NULL, 50, NULL, NULL, :t)",
        "INSERT INTO credit_allocations (id, entry_id, hold_id, lot_id, units) "
        "VALUES (1, 2, NULL, 1, 60000)",
        "INSERT INTO spend_refund_parts (id, usage_entry_id, refund_entry_id, lot_id, units) "
        "VALUES (1, 2, 3, 1, 20000)",
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), {"t": T0})
        if engine.dialect.name == "postgresql":
            for table in (
                "users",
                "wallets",
                "ledger_entries",
                "credit_lots",
                "credit_allocations",
                "spend_refund_parts",
            ):
                connection.execute(
                    text(f"SELECT setval('{table}_id_seq', (SELECT MAX(id) FROM {table}))")
                )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_at_0010(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        _migrate(engine, "0010")
        _fill_at_0010(engine)
        yield engine
        engine.dispose()
        return
    admin_url = postgres_admin_url()
    if admin_url is None:
        pytest.skip("TEST_DATABASE_URL not set; Postgres tests skipped locally.")
    with scratch_postgres_database(admin_url, prefix="credits_migration") as url:
        engine = make_engine(url)
        _migrate(engine, "0010")
        _fill_at_0010(engine)
        yield engine
        engine.dispose()


def test_earlier_refund_lots_stay_explained_and_the_rest_restores_the_original_lot(
    database_at_0010: Engine,
) -> None:
    _migrate(database_at_0010, "head")
    use_engine(database_at_0010)
    owner = WalletOwner.user(1)
    with database_at_0010.connect() as connection:
        restored = connection.execute(text("SELECT restored FROM spend_refund_parts")).scalars()
        assert list(restored) == [False]
    assert_lots_match_ledger(owner)
    with frozen_at(T0):
        result = refund_for_service(2, reason="the rest")
        assert result.refunded_amount == 4 and result.new_balance == 10
        with pytest.raises(AmountExceedsRefundable):
            refund_for_service(2, "0.0001", reason="more")
    with database_at_0010.connect() as connection:
        lots = connection.execute(
            text("SELECT id, source, original, remaining FROM credit_lots ORDER BY id")
        ).all()
    # Lot 1 got back the 4 the earlier refund (lot 2) had not returned; no new lot.
    assert [tuple(row) for row in lots] == [
        (1, "grant", 100000, 80000),
        (2, "refund", 20000, 20000),
    ]
    assert_lots_match_ledger(owner)
    assert credits.balance(owner) == 10
