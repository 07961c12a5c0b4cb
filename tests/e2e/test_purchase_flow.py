"""A new user's first purchase, from sign-up to the credits on screen, through Checkout."""

import re
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from credits_app.auth.accounts import find_user_by_email
from credits_app.credits import credit_service
from credits_app.credits.owners import WalletOwner
from tests.e2e.flows import TIMEOUT_MS, buy_package, history_rows, screenshot, wait_for_balance
from tests.support.api_client import PASSWORD
from tests.support.app_server import RunningApp


def test_register_buy_a_package_and_see_it_everywhere(
    app: RunningApp, ledger_engine: Engine, page: Page, screenshot_dir: Path
) -> None:
    """Register → empty wallet in critical state → buy Pro → toast, header, card and history."""
    email = f"ada-{uuid.uuid4().hex[:10]}@example.com"
    page.goto(f"{app.base_url}/register")
    page.locator("#field-name").fill("Ada Lovelace")
    page.locator("#field-email").fill(email)
    page.locator("#field-password").fill(PASSWORD)
    page.locator("#auth-submit").click()

    expect(page).to_have_url(re.compile(r"/credits/?$"), timeout=TIMEOUT_MS)
    wait_for_balance(page, "0")
    header = page.locator("#header-balance-link [data-status]")
    # A brand-new wallet is welcomed, not flagged "critically low", and offers one buy button.
    expect(header).to_have_attribute("data-status", "new")
    expect(page.locator("#welcome-banner")).to_be_visible()
    expect(page.locator("#warning-critical")).to_have_count(0)
    expect(page.get_by_role("button", name="Buy credits")).to_have_count(1)
    screenshot(page, screenshot_dir, "purchase-1-empty-wallet")

    buy_package(page, "pro")

    expect(page).to_have_url(re.compile(r"/credits"), timeout=TIMEOUT_MS)
    expect(page.get_by_text("12,000 credits added")).to_be_visible(timeout=TIMEOUT_MS)
    wait_for_balance(page, "12,000")
    expect(header).to_have_attribute("data-status", "ok")
    expect(page.locator("#welcome-banner")).to_have_count(0)
    rows = history_rows(page)
    assert len(rows) == 1 and "Purchase" in rows[0] and "+12,000" in rows[0], rows
    assert "Pro package" in rows[0], "named as the catalog names it, not 'pro package'"
    assert "checkout=" not in page.url, "the success query is dropped so a reload says nothing"
    screenshot(page, screenshot_dir, "purchase-2-credited")

    user = find_user_by_email(email)
    assert user is not None
    purchases = credit_service.get_history(WalletOwner.user(user.id), type="purchase").items
    assert len(purchases) == 1, "webhook and return page together credit exactly once"

    page.reload()
    wait_for_balance(page, "12,000")
    expect(page.get_by_text("12,000 credits added")).to_have_count(0)


def test_cancelled_checkout_changes_nothing(
    app: RunningApp, page: Page, screenshot_dir: Path
) -> None:
    """Cancel on the checkout page: back on the credits page with a neutral note, no credits."""
    page.goto(f"{app.base_url}/register")
    page.locator("#field-name").fill("Grace Hopper")
    page.locator("#field-email").fill(f"grace-{uuid.uuid4().hex[:10]}@example.com")
    page.locator("#field-password").fill(PASSWORD)
    page.locator("#auth-submit").click()
    wait_for_balance(page, "0")

    page.locator("#tab-purchase").click()
    page.locator("button.buy-package[data-package=starter]").click()
    page.locator("#confirm-purchase").click()
    page.wait_for_url(re.compile(r"/api/stripe-simulator/checkout/"), timeout=TIMEOUT_MS)
    page.locator("button.cancel").click()

    expect(page.get_by_text("Checkout cancelled")).to_be_visible(timeout=TIMEOUT_MS)
    wait_for_balance(page, "0")
    screenshot(page, screenshot_dir, "purchase-cancelled")
