"""The bell is pushed by the server: a notification committed elsewhere reaches the open tab.

The page shows the personal wallet, and the spend hits an org wallet the user owns, so the
header's balance poll never sees money move (it would re-read the bell as a side effect);
the bell's own poll is an hour long (conftest). Only the push can change the badge.
"""

import time
import uuid

from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine

from tests.e2e.conftest import NOTIFICATIONS_POLL_SECONDS
from tests.e2e.flows import sign_in, wait_for_balance
from tests.support.api_client import ApiClient, fund_org, fund_user
from tests.support.app_server import RunningApp

PUSH_DEADLINE_MS = 5_000


def test_a_service_deduction_crossing_the_low_threshold_is_pushed_to_the_open_bell(
    app: RunningApp, ledger_engine: Engine, api: ApiClient, context: BrowserContext, page: Page
) -> None:
    assert NOTIFICATIONS_POLL_SECONDS * 1000 > 100 * PUSH_DEADLINE_MS
    owner = api.register("pushed")
    fund_user(owner, "100")
    org = api.create_org(owner, "Pushed")
    fund_org(org["id"], "100")
    settings = api.http.patch(
        f"/api/orgs/{org['id']}/credits/settings", json={"lowThreshold": 50}, headers=owner.headers
    )
    assert settings.status_code == 200, settings.text
    sign_in(context, app.base_url, owner.email)
    page.goto(f"{app.base_url}/credits")
    wait_for_balance(page, "100")
    expect(page.locator("#notification-badge")).to_have_count(0)
    page.evaluate("window.__noReload = true")

    spent = api.service_deduct(
        {"wallet": {"type": "org", "id": org["id"]}, "amount": "60", "category": "marketplace"},
        idempotency_key=f"e2e-push-{uuid.uuid4().hex}",
    )
    assert spent.status_code == 200, spent.text
    started = time.monotonic()

    expect(page.locator("#notification-badge")).to_have_text("1", timeout=PUSH_DEADLINE_MS)
    print(f"bell pushed {time.monotonic() - started:.2f} s after the deduction answered")
    assert page.evaluate("window.__noReload === true"), "the bell updated without a reload"
    expect(page.locator("#credits-balance")).to_have_text("100")  # personal wallet untouched
    page.locator("#notification-bell").click()
    expect(page.locator(".uc-notification").first).to_contain_text("Pushed")


def test_a_notification_made_before_the_page_opened_is_on_the_bell_when_the_page_loads(
    app: RunningApp, ledger_engine: Engine, api: ApiClient, context: BrowserContext, page: Page
) -> None:
    """The shell's on_load reads the bell after the session is known. (It used to read on
    mount, which could reach the server first, find no user and leave the badge empty until
    the hour-long poll; the tab was then never remembered for pushes either.)"""
    owner = api.register("waiting")
    org = api.create_org(owner, "Waiting")
    fund_org(org["id"], "100")
    settings = api.http.patch(
        f"/api/orgs/{org['id']}/credits/settings", json={"lowThreshold": 50}, headers=owner.headers
    )
    assert settings.status_code == 200, settings.text
    spent = api.service_deduct(
        {"wallet": {"type": "org", "id": org["id"]}, "amount": "60", "category": "marketplace"},
        idempotency_key=f"e2e-waiting-{uuid.uuid4().hex}",
    )
    assert spent.status_code == 200, spent.text

    sign_in(context, app.base_url, owner.email)
    page.goto(f"{app.base_url}/credits")
    expect(page.locator("#notification-badge")).to_have_text("1", timeout=PUSH_DEADLINE_MS)
