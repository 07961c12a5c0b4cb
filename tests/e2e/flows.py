"""Steps the browser tests share: signing in, buying through the checkout simulator, screenshots.

Tests set people up through the REST API (fast, and the same door scripts use) and then act
in the browser the way a person would.
"""

import re
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect

from credits_app.state.formatting import compact_balance
from tests.support.api_client import PASSWORD

TIMEOUT_MS = 30_000


def sign_in(context: BrowserContext, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Sign the browser context in through the API; the HttpOnly cookie lands in the context."""
    response = context.request.post(
        f"{base_url}/api/auth/login", data={"email": email, "password": password}
    )
    assert response.ok, response.text()


def header_text(balance: str) -> str:
    """What the header pill shows for a balance: at most two decimals, rounded down."""
    return compact_balance(Decimal(balance.replace(",", "")))


def wait_for_balance(page: Page, expected: str) -> None:
    """The card shows `expected` exactly and the header the same to two decimals (both read
    the same state)."""
    expect(page.locator("#credits-balance")).to_have_text(expected, timeout=TIMEOUT_MS)
    expect(page.locator("#header-balance")).to_have_text(header_text(expected), timeout=TIMEOUT_MS)


def buy_package(page: Page, package_id: str) -> None:
    """Purchase tab → package → confirm → the test-mode checkout page → Pay."""
    page.locator("#tab-purchase").click()
    page.locator(f"button.buy-package[data-package={package_id}]").click()
    dialog = page.locator("#buy-credits-dialog")
    expect(dialog).to_be_visible()
    page.locator("#confirm-purchase").click()
    page.wait_for_url(re.compile(r"/api/stripe-simulator/checkout/"), timeout=TIMEOUT_MS)
    expect(page.get_by_text("Test mode — no real payment")).to_be_visible()
    page.locator("button.pay").click()


def history_rows(page: Page) -> list[str]:
    """The visible history table rows, as their text (desktop layout)."""
    rows = page.locator("#history-table .history-row")
    expect(rows.first).to_be_visible(timeout=TIMEOUT_MS)
    return rows.all_inner_texts()


def screenshot(page: Page, directory: Path, name: str) -> None:
    """A full-page screenshot for people to look at (tests/e2e/screenshots, git-ignored)."""
    page.screenshot(path=directory / f"{name}.png", full_page=True)
