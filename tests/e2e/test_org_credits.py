"""An organization's wallet: the owner buys, a member only looks, an outsider sees nothing."""

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine

from tests.e2e.flows import TIMEOUT_MS, buy_package, screenshot, sign_in, wait_for_balance
from tests.support.api_client import ApiClient
from tests.support.app_server import RunningApp


def test_owner_buys_member_reads_outsider_gets_not_found(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    new_context: Callable[[], BrowserContext],
    screenshot_dir: Path,
) -> None:
    owner, member, outsider = api.register("owner"), api.register("member"), api.register("out")
    org = api.create_org(owner, "Acme")
    api.add_member(owner, org["id"], member, "member")
    org_url = f"{app.base_url}/organizations/{org['slug']}/credits"

    owner_page = _signed_in_page(new_context(), app, owner.email)
    owner_page.goto(org_url)
    wait_for_balance(owner_page, "0")
    expect(owner_page.locator("#credits-context")).to_contain_text("Acme")
    buy_package(owner_page, "starter")
    expect(owner_page).to_have_url(re.compile(rf"/organizations/{org['slug']}/credits"))
    expect(owner_page.get_by_text("1,000 credits added")).to_be_visible(timeout=TIMEOUT_MS)
    wait_for_balance(owner_page, "1,000")
    screenshot(owner_page, screenshot_dir, "org-owner-bought")
    owner_page.goto(f"{app.base_url}/credits")
    wait_for_balance(owner_page, "0")  # the personal wallet is separate

    member_page = _signed_in_page(new_context(), app, member.email)
    member_page.goto(org_url)
    wait_for_balance(member_page, "1,000")
    member_page.locator("#tab-history").click()
    expect(member_page.locator("#history-table .history-row")).to_have_count(1)
    member_page.locator("#tab-purchase").click()
    expect(member_page.locator("#purchase-blocked")).to_contain_text("Only owners and admins")
    expect(member_page.locator("button.buy-package")).to_have_count(0)
    expect(member_page.locator("#header-buy")).to_have_count(0)
    screenshot(member_page, screenshot_dir, "org-member-no-buy")

    outsider_page = _signed_in_page(new_context(), app, outsider.email)
    outsider_page.goto(org_url)
    expect(outsider_page.locator("#not-found")).to_be_visible(timeout=TIMEOUT_MS)
    expect(outsider_page.get_by_text("Acme")).to_have_count(0)
    expect(outsider_page.locator("#credits-balance")).to_have_count(0)
    screenshot(outsider_page, screenshot_dir, "org-outsider-not-found")


def _signed_in_page(context: BrowserContext, app: RunningApp, email: str) -> Page:
    sign_in(context, app.base_url, email)
    return context.new_page()
