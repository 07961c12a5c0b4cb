"""The 2Bot AI assistant widget: a credited chat whose charge shows everywhere at once.

The header's 60-second poll runs every 3 s in these tests, so "the balance moved at once" would
pass by accident. Each page here therefore switches that poll off (`NO_HEADER_POLL`): whatever
moves the header afterwards is the refresh the chat itself triggers.
"""

import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import Engine

from credits_app.credits import credit_service
from credits_app.credits.ai_usage_report import get_token_usage
from credits_app.credits.amounts import format_balance
from credits_app.credits.owners import WalletOwner
from tests.e2e.conftest import BALANCE_REFRESH_SECONDS
from tests.e2e.flows import TIMEOUT_MS, screenshot, sign_in, wait_for_balance
from tests.support.api_client import ApiClient, ApiUser, fund_org, fund_user
from tests.support.app_server import RunningApp

NO_HEADER_POLL = f"""
(() => {{
  const realSetInterval = window.setInterval.bind(window);
  window.setInterval = (callback, delay, ...args) =>
    delay === {BALANCE_REFRESH_SECONDS * 1000} ? 0 : realSetInterval(callback, delay, ...args);
}})();
"""
PHONE = {"width": 390, "height": 844}


def test_a_reply_shows_its_model_and_cost_and_the_header_drops_by_exactly_that(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    context: BrowserContext,
    page: Page,
    screenshot_dir: Path,
) -> None:
    user = api.register("chat")
    fund_user(user, "25")
    page = _signed_in_page(context, app, user)
    page.goto(f"{app.base_url}/credits")
    wait_for_balance(page, "25")
    page.evaluate("window.__noReload = true")

    panel = _open_assistant(page)
    expect(panel.locator("#assistant-tokens")).to_have_text("0")
    expect(panel.locator("#assistant-credits-used")).to_have_text("0")
    expect(panel.locator("#assistant-balance")).to_have_text("25")
    expect(panel.locator("#assistant-context")).to_contain_text("Demo model · Personal wallet")
    screenshot(page, screenshot_dir, "assistant-1-open")

    page.locator("#assistant-input").fill("Hello 2Bot, what can you do?")
    page.locator("#assistant-input").press("Enter")

    reply = panel.locator(".assistant-reply").last
    expect(reply).to_be_visible(timeout=TIMEOUT_MS)
    expect(reply.locator(".assistant-reply-text")).to_contain_text("Hello 2Bot, what can you do?")
    expect(reply.locator(".assistant-reply-model")).to_have_text("Demo model")
    charged = Decimal(reply.locator(".assistant-reply-credits").inner_text())
    assert charged > 0
    expected = format_balance(Decimal("25") - charged)
    assert credit_service.get_personal_balance(user.id) == Decimal("25") - charged
    # No reload and no poll: the chat's own refresh moves the top bar, the card and the widget.
    wait_for_balance(page, expected)
    expect(panel.locator("#assistant-balance")).to_have_text(expected)
    usage = get_token_usage(WalletOwner.user(user.id))
    expect(panel.locator("#assistant-tokens")).to_have_text(f"{usage.total_tokens:,}")
    expect(panel.locator("#assistant-credits-used")).to_have_text(format_balance(charged))
    assert page.evaluate("window.__noReload === true"), "the page must not have reloaded"
    expect(page.locator("#assistant-input")).to_have_value("")
    screenshot(page, screenshot_dir, "assistant-2-reply")

    # A second turn through the send button carries on the same conversation.
    page.locator("#assistant-input").fill("And how much did that cost?")
    page.locator("#assistant-send").click()
    expect(panel.locator(".assistant-reply")).to_have_count(2, timeout=TIMEOUT_MS)
    second = Decimal(panel.locator(".assistant-reply-credits").last.inner_text())
    wait_for_balance(page, format_balance(Decimal("25") - charged - second))

    page.set_viewport_size(PHONE)
    page.wait_for_function(
        "document.querySelector('#assistant-panel').getBoundingClientRect().width === 390"
        " && document.documentElement.scrollWidth <= 390"
    )
    expect(page.locator("#header-balance")).to_be_visible()  # the panel sits under the top bar
    page.screenshot(path=screenshot_dir / "assistant-3-phone.png")  # what the phone shows


