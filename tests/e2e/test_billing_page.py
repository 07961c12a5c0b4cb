"""Buying a custom amount through the simulator, then finding it on the Billing page.

The Buy dialog's live quote is the price the test-mode checkout page then asks for; after
paying, the Billing page lists the purchase as paid with a receipt (our PDF with the
simulator), and a checkout left unpaid can be abandoned from there.
"""

import re
import uuid
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine

from credits_app.clock import utcnow
from credits_app.db import unit_of_work
from credits_app.models import Purchase
from tests.e2e.flows import TIMEOUT_MS, screenshot, sign_in, wait_for_balance
from tests.support.api_client import ApiClient
from tests.support.app_server import RunningApp


def open_custom_dialog(page: Page, credits: str) -> None:
    page.locator("#tab-purchase").click()
    page.locator("#buy-custom").click()
    expect(page.locator("#buy-credits-dialog")).to_be_visible()
    page.locator("#custom-credits").fill(credits)


def test_buy_a_custom_amount_at_the_quoted_price_and_open_its_receipt(
    app: RunningApp, api: ApiClient, context: BrowserContext, page: Page, screenshot_dir: Path
) -> None:
    buyer = api.register(f"custom-{uuid.uuid4().hex[:6]}")
    sign_in(context, app.base_url, buyer.email)
    page.goto(f"{app.base_url}/credits")
    wait_for_balance(page, "0")

    open_custom_dialog(page, "12345")

    expect(page.locator("#quote-price")).to_have_text("$104.93", timeout=TIMEOUT_MS)
    expect(page.locator("#quote-unit-price")).to_have_text("0.85¢ per credit")
    expect(page.locator("#quote-credits")).to_have_text("12,962.25 credits")
    expect(page.locator("#custom-quote")).to_contain_text("Save 15%")
    expect(page.locator("#custom-quote")).to_contain_text("incl. 617.25 bonus credits")
    screenshot(page, screenshot_dir, "billing-1-custom-quote")
    page.locator("#custom-credits").fill("50")
    expect(page.locator("#custom-credits-hint")).to_contain_text("100 to 10,000,000")
    expect(page.locator("#confirm-purchase")).to_be_disabled()
    page.locator("#custom-credits").fill("12345")
    expect(page.locator("#quote-price")).to_have_text("$104.93", timeout=TIMEOUT_MS)

    page.locator("#confirm-purchase").click()
    page.wait_for_url(re.compile(r"/api/stripe-simulator/checkout/"), timeout=TIMEOUT_MS)
    expect(page.get_by_text("Custom amount: 12,962.25 credits")).to_be_visible()
    expect(page.get_by_text("104.93 USD")).to_be_visible()
    page.locator("button.pay").click()

    expect(page.get_by_text("12,962.25 credits added")).to_be_visible(timeout=TIMEOUT_MS)
    wait_for_balance(page, "12,962.25")

    page.locator("#nav-billing").click()
    expect(page).to_have_url(f"{app.base_url}/billing", timeout=TIMEOUT_MS)
    row = page.locator("#purchases-table .purchase-row").first
    expect(row).to_have_attribute("data-status", "paid", timeout=TIMEOUT_MS)
    expect(row).to_contain_text("Custom amount")
    expect(row).to_contain_text("12,962.25 credits")
    expect(row).to_contain_text("$104.93")
    screenshot(page, screenshot_dir, "billing-2-paid")

    receipt = row.locator("a.purchase-receipt")
    href = receipt.get_attribute("href")
    assert href is not None and href.endswith("/receipt")
    with context.expect_page() as opened:
        receipt.click()
    assert opened.value.url.endswith(href) or opened.value.url == "about:blank"
    response = context.request.get(f"{app.base_url}{href}")  # the browser's own session
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")


def test_a_pending_checkout_is_listed_and_can_be_abandoned(
    app: RunningApp, api: ApiClient, context: BrowserContext, page: Page
) -> None:
    buyer = api.register(f"pending-{uuid.uuid4().hex[:6]}")
    sign_in(context, app.base_url, buyer.email)
    page.goto(f"{app.base_url}/credits")
    wait_for_balance(page, "0")
    open_custom_dialog(page, "2500")
    expect(page.locator("#quote-price")).to_have_text("$23.75", timeout=TIMEOUT_MS)
    page.locator("#confirm-purchase").click()
    page.wait_for_url(re.compile(r"/api/stripe-simulator/checkout/"), timeout=TIMEOUT_MS)
    page.locator("button.cancel").click()
    expect(page.get_by_text("Checkout cancelled")).to_be_visible(timeout=TIMEOUT_MS)

    page.goto(f"{app.base_url}/billing")
    pending = page.locator("#pending-checkouts-card .pending-row")
    expect(pending).to_have_count(1, timeout=TIMEOUT_MS)
    expect(pending).to_contain_text("2,500 credits")
    expect(page.locator("#purchases-table .purchase-row").first).to_have_attribute(
        "data-status", "pending"
    )
    pending.locator("button.pending-abandon").click()

    expect(page.get_by_text("Checkout abandoned; nothing was charged.")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    expect(page.locator("#pending-checkouts-card")).to_have_count(0)
    expect(page.locator("#purchases-table .purchase-row").first).to_have_attribute(
        "data-status", "expired"
    )
    expect(page.locator("#purchases-table a.purchase-receipt")).to_have_count(0)


def test_the_billing_page_shows_purchases_a_page_at_a_time(
    app: RunningApp, ledger_engine: Engine, api: ApiClient, context: BrowserContext, page: Page
) -> None:
    """25 purchases: the first 20, newest first; "Show more" adds the other 5 and goes away."""
    buyer = api.register(f"many-{uuid.uuid4().hex[:6]}")
    start = utcnow() - timedelta(days=3)
    with unit_of_work() as db:
        for n in range(25):
            db.add(
                Purchase(
                    owner_kind="user",
                    owner_id=buyer.id,
                    buyer_user_id=buyer.id,
                    package_id="starter",
                    credits=1_000_0000 + n * 10_000,
                    price_minor=1000,
                    currency="usd",
                    status="expired",
                    created_at=start + timedelta(minutes=n),
                )
            )
    sign_in(context, app.base_url, buyer.email)
    page.goto(f"{app.base_url}/billing")

    rows = page.locator("#purchases-table .purchase-row")
    expect(rows).to_have_count(20, timeout=TIMEOUT_MS)
    expect(rows.first).to_contain_text("1,024")  # the newest: 1,000 + 24 credits
    page.locator("#purchases-show-more").click()
    expect(rows).to_have_count(25, timeout=TIMEOUT_MS)
    expect(rows.last).to_contain_text("1,000")  # the oldest
    expect(page.locator("#purchases-show-more")).to_have_count(0)
