"""The /credits page in a real browser against the production build."""

import re
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine

from credits_app.auth.accounts import find_user_by_email
from credits_app.credits import credit_service
from credits_app.credits.amounts import format_balance
from credits_app.settings import get_settings
from tests.e2e.flows import TIMEOUT_MS, sign_in
from tests.support.app_server import RunningApp

BALANCE_TIMEOUT_MS = TIMEOUT_MS


def test_credits_page_shows_demo_users_balance_from_the_ledger(
    app: RunningApp,
    ledger_engine: Engine,
    context: BrowserContext,
    page: Page,
    screenshot_dir: Path,
) -> None:
    """The number people see must be the ledger's number, formatted by the shared rule."""
    settings = get_settings()
    user = find_user_by_email(settings.demo_user_email)
    assert user is not None, "load-demo should have created the demo user"
    balance = credit_service.get_personal_balance(user.id)
    assert balance > 0, "the demo history leaves a positive balance"
    expected = format_balance(balance)
    sign_in(context, app.base_url, settings.demo_user_email, settings.demo_user_password)

    page.goto(f"{app.base_url}/credits")

    shown = page.locator("#credits-balance")
    expect(shown).to_have_text(expected, timeout=BALANCE_TIMEOUT_MS)
    expect(page.get_by_text("Personal balance")).to_be_visible()
    expect(page).to_have_title("Credits · Universal Credits")
    expect(page.locator("#usage-chart .barlayer")).to_be_attached(timeout=BALANCE_TIMEOUT_MS)
    page.screenshot(path=screenshot_dir / "credits-page.png", full_page=True)


def test_index_sends_visitors_to_login_and_back_to_their_credits(
    app: RunningApp, page: Page, screenshot_dir: Path
) -> None:
    """Signed out, '/' and private pages lead to login; signing in returns to the page asked."""
    settings = get_settings()
    page.goto(app.base_url)
    expect(page).to_have_url(re.compile(r"/login"), timeout=TIMEOUT_MS)

    page.goto(f"{app.base_url}/credits?tab=history")
    expect(page).to_have_url(re.compile(r"/login\?next="), timeout=TIMEOUT_MS)
    page.locator("#field-email").fill(settings.demo_user_email)
    page.locator("#field-password").fill("not the password")
    page.locator("#auth-submit").click()
    expect(page.locator("#auth-error")).to_be_visible(timeout=TIMEOUT_MS)
    page.screenshot(path=screenshot_dir / "login-error.png", full_page=True)

    page.locator("#field-password").fill(settings.demo_user_password)
    page.locator("#auth-submit").click()

    expect(page).to_have_url(re.compile(r"/credits/?\?tab=history$"), timeout=TIMEOUT_MS)
    expect(page.locator("#credits-balance")).not_to_be_empty(timeout=BALANCE_TIMEOUT_MS)
    expect(page.locator("#history-table")).to_be_visible()

    page.goto(app.base_url)
    expect(page).to_have_url(re.compile(r"/credits/?$"), timeout=TIMEOUT_MS)

    page.locator("#account-menu").click()
    page.locator("#sign-out").click()
    expect(page).to_have_url(re.compile(r"/login"), timeout=TIMEOUT_MS)
    page.goto(f"{app.base_url}/credits")
    expect(page).to_have_url(re.compile(r"/login\?next=/credits"), timeout=TIMEOUT_MS)
