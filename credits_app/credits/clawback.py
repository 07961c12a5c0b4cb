"""Taking credits back when the money goes back (Stripe refunds and disputes), lot by lot.

Billing decides *how much* is owed back; this module decides *from where*: the purchase's own
lots first (its paid and bonus lots), then the rest in the consumption order, never below the
units held by in-flight requests and never below zero. What cannot be taken is returned to
the caller as the shortfall, to be recorded on the purchase.
"""

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from credits_app.credits.amounts import Units
from credits_app.credits.categories import TransactionType
from credits_app.credits.drafts import EntryDraft
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_service import lock_wallet, post_entry


def take_back(
    session: Session,
    owner: WalletOwner,
    owed: int,
    *,
    purchase_entry_id: int | None,
    entry_type: TransactionType,
    description: str,
    metadata: Mapping[str, Any],
    idempotency_key: str,
) -> int:
    """Debit up to `owed` units (what is available after expiry), the purchase's lots first.

    Returns the units taken; the entry's metadata records any shortfall.
    """
    if owed <= 0:
        return 0
    wallet = lock_wallet(session, owner)
    taken = min(owed, max(wallet.available, 0))  # credits held by in-flight AI calls stay put
    if taken > 0:
        details = dict(metadata)
        if taken < owed:
            details["shortfall"] = owed - taken
        draft = EntryDraft(
            type=entry_type,
            amount=-taken,
            description=description,
            metadata=details,
            idempotency_key=idempotency_key,
        )
        post_entry(session, owner, draft, prefer_entry=purchase_entry_id)
    return taken


def give_back(
    session: Session,
    owner: WalletOwner,
    units: int,
    *,
    description: str,
    metadata: Mapping[str, Any],
    idempotency_key: str,
) -> None:
    """Return units a clawback took (a dispute won) as a new `refund` lot that never expires."""
    draft = EntryDraft(
        type=TransactionType.REFUND,
        amount=int(Units(units)),
        description=description,
        metadata=metadata,
        idempotency_key=idempotency_key,
    )
    post_entry(session, owner, draft)
