"""Reading a wallet's lots: what is spendable, in the order it will be spent, and what expires.

Reads never write: a lot whose expiry has passed is left out even before its `expiry` entry
is written (DESIGN §3b), so a client never sees credits it cannot spend.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlmodel import Session

from credits_app.clock import as_utc, utcnow
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_service import lots, require_wallet
from credits_app.db import unit_of_work

EXPIRING_WITHIN = timedelta(days=30)


@dataclass(frozen=True)
class LotView:
    """One lot as clients see it, in units."""

    id: int
    source: str
    original: int
    remaining: int
    held: int
    expires_at: datetime | None
    priority: int
    created_at: datetime


def list_lots(owner: WalletOwner, *, session: Session | None = None) -> list[LotView]:
    """Lots with units left that have not expired, in consumption order (spent first, first)."""
    now = utcnow()
    query = (
        select(
            lots.c.id,
            lots.c.source,
            lots.c.original,
            lots.c.remaining,
            lots.c.held,
            lots.c.expires_at,
            lots.c.priority,
            lots.c.created_at,
        )
        .where(lots.c.remaining > 0, or_(lots.c.expires_at.is_(None), lots.c.expires_at > now))
        .order_by(
            lots.c.expires_at.is_(None),
            lots.c.expires_at,
            lots.c.priority,
            lots.c.created_at,
            lots.c.id,
        )
    )
    with unit_of_work(session) as db:
        wallet = require_wallet(db, owner)
        rows = db.execute(query.where(lots.c.wallet_id == wallet.id)).all()
    return [
        LotView(
            id=row.id,
            source=row.source,
            original=row.original,
            remaining=row.remaining,
            held=row.held,
            expires_at=as_utc(row.expires_at) if row.expires_at else None,
            priority=row.priority,
            created_at=as_utc(row.created_at),
        )
        for row in rows
    ]


def expiring_soon(views: list[LotView], *, within: timedelta = EXPIRING_WITHIN) -> list[LotView]:
    """The lots of `views` (as `list_lots` returns them) that expire within `within`, soonest
    first: consumption order already starts with the soonest expiry."""
    horizon = utcnow() + within
    return [view for view in views if view.expires_at is not None and view.expires_at <= horizon]
