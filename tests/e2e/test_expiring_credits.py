"""Credit lots in the browser: the balance card's next expiry, "Expiring credits", expiry rows."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect

from credits_app.clock import frozen_at
from credits_app.credits.lot_expiry import sweep_expired_lots
from tests.e2e.flows import TIMEOUT_MS, screenshot, sign_in, wait_for_balance
from tests.support.api_client import SERVICE_KEY, ApiClient
from tests.support.app_server import RunningApp


def grant(api: ApiClient, user_id: int, amount: str, expires_at: datetime | None) -> None:
    body: dict[str, object] = {
        "wallet": {"type": "user", "id": user_id},
        "amount": amount,
        "reason": "e2e grant",
        "source": "promotion" if expires_at else "grant",
    }
    if expires_at is not None:
        body["expiresAt"] = expires_at.isoformat()
    response = api.http.post(
        "/api/internal/credits/grant", json=body, headers={"Authorization": f"Bearer {SERVICE_KEY}"}
    )
    assert response.status_code == 201, response.text


def test_the_card_says_what_expires_next_and_history_lists_lots_and_expiries(
    app: RunningApp, api: ApiClient, context: BrowserContext, page: Page, screenshot_dir: Path
) -> None:
    user = api.register("lots")
    soon = (datetime.now(UTC) + timedelta(days=5)).replace(hour=12, minute=0, second=0)
    grant(api, user.id, "1000", soon)
    grant(api, user.id, "250", None)
    # A lot that lapses almost at once, then the sweep writes its expiry entry.
    grant(api, user.id, "40", datetime.now(UTC) + timedelta(seconds=2))
    with frozen_at(datetime.now(UTC) + timedelta(seconds=3)):
        sweep_expired_lots()
    sign_in(context, app.base_url, user.email)

    page.goto(f"{app.base_url}/credits")
    wait_for_balance(page, "1,250")
    expected = f"1,000 credits expire on {soon.day} {soon:%b}"
    expect(page.locator("#credits-next-expiry")).to_have_text(expected, timeout=TIMEOUT_MS)
    screenshot(page, screenshot_dir, "balance-card-next-expiry")

    page.goto(f"{app.base_url}/credits?tab=history")
    lots = page.locator("#credits-expiring-lots .credits-lot")
    expect(lots).to_have_count(2, timeout=TIMEOUT_MS)
    expect(lots.first).to_contain_text("Promotion")
    expect(lots.first).to_contain_text(f"{soon.day} {soon:%b} {soon.year}")
    expect(lots.first.locator(".lot-remaining")).to_have_text("1,000 credits")
    expect(lots.nth(1)).to_contain_text("Never expires")
    rows = page.locator("#history-table .history-row")
    expect(rows.first).to_contain_text("Expiry", timeout=TIMEOUT_MS)
    expect(rows.first).to_contain_text("40 promotion credits expired")
    screenshot(page, screenshot_dir, "history-expiring-credits")
