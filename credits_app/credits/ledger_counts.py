"""Cheap ledger counts (one SELECT COUNT), e.g. the total of an export's progress bar."""

from sqlalchemy import func, select
from sqlmodel import Session

from credits_app.credits.categories import parse_category, parse_transaction_type
from credits_app.credits.wallet_service import WalletOwner, entries, require_wallet
from credits_app.db import unit_of_work


def count_entries(
    owner: WalletOwner,
    *,
    type: str | None = None,
    category: str | None = None,
    session: Session | None = None,
) -> int:
    """How many entries `credit_service.get_history` would page through with the same filters."""
    query = select(func.count()).select_from(entries)
    if type is not None:
        query = query.where(entries.c.type == parse_transaction_type(type).value)
    if category is not None:
        query = query.where(entries.c.category == parse_category(category).value)
    with unit_of_work(session) as db:
        wallet = require_wallet(db, owner)
        count: int = db.execute(query.where(entries.c.wallet_id == wallet.id)).scalar_one()
    return count
