"""The bell and the Settings tab in a real browser."""

import uuid
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine

from tests.e2e.conftest import BALANCE_REFRESH_SECONDS
from tests.e2e.flows import screenshot, sign_in, wait_for_balance
from tests.support.api_client import ApiClient, fund_user
from tests.support.app_server import RunningApp

REFRESH_MS = BALANCE_REFRESH_SECONDS * 3 * 1000


def test_the_bell_shows_a_new_notification_after_a_spend_crosses_the_threshold(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    context: BrowserContext,
    page: Page,
    screenshot_dir: Path,
) -> None:
    user = api.register("bell")
    fund_user(user, "100")
    settings = api.http.patch(
        "/api/credits/settings", json={"lowThreshold": 50}, headers=user.headers
    )
    assert settings.status_code == 200, settings.text
    sign_in(context, app.base_url, user.email)
    page.goto(f"{app.base_url}/credits")
    wait_for_balance(page, "100")
    expect(page.locator("#notification-badge")).to_have_count(0)
    page.evaluate("window.__noReload = true")

    spent = api.service_deduct(
        {"wallet": {"type": "user", "id": user.id}, "amount": "60", "category": "marketplace"},
        idempotency_key=f"e2e-bell-{uuid.uuid4().hex}",
    )
    assert spent.status_code == 200, spent.text

    expect(page.locator("#notification-badge")).to_have_text("1", timeout=REFRESH_MS)
    assert page.evaluate("window.__noReload === true"), "the bell updated without a reload"
    page.locator("#notification-bell").click()
    row = page.locator(".uc-notification").first
    expect(row).to_contain_text("Balance is low")
    expect(row).to_contain_text("40 credits")
    screenshot(page, screenshot_dir, "notification-panel")
    page.locator("#notifications-read-all").click()
    expect(page.locator("#notification-badge")).to_have_count(0)


def test_the_settings_tab_saves_a_monthly_limit_and_the_balance_card_shows_it(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    context: BrowserContext,
    page: Page,
    screenshot_dir: Path,
) -> None:
    user = api.register("settings")
    fund_user(user, "100")
    sign_in(context, app.base_url, user.email)
    page.goto(f"{app.base_url}/credits")
    wait_for_balance(page, "100")
    page.locator("#tab-settings").click()
    limit = page.locator("#settings-monthly_limit")
    limit.fill("12.34567")
    page.locator("#settings-save").click()
    expect(page.locator("#settings-monthly_limit-error")).to_contain_text(
        "more than 4 decimal places"
    )
    limit.fill("250")
    page.locator("#settings-low_threshold").fill("20")
    page.locator("#settings-critical_threshold").fill("30")
    page.locator("#settings-save").click()
    expect(page.locator("#settings-critical_threshold-error")).to_contain_text("lowThreshold")
    page.locator("#settings-critical_threshold").fill("10")
    page.locator("#settings-save").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    expect(page.locator("#credits-balance-card")).to_contain_text("250")
    stored = api.http.get("/api/credits", headers=user.headers).json()
    assert (stored["monthlyLimit"], stored["lowThreshold"], stored["criticalThreshold"]) == (
        250,
        20,
        10,
    )
    screenshot(page, screenshot_dir, "settings-tab")


def test_org_members_see_the_settings_read_only(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    context: BrowserContext,
    page: Page,
) -> None:
    owner, member = api.register("owner"), api.register("member")
    org = api.create_org(owner, "Readonly")
    api.add_member(owner, org["id"], member, "member")
    sign_in(context, app.base_url, member.email)
    page.goto(f"{app.base_url}/organizations/{org['slug']}/credits")
    page.locator("#tab-settings").click()
    expect(page.get_by_text("Only owners and admins can change these.")).to_be_visible()
    expect(page.locator("#settings-monthly_limit")).to_be_disabled()


def test_a_webhook_endpoint_is_added_with_its_secret_shown_once_and_can_be_tested(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    context: BrowserContext,
    page: Page,
) -> None:
    user = api.register("hooks")
    sign_in(context, app.base_url, user.email)
    page.goto(f"{app.base_url}/credits?tab=settings")
    page.locator("#webhook-url").fill("http://127.0.0.1/hook")
    page.locator("#webhook-add").click()
    expect(page.locator("#webhook-error")).to_contain_text("https")
    page.locator("#webhook-url").fill("https://93.184.215.14/hook")
    page.locator("#webhook-add").click()
    secret = page.locator("#webhook-secret")
    expect(secret).to_contain_text("whsec_")
    page.get_by_role("button", name="I stored it").click()
    expect(secret).to_have_count(0)
    endpoint = page.locator(".uc-webhook-endpoint")
    expect(endpoint).to_contain_text("https://93.184.215.14/hook")
    expect(endpoint).to_contain_text("balance.critical, balance.low")
    endpoint.get_by_role("button", name="Send test event").click()
    expect(endpoint.locator(".uc-webhook-deliveries")).to_have_text("1 pending")
    listed = api.http.get("/api/webhook-endpoints", headers=user.headers).json()["items"]
    assert [e["url"] for e in listed] == ["https://93.184.215.14/hook"]
