"""The header balance follows spending made elsewhere, without a reload."""

import uuid
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine

from tests.e2e.conftest import BALANCE_REFRESH_SECONDS
from tests.e2e.flows import screenshot, sign_in, wait_for_balance
from tests.support.api_client import ApiClient, fund_user
from tests.support.app_server import RunningApp


def test_header_picks_up_a_service_api_deduction_within_the_refresh_interval(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    context: BrowserContext,
    page: Page,
    screenshot_dir: Path,
) -> None:
    user = api.register("header")
    fund_user(user, "100")
    thresholds = {"lowThreshold": 50, "criticalThreshold": 10}
    settings = api.http.patch("/api/credits/settings", json=thresholds, headers=user.headers)
    assert settings.status_code == 200, settings.text
    sign_in(context, app.base_url, user.email)
    page.goto(f"{app.base_url}/credits")
    wait_for_balance(page, "100")
    status = page.locator("#header-balance-link [data-status]")
    expect(status).to_have_attribute("data-status", "ok")
    page.evaluate("window.__noReload = true")

    response = api.service_deduct(
        {
            "wallet": {"type": "user", "id": user.id},
            "amount": "95",
            "category": "subscription",
            "description": "Team plan",
        },
        idempotency_key=f"e2e-header-{uuid.uuid4().hex}",
    )
    assert response.status_code == 200, response.text

    header = page.locator("#header-balance")
    expect(header).to_have_text("5", timeout=(BALANCE_REFRESH_SECONDS * 3) * 1000)
    assert page.evaluate("window.__noReload === true"), "the page must not have reloaded"
    expect(status).to_have_attribute("data-status", "critical")
    page.locator("#header-balance-link").hover()
    expect(page.get_by_role("tooltip")).to_contain_text("critical at 10")
    screenshot(page, screenshot_dir, "header-after-deduction")
