"""The /credits page in a real browser against the production build."""

import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from credits_app.auth.accounts import find_user_by_email
from credits_app.credits import credit_service
from credits_app.credits.amounts import format_balance
from credits_app.settings import get_settings
from tests.support.app_server import RunningApp

BALANCE_TIMEOUT_MS = 30_000


def test_credits_page_shows_demo_users_balance_from_the_ledger(
    app: RunningApp, ledger_engine: Engine, page: Page, screenshot_dir: Path
) -> None:
    """The number people see must be the ledger's number, formatted by the shared rule."""
    user = find_user_by_email(get_settings().demo_user_email)
    assert user is not None, "load-demo should have created the demo user"
    balance = credit_service.get_personal_balance(user.id)
    assert balance > 0, "the demo history leaves a positive balance"
    expected = format_balance(balance)

    page.goto(f"{app.base_url}/credits")

    shown = page.locator("#credits-balance")
    expect(shown).to_have_text(expected, timeout=BALANCE_TIMEOUT_MS)
    expect(page.get_by_text("Personal balance")).to_be_visible()
    expect(page).to_have_title("Credits")
    page.screenshot(path=screenshot_dir / "credits-page.png", full_page=True)


def test_index_page_links_to_the_credits_page(app: RunningApp, page: Page) -> None:
    """Until the dashboard exists, the home page must still lead to the balance."""
    page.goto(app.base_url)

    page.locator("#credits-link").click()

    expect(page).to_have_url(re.compile(r"/credits/?$"))
    expect(page.locator("#credits-balance")).not_to_be_empty(timeout=BALANCE_TIMEOUT_MS)
