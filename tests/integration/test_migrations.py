"""The schema: migrations build it, match the models, and make the ledger append-only."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, insert, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import SQLModel

from credits_app.credits import credit_service as credits
from credits_app.credits.wallet_service import entries, wallets
from tests.conftest import make_user


def test_migrations_and_models_agree(any_engine: Engine) -> None:
    """Autogenerate against a freshly migrated database finds nothing to change."""
    with any_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


@pytest.mark.parametrize(
    "statement", ["UPDATE ledger_entries SET amount = 1", "DELETE FROM ledger_entries"]
)
def test_database_refuses_to_rewrite_the_ledger(any_engine: Engine, statement: str) -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "10", description="grant")
    with pytest.raises(DBAPIError, match="append-only"), any_engine.begin() as connection:
        connection.execute(text(statement))
    assert credits.get_personal_balance(user.id) == 10


@pytest.mark.postgres
def test_postgres_refuses_to_truncate_the_ledger(postgres_engine: Engine) -> None:
    with pytest.raises(DBAPIError, match="append-only"), postgres_engine.begin() as connection:
        connection.execute(text("TRUNCATE ledger_entries CASCADE"))


def test_database_refuses_a_negative_balance_even_from_raw_sql(any_engine: Engine) -> None:
    user = make_user()
    with pytest.raises(IntegrityError), any_engine.begin() as connection:
        connection.execute(
            text("UPDATE wallets SET balance = -1 WHERE owner_kind = 'user' AND owner_id = :id"),
            {"id": user.id},
        )


@pytest.mark.parametrize(
    "bad_values",
    [{"amount": 0}, {"balance_after": -1}, {"type": "gift"}, {"category": "groceries"}],
)
def test_database_refuses_malformed_ledger_rows(any_engine: Engine, bad_values: dict) -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "10", description="grant")
    with any_engine.connect() as connection:
        wallet_id = (
            connection.execute(wallets.select().where(wallets.c.owner_id == user.id)).first().id
        )  # type: ignore[union-attr]
    row = {
        "wallet_id": wallet_id,
        "type": "usage",
        "category": "other",
        "amount": -1,
        "balance_after": 0,
        "description": "",
        "metadata": {},
    } | bad_values
    with pytest.raises(IntegrityError), any_engine.begin() as connection:
        connection.execute(insert(entries).values(created_at=text("CURRENT_TIMESTAMP"), **row))
