"""The demo loader behind `make run`: funded wallets with history, and safe to run twice."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from credits_app.credits import credit_service as credits
from credits_app.credits.amounts import units_to_credits
from credits_app.credits.wallet_service import WalletOwner, entries
from credits_app.db import unit_of_work
from credits_app.demo import AI_CHARGES, ORG_SPENDING, PERSONAL_SPENDING, load_demo_data

pytestmark = pytest.mark.usefixtures("sqlite_engine")


def test_demo_data_gives_user_and_org_funded_wallets_with_spending_history() -> None:
    accounts = load_demo_data()
    spent = sum(Decimal(amount) for _, _, amount, _ in PERSONAL_SPENDING)
    spent += sum(units_to_credits(units) for _, _, _, units, _, _ in AI_CHARGES)
    assert credits.get_personal_balance(accounts.user.id) == 5000 - spent
    assert credits.get_org_balance(accounts.org.id) > 0
    usage = credits.get_usage(WalletOwner.user(accounts.user.id), days=30)
    assert usage.total_used == spent
    spending_days = {days for days, *_ in PERSONAL_SPENDING} | {days for days, *_ in AI_CHARGES}
    assert len({d.date for d in usage.daily if d.total}) == len(spending_days)


def test_loading_demo_data_twice_adds_nothing() -> None:
    first = load_demo_data()
    with unit_of_work() as db:
        count_before = db.execute(select(func.count()).select_from(entries)).scalar_one()
    second = load_demo_data()
    with unit_of_work() as db:
        count_after = db.execute(select(func.count()).select_from(entries)).scalar_one()
    assert second == first
    assert (
        count_before
        == count_after
        == 2 + len(PERSONAL_SPENDING) + len(ORG_SPENDING) + len(AI_CHARGES)
    )
