"""History tools that depend on where the viewer is and what the credits were made of.

The browser runs in a zone whose date differs from the UTC date right now, so a range of
"today" means something else there than in UTC; and the drawer explains a spend lot by lot.
"""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import Engine

from credits_app.clock import utcnow
from credits_app.credits import credit_service
from credits_app.credits.amounts import UNITS_PER_CREDIT
from credits_app.credits.categories import LotSource
from credits_app.credits.drafts import NewLot
from tests.e2e.conftest import VIEWPORT
from tests.e2e.flows import TIMEOUT_MS, screenshot, sign_in
from tests.integration.test_history_export import a_zone_where_today_is_another_day
from tests.support.api_client import ApiClient, fund_user
from tests.support.app_server import RunningApp

ZONE, SHIFT = a_zone_where_today_is_another_day()


@pytest.fixture
def zoned_context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=VIEWPORT, timezone_id=ZONE)
    yield context
    context.close()


def test_the_drawer_lists_the_lots_a_spend_used_and_the_date_range_is_in_the_browsers_zone(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    zoned_context: BrowserContext,
    screenshot_dir: Path,
) -> None:
    user = api.register("lots")
    credit_service.grant_personal_credits(
        user.id,
        "5",
        description="Welcome promotion",
        lots=(
            NewLot(
                5 * UNITS_PER_CREDIT, LotSource.PROMOTION, expires_at=utcnow() + timedelta(days=9)
            ),
        ),
    )
    fund_user(user, "20")
    spent = api.service_deduct(
        {
            "wallet": {"type": "user", "id": user.id},
            "amount": "7.5",
            "category": "marketplace",
            "description": "Big render",
        },
        idempotency_key=f"e2e-lots-{uuid.uuid4().hex}",
    )
    assert spent.status_code == 200, spent.text
    sign_in(zoned_context, app.base_url, user.email)
    page: Page = zoned_context.new_page()
    page.goto(f"{app.base_url}/credits?tab=history")
    rows = page.locator("#history-table .history-row")
    expect(rows).to_have_count(3, timeout=TIMEOUT_MS)

    rows.filter(has_text="Big render").locator(".history-open").click()
    lots = page.locator("#history-drawer #history-lots .history-lot")
    expect(lots).to_have_count(2)
    expect(lots.nth(0)).to_contain_text("Promotion")
    expect(lots.nth(0)).to_contain_text("5")
    expect(lots.nth(0)).to_contain_text("expires")
    expect(lots.nth(1)).to_contain_text("Grant")
    expect(lots.nth(1)).to_contain_text("2.5")
    expect(lots.nth(1)).to_contain_text("never expires")
    screenshot(page, screenshot_dir, "history-drawer-lots")
    page.keyboard.press("Escape")

    utc_today = datetime.now(UTC).date()
    local_today = (utc_today + timedelta(days=SHIFT)).isoformat()
    for field in ("#history-from", "#history-to"):
        page.locator(field).fill(utc_today.isoformat())
    expect(page.locator("#history-empty")).to_be_visible(timeout=TIMEOUT_MS)
    for field in ("#history-from", "#history-to"):
        page.locator(field).fill(local_today)
    expect(rows).to_have_count(3, timeout=TIMEOUT_MS)
    export = page.locator("#history-export")
    with page.expect_download() as download_info:
        export.click()
    exported = Path(download_info.value.path()).read_text(encoding="utf-8").splitlines()
    assert len(exported) == 4, exported  # the header and the three rows on screen
