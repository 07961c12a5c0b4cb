"""The 7-days-ahead expiry scan: `credits.expiring` once per lot, before it expires.

A periodic job (`notifications.expiring_scan`, hourly). Each lot that still has unspent,
unheld credits and expires within `EXPIRING_AHEAD` gets one event, keyed by the lot
(`credits.expiring:lot:<id>`), so re-running the scan, or two workers racing it, tells once.
"""

from datetime import timedelta
from typing import cast

from sqlalchemy import Table, select

from credits_app.clock import utcnow
from credits_app.credits.amounts import units_to_credits
from credits_app.credits.categories import OwnerKind
from credits_app.credits.owners import WalletOwner
from credits_app.db import unit_of_work
from credits_app.jobs.registry import JobContext
from credits_app.models import CreditLot, Wallet
from credits_app.notifications.events import EventType
from credits_app.notifications.publish import publish
from credits_app.notifications.stamps import as_utc

lots = cast(Table, CreditLot.__table__)  # type: ignore[attr-defined]
wallets = cast(Table, Wallet.__table__)  # type: ignore[attr-defined]
EXPIRING_AHEAD = timedelta(days=7)
BATCH = 500


def scan_expiring_lots(_job: JobContext | None = None) -> int:
    """Publish `credits.expiring` for every lot expiring within 7 days; how many were new."""
    now = utcnow()
    told = 0
    after_id = 0
    while True:
        with unit_of_work() as db:
            rows = db.execute(
                select(
                    lots.c.id,
                    lots.c.remaining,
                    lots.c.held,
                    lots.c.expires_at,
                    wallets.c.owner_kind,
                    wallets.c.owner_id,
                )
                .join(wallets, wallets.c.id == lots.c.wallet_id)
                .where(
                    lots.c.id > after_id,
                    lots.c.expires_at > now,
                    lots.c.expires_at <= now + EXPIRING_AHEAD,
                    lots.c.remaining > lots.c.held,
                )
                .order_by(lots.c.id)
                .limit(BATCH)
            ).all()
            for lot_id, remaining, held, expires_at, kind, owner_id in rows:
                data = {
                    "amount": str(units_to_credits(int(remaining) - int(held))),
                    "expiresAt": as_utc(expires_at).isoformat(),
                    "lotId": lot_id,
                }
                owner = WalletOwner(OwnerKind(kind), owner_id)
                key = f"credits.expiring:lot:{lot_id}"
                told += (
                    publish(db, EventType.CREDITS_EXPIRING, owner, data, dedupe_key=key) is not None
                )
        if len(rows) < BATCH:
            return told
        after_id = rows[-1][0]
