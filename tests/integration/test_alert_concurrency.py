"""16 threads debit across the low threshold at once: exactly one balance.low, every time;
16 spends refused by the monthly limit at once: exactly one monthly_limit.reached.

The crossing is judged under the wallet row lock the debit itself takes, so the debits are
judged one after another; on Postgres (row locks) and on SQLite (one writer).
"""

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from credits_app.credits import credit_service as credits
from credits_app.credits.errors import CreditsError
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_settings import update_wallet_settings
from credits_app.notifications import inbox
from tests.conftest import make_user

THREADS = 16


def debit_together(user_id: int, amount: str) -> list[str]:
    """Start THREADS debits at once; the error code of each refused one."""
    barrier = threading.Barrier(THREADS)

    def debit(_: int) -> str | None:
        barrier.wait()
        try:
            credits.deduct_personal_credits(user_id, amount, category="ai_usage")
        except CreditsError as error:
            return error.code
        return None

    with ThreadPoolExecutor(THREADS) as pool:
        return [code for code in pool.map(debit, range(THREADS)) if code is not None]


def kinds(user_id: int) -> list[str]:
    return [item.kind for item in reversed(inbox.list_notifications(user_id, limit=100).items)]


def test_concurrent_debits_across_low_fire_one_alert_and_recovery_rearms_it(
    any_engine: Engine,
) -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "200", description="start")
    update_wallet_settings(WalletOwner.user(user.id), {"low_threshold": "150"})
    debit_together(user.id, "5")  # 200 -> 120, crossing 150 at the 10th debit
    assert kinds(user.id) == ["balance.low"]
    credits.grant_personal_credits(user.id, "100", description="top-up")  # 220
    assert kinds(user.id) == ["balance.low", "balance.recovered"]
    debit_together(user.id, "5")  # 220 -> 140, crossing again
    assert kinds(user.id) == ["balance.low", "balance.recovered", "balance.low"]


def test_sixteen_spends_refused_by_the_monthly_limit_at_once_tell_the_owner_once(
    any_engine: Engine,
) -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "500", description="start")
    update_wallet_settings(WalletOwner.user(user.id), {"monthly_limit": "30"})
    credits.deduct_personal_credits(user.id, "25", category="ai_usage")
    assert kinds(user.id) == ["monthly_limit.warning"]
    assert debit_together(user.id, "10") == ["monthly_limit_reached"] * THREADS
    assert kinds(user.id) == ["monthly_limit.warning", "monthly_limit.reached"]
    assert inbox.unread_count(user.id) == 2
    assert credits.get_personal_balance(user.id) == 475
