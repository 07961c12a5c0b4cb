"""credits.expiring: 7 days ahead, once per lot; and credits.expired when the lot expires."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from credits_app.clock import frozen_at
from credits_app.credits import credit_service as credits
from credits_app.credits.categories import LotSource
from credits_app.credits.drafts import NewLot
from credits_app.credits.lot_expiry import sweep_expired_lots
from credits_app.credits.owners import WalletOwner
from credits_app.notifications import inbox
from credits_app.notifications.expiring import scan_expiring_lots
from tests.conftest import make_user

NOW = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
CREDIT = 10_000


@pytest.fixture(autouse=True)
def _now(any_engine: Engine) -> Iterator[None]:
    with frozen_at(NOW):
        yield


def kinds(user_id: int) -> list[str]:
    return [item.kind for item in reversed(inbox.list_notifications(user_id, limit=100).items)]


def test_a_lot_expiring_within_7_days_is_announced_once_then_its_expiry() -> None:
    user = make_user()
    owner = WalletOwner.user(user.id)
    soon = NewLot(5 * CREDIT, LotSource.PROMOTION, NOW + timedelta(days=6))
    later = NewLot(5 * CREDIT, LotSource.PROMOTION, NOW + timedelta(days=30))
    credits.grant(owner, 10, description="promo", lots=(soon, later))
    assert scan_expiring_lots() >= 1
    assert scan_expiring_lots() == 0, "once per lot"
    assert kinds(user.id) == ["credits.expiring"]
    [item] = inbox.list_notifications(user.id).items
    assert item.body.startswith("5 credits in your wallet expire on 2026-07-07")
    with frozen_at(NOW + timedelta(days=7)):
        sweep_expired_lots()
        scan_expiring_lots()
    assert kinds(user.id) == ["credits.expiring", "credits.expired"]
    with frozen_at(NOW + timedelta(days=24)):
        scan_expiring_lots()
    assert kinds(user.id) == ["credits.expiring", "credits.expired", "credits.expiring"]
