"""Sending credits between wallets and refunding a marketplace spend, in the browser.

- A sends credits from the personal wallet to B by email (form → confirmation → send): A's
  header moves at once; B, signed in elsewhere, sees them within the refresh interval; both
  histories name the other side and the same transfer.
- An org owner sends from the org wallet to a member picked from the members list.
- A marketplace spend's Refund action in History returns part, then the rest, of the spend.
"""

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine

from tests.e2e.conftest import BALANCE_REFRESH_SECONDS
from tests.e2e.flows import TIMEOUT_MS, screenshot, sign_in, wait_for_balance
from tests.support.api_client import ApiClient, fund_org, fund_user
from tests.support.app_server import RunningApp


def signed_in_page(context: BrowserContext, app: RunningApp, email: str) -> Page:
    sign_in(context, app.base_url, email)
    return context.new_page()


def open_send_dialog(page: Page) -> None:
    page.locator("#send-credits").click()
    expect(page.locator("#send-credits-dialog")).to_be_visible(timeout=TIMEOUT_MS)


def test_send_credits_by_email_moves_both_balances_and_links_both_histories(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    new_context: Callable[[], BrowserContext],
    screenshot_dir: Path,
) -> None:
    sender, receiver = api.register("sender"), api.register("receiver")
    fund_user(sender, "50")
    receiver_page = signed_in_page(new_context(), app, receiver.email)
    receiver_page.goto(f"{app.base_url}/credits")
    wait_for_balance(receiver_page, "0")
    receiver_page.evaluate("window.__noReload = true")

    page = signed_in_page(new_context(), app, sender.email)
    page.goto(f"{app.base_url}/credits")
    wait_for_balance(page, "50")
    open_send_dialog(page)
    expect(page.locator("#send-credits-from")).to_contain_text("50 credits available")
    page.locator("#send-email").fill(receiver.email)
    page.locator("#send-amount").fill("12.50001")
    expect(page.locator("#send-amount-error")).to_contain_text("more than 4 decimal places")
    expect(page.locator("#send-review")).to_be_disabled()
    page.locator("#send-amount").fill("12.5")
    expect(page.locator("#send-amount-error")).to_have_count(0)
    page.locator("#send-review").click()
    summary = page.locator("#send-credits-summary")
    expect(summary).to_contain_text("12.5 credits")
    expect(summary).to_contain_text(receiver.email)
    screenshot(page, screenshot_dir, "send-credits-confirm")
    page.locator("#send-confirm").click()
    expect(page.locator("#send-credits-dialog")).to_be_hidden(timeout=TIMEOUT_MS)
    wait_for_balance(page, "37.5")  # at once, not at the next refresh

    expect(receiver_page.locator("#header-balance")).to_have_text(
        "12.5", timeout=BALANCE_REFRESH_SECONDS * 3 * 1000
    )
    assert receiver_page.evaluate("window.__noReload === true"), "no reload on the recipient"

    page.locator("#tab-history").click()
    sent = page.locator("#history-table .history-row[data-type=transfer_out]")
    expect(sent).to_contain_text(re.compile(r"To .*" + re.escape(receiver.email)))
    transfer_id = re.search(r"Transfer #(\d+)", sent.inner_text())
    assert transfer_id, sent.inner_text()
    receiver_page.locator("#tab-history").click()
    received = receiver_page.locator("#history-table .history-row[data-type=transfer_in]")
    expect(received).to_contain_text(f"Transfer #{transfer_id.group(1)}", timeout=TIMEOUT_MS)
    expect(received).to_contain_text("From Sender")
    screenshot(receiver_page, screenshot_dir, "send-credits-received")


def test_an_org_owner_sends_to_a_member_picked_from_the_list(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    new_context: Callable[[], BrowserContext],
) -> None:
    owner, member = api.register("owner"), api.register("member")
    org = api.create_org(owner, "Senders")
    api.add_member(owner, int(org["id"]), member, "member")
    fund_org(int(org["id"]), "20")
    page = signed_in_page(new_context(), app, owner.email)
    page.goto(f"{app.base_url}/organizations/{org['slug']}/credits")
    wait_for_balance(page, "20")
    open_send_dialog(page)
    page.locator("#send-member").click()
    page.get_by_role("option", name=re.compile(re.escape(member.email))).click()
    page.locator("#send-amount").fill("5")
    page.locator("#send-review").click()
    expect(page.locator("#send-credits-summary")).to_contain_text(member.email)
    page.locator("#send-confirm").click()
    wait_for_balance(page, "15")
    assert api.balance(member) == 5

    member_page = signed_in_page(new_context(), app, member.email)
    member_page.goto(f"{app.base_url}/organizations/{org['slug']}/credits")
    wait_for_balance(member_page, "15")
    expect(member_page.locator("#send-credits")).to_have_count(0)  # members cannot send


def test_refund_a_marketplace_spend_from_history_part_then_the_rest(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    context: BrowserContext,
    page: Page,
    screenshot_dir: Path,
) -> None:
    user = api.register("buyer")
    fund_user(user, "20")
    spend = api.service_deduct(
        {
            "wallet": {"type": "user", "id": user.id},
            "amount": "8",
            "category": "marketplace",
            "description": "CRM sync bot",
        }
    )
    assert spend.status_code == 200, spend.text
    sign_in(context, app.base_url, user.email)
    page.goto(f"{app.base_url}/credits?tab=history")
    wait_for_balance(page, "12")

    row = page.locator("#history-table .history-row[data-type=usage]")
    row.locator(".history-refund").click()
    dialog = page.locator("#refund-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#refund-refundable")).to_have_text("8 credits")
    page.locator("#refund-part").click()
    page.locator("#refund-amount").fill("9")
    expect(page.locator("#refund-amount-error")).to_contain_text("At most 8")
    expect(page.locator("#refund-confirm")).to_be_disabled()
    page.locator("#refund-amount").fill("3")
    page.locator("#refund-reason").fill("Did not sync")
    expect(page.locator("#refund-confirm")).to_have_text(re.compile("Refund 3 credits"))
    screenshot(page, screenshot_dir, "refund-dialog")
    page.locator("#refund-confirm").click()
    expect(dialog).to_be_hidden(timeout=TIMEOUT_MS)
    wait_for_balance(page, "15")
    refund_row = page.locator("#history-table .history-row[data-type=refund]")
    expect(refund_row).to_contain_text("Refund of #")
    expect(row.locator(".history-refund")).to_have_attribute(
        "aria-label", re.compile("Refund up to 5 credits"), timeout=TIMEOUT_MS
    )

    row.locator(".history-refund").click()
    expect(page.locator("#refund-refundable")).to_have_text("5 credits")
    page.locator("#refund-confirm").click()  # everything still refundable
    wait_for_balance(page, "20")
    expect(row.locator(".history-refund")).to_have_count(0, timeout=TIMEOUT_MS)
    expect(page.locator("#history-table .history-row[data-type=refund]")).to_have_count(2)
