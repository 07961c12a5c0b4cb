"""Reading a wallet's lots: what is spendable, in the order it will be spent, and what expires.

Reads never write: a lot whose expiry has passed is left out even before its `expiry` entry
is written (DESIGN §3b), so a client never sees credits it cannot spend.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlmodel import Session

from credits_app.clock import as_utc, utcnow
from credits_app.credits import ledger_sql
from credits_app.credits.balance_moves import WalletState
from credits_app.credits.errors import WalletNotFound
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_service import lots, require_wallet
from credits_app.db import read_only

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
    with read_only(session) as db:
        wallet = require_wallet(db, owner)
        rows = db.execute(query.where(lots.c.wallet_id == wallet.id)).all()
    return [
        _view(
            row.id,
            row.source,
            row.original,
            row.remaining,
            row.held,
            row.expires_at,
            row.priority,
            row.created_at,
        )
        for row in rows
    ]


def wallet_with_lots(
    owner: WalletOwner, *, session: Session | None = None
) -> tuple[WalletState, list[LotView]]:
    """The wallet and its live lots (as `list_lots` orders them) in one statement, one round
    trip and no transaction; `WalletNotFound` when there is no wallet."""
    params = {"owner_kind": owner.kind.value, "owner_id": owner.id, "now": utcnow()}
    with read_only(session) as db:
        rows = db.execute(ledger_sql.WALLET_WITH_LOTS, params).all()
    if not rows:
        raise WalletNotFound(owner.kind.value, owner.id)
    wallet = WalletState(*rows[0][:9])
    views = [_view(*row[9:]) for row in rows if row.lot_id is not None]
    return wallet, views


def _view(
    lot_id: int,
    source: str,
    original: int,
    remaining: int,
    held: int,
    expires_at: datetime | None,
    priority: int,
    created_at: datetime,
) -> LotView:
    return LotView(
        id=lot_id,
        source=source,
        original=original,
        remaining=remaining,
        held=held,
        expires_at=as_utc(expires_at) if expires_at else None,
        priority=priority,
        created_at=as_utc(created_at),
    )


def expiring_soon(views: list[LotView], *, within: timedelta = EXPIRING_WITHIN) -> list[LotView]:
    """The lots of `views` (as `list_lots` returns them) that expire within `within`, soonest
    first: consumption order already starts with the soonest expiry."""
    horizon = utcnow() + within
    return [view for view in views if view.expires_at is not None and view.expires_at <= horizon]