def test_an_empty_wallet_gets_the_402_message_and_buys_from_the_widget(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    context: BrowserContext,
    page: Page,
    screenshot_dir: Path,
) -> None:
    user = api.register("broke")
    page = _signed_in_page(context, app, user)
    page.goto(f"{app.base_url}/credits")
    wait_for_balance(page, "0")

    panel = _open_assistant(page)
    panel.locator(".assistant-suggestion").first.click()

    notice = panel.locator("#assistant-notice")
    expect(notice).to_have_attribute("data-kind", "insufficient_credits", timeout=TIMEOUT_MS)
    expect(notice).to_contain_text("Not enough credits")
    expect(notice).to_contain_text("This wallet has 0.")
    expect(panel.locator(".assistant-user-message")).to_contain_text("Not sent")
    expect(panel.locator(".assistant-reply")).to_have_count(0)
    expect(page.locator("#header-balance")).to_have_text("0")
    assert credit_service.get_history(WalletOwner.user(user.id)).items == []
    screenshot(page, screenshot_dir, "assistant-4-insufficient-credits")

    panel.locator("#assistant-buy").click()
    dialog = page.locator("#buy-credits-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Personal wallet")
    dialog.locator("#buy-package-picker").click()
    page.get_by_role("option", name=re.compile("^Starter")).click()
    expect(dialog).to_contain_text("1,000 credits")
    screenshot(page, screenshot_dir, "assistant-5-buy-dialog")
    page.locator("#confirm-purchase").click()
    page.wait_for_url(re.compile(r"/api/stripe-simulator/checkout/"), timeout=TIMEOUT_MS)
    page.locator("button.pay").click()

    expect(page.get_by_text("1,000 credits added")).to_be_visible(timeout=TIMEOUT_MS)
    wait_for_balance(page, "1,000")
    panel = _open_assistant(page)
    expect(panel.locator("#assistant-notice")).to_have_count(0)  # the refusal is history now
    page.locator("#assistant-input").fill("Now with credits")
    page.locator("#assistant-input").press("Enter")
    expect(panel.locator(".assistant-reply")).to_have_count(1, timeout=TIMEOUT_MS)
    charged = Decimal(panel.locator(".assistant-reply-credits").inner_text())
    wait_for_balance(page, format_balance(Decimal(1000) - charged))


def test_a_member_chats_on_the_org_wallet_and_sees_the_limit_warning(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    new_context: Callable[[], BrowserContext],
    screenshot_dir: Path,
) -> None:
    owner, member = api.register("owner"), api.register("member")
    fund_user(member, "10")
    org = api.create_org(owner, "Orbit")
    api.add_member(owner, org["id"], member, "member")
    fund_org(org["id"], "100")
    limit = api.http.patch(
        f"/api/orgs/{org['id']}/credits/settings",
        json={"monthlyLimit": 50},
        headers=owner.headers,
    )
    assert limit.status_code == 200, limit.text
    spent = api.service_deduct(  # earlier AI spending this month: 42 of the 50-credit limit
        {
            "wallet": {"type": "org", "id": org["id"]},
            "amount": "42",
            "category": "ai_usage",
            "description": "2Bot chat: gpt-4o-mini",
            "metadata": {
                "model": "gpt-4o-mini",
                "feature": "chat",
                "inputTokens": 1200,
                "outputTokens": 800,
            },
        },
        idempotency_key=f"e2e-assistant-{uuid.uuid4().hex}",
    )
    assert spent.status_code == 200, spent.text

    page = _signed_in_page(new_context(), app, member)
    page.goto(f"{app.base_url}/organizations/{org['slug']}/credits")
    wait_for_balance(page, "58")
    panel = _open_assistant(page)
    expect(panel.locator("#assistant-context")).to_contain_text("Orbit wallet")
    expect(panel.locator("#assistant-tokens")).to_have_text("2,000")
    expect(panel.locator("#assistant-credits-used")).to_have_text("42")
    expect(panel.locator("#assistant-near-limit")).to_contain_text("84% of this month's limit")

    page.locator("#assistant-input").fill("Summarise our plan")
    page.locator("#assistant-input").press("Enter")
    expect(panel.locator(".assistant-reply")).to_have_count(1, timeout=TIMEOUT_MS)
    charged = Decimal(panel.locator(".assistant-reply-credits").inner_text())
    wait_for_balance(page, format_balance(Decimal(58) - charged))
    assert credit_service.get_org_balance(org["id"]) == Decimal(58) - charged
    assert credit_service.get_personal_balance(member.id) == Decimal(10), "never the member's"
    screenshot(page, screenshot_dir, "assistant-6-org-near-limit")


def _signed_in_page(context: BrowserContext, app: RunningApp, user: ApiUser) -> Page:
    sign_in(context, app.base_url, user.email)
    page = context.pages[0] if context.pages else context.new_page()
    page.add_init_script(NO_HEADER_POLL)
    return page


def _open_assistant(page: Page) -> Locator:
    """The panel, opened with the launcher unless it is already open (it stays open across
    pages, and across the round trip to Checkout)."""
    panel = page.locator("#assistant-panel")
    launcher = page.locator("#assistant-launcher")
    expect(launcher).to_be_visible(timeout=TIMEOUT_MS)
    if launcher.get_attribute("aria-expanded") != "true":
        launcher.click()
    expect(panel).to_be_visible(timeout=TIMEOUT_MS)
    expect(panel.locator("#assistant-balance")).not_to_be_empty(timeout=TIMEOUT_MS)
    return panel
