"""Migrating a database that already holds money to credit lots (0004 -> head).

The database is filled at revision 0004 with raw SQL, the way the app of that revision wrote
it: users and an org, funded wallets with history, a fulfilled purchase, one active and one
settled hold. After the upgrade every balance is one `opening` lot, the active hold is pinned
on it, and the services keep working on the migrated rows (spend, settle, release).
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from alembic import command
from credits_app.credits import credit_holds
from credits_app.credits import credit_service as credits
from credits_app.credits.owners import WalletOwner
from credits_app.db import make_engine, use_engine
from credits_app.migrations import alembic_config
from tests.support.databases import postgres_admin_url, scratch_postgres_database
from tests.support.lots import assert_lots_match_ledger

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
UNIT = 10_000


def _migrate(engine: Engine, revision: str) -> None:
    config = alembic_config()
    config.attributes["configure_logger"] = False
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _fill_at_0004(engine: Engine) -> None:
    """Two users, an org, three wallets with entries, a purchase and two holds (0004 schema)."""
    statements = [
        "INSERT INTO users (id, email, name, created_at) VALUES "
        "(1, 'a@example.com', 'A', :t), (2, 'b@example.com', 'B', :t)",
        "INSERT INTO organizations (id, name, slug, created_at) VALUES (1, 'Org', 'org', :t)",
        "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (1, 1, 'owner', :t)",
        # user 1: 100 bought, 30 spent, 5 held by an active hold; user 2: empty; org: 50 granted
        "INSERT INTO wallets (id, owner_kind, owner_id, balance, held, spent_this_month, "
        "created_at) VALUES (1, 'user', 1, 700000, 50000, 300000, :t), "
        "(2, 'user', 2, 0, 0, 0, :t), (3, 'org', 1, 500000, 0, 0, :t)",
        "INSERT INTO ledger_entries (id, wallet_id, type, category, amount, balance_after, "
        "description, metadata, idempotency_key, created_at) VALUES "
        "(1, 1, 'purchase', NULL, 1000000, 1000000, 'Purchase', '{}', 'stripe-checkout:cs_1', :t),"
        "(2, 1, 'usage', 'ai_usage', -300000, 700000, 'chat', '{}', NULL, :t),"
        "(3, 3, 'grant', NULL, 500000, 500000, 'starter', '{}', NULL, :t)",
        "INSERT INTO purchases (id, owner_kind, owner_id, buyer_user_id, package_id, credits, "
        "bonus_credits, price_minor, currency, status, stripe_session_id, "
        "stripe_payment_intent_id, ledger_entry_id, refunded_minor, clawed_back, "
        "clawback_shortfall, disputed_held, created_at, updated_at) VALUES (1, 'user', 1, 1, "
        "'starter', 1000000, 0, 1000, 'usd', 'fulfilled', 'cs_1', 'pi_1', 1, 0, 0, 0, 0, :t, :t)",
        "INSERT INTO credit_holds (id, wallet_id, amount, status, entry_id, created_at) VALUES "
        "(1, 1, 50000, 'active', NULL, :t), (2, 1, 20000, 'settled', 2, :t)",
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), {"t": T0})
        if engine.dialect.name == "postgresql":
            for table in ("users", "organizations", "wallets", "ledger_entries", "purchases"):
                connection.execute(
                    text(f"SELECT setval('{table}_id_seq', (SELECT MAX(id) FROM {table}))")
                )
            connection.execute(text("SELECT setval('credit_holds_id_seq', 2)"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_at_0004(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database migrated to 0004 and filled as that revision's app left it."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        _migrate(engine, "0004")
        _fill_at_0004(engine)
        yield engine
        engine.dispose()
        return
    admin_url = postgres_admin_url()
    if admin_url is None:
        pytest.skip("TEST_DATABASE_URL not set; Postgres tests skipped locally.")
    with scratch_postgres_database(admin_url, prefix="credits_migration") as url:
        engine = make_engine(url)
        _migrate(engine, "0004")
        _fill_at_0004(engine)
        yield engine
        engine.dispose()


def _lots(engine: Engine) -> list[tuple[int, str, int, int, int, object]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT wallet_id, source, original, remaining, held, expires_at "
                "FROM credit_lots ORDER BY wallet_id"
            )
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_existing_balances_become_opening_lots_and_active_holds_pin_them(
    database_at_0004: Engine,
) -> None:
    _migrate(database_at_0004, "head")
    assert _lots(database_at_0004) == [
        (1, "opening", 700000, 700000, 50000, None),
        (3, "opening", 500000, 500000, 0, None),
    ]
    with database_at_0004.connect() as connection:
        pinned = connection.execute(
            text("SELECT entry_id, hold_id, units FROM credit_allocations")
        ).all()
    assert [tuple(row) for row in pinned] == [(None, 1, 50000)]
    use_engine(database_at_0004)
    for owner in (WalletOwner.user(1), WalletOwner.user(2), WalletOwner.org(1)):
        assert_lots_match_ledger(owner)


def test_the_services_keep_working_on_migrated_wallets_and_holds(
    database_at_0004: Engine,
) -> None:
    _migrate(database_at_0004, "head")
    use_engine(database_at_0004)
    user, org = WalletOwner.user(1), WalletOwner.org(1)
    assert credits.balance(user) == 70
    credits.deduct(user, 60, category="marketplace")  # 70 - 5 held leaves 65 available
    settled = credit_holds.settle_hold(
        1, 3 * UNIT, category="ai_usage", description="chat", metadata={}
    )
    assert settled.charged == 3 * UNIT
    assert credits.balance(user) == 7
    credits.grant(org, 10, description="more")
    credits.deduct(org, 55, category="subscription")
    for owner in (user, org):
        assert_lots_match_ledger(owner)
