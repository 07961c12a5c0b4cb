"""The account page: password change signs out the other browser; an API token made here
works from a script (httpx, as curl would) until it is revoked here."""

import re
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import BrowserContext, expect

from tests.e2e.flows import TIMEOUT_MS, screenshot, sign_in
from tests.support.api_client import PASSWORD, ApiClient
from tests.support.app_server import RunningApp

NEW_PASSWORD = "another long passphrase"


def test_changing_the_password_signs_out_the_other_browser_but_not_this_one(
    app: RunningApp, api: ApiClient, new_context: Callable[[], BrowserContext]
) -> None:
    user = api.register("rotate")
    laptop, phone = new_context(), new_context()
    sign_in(laptop, app.base_url, user.email)
    sign_in(phone, app.base_url, user.email)
    page = laptop.new_page()
    page.goto(f"{app.base_url}/account")
    page.locator("#current-password").fill(PASSWORD)
    page.locator("#new-password").fill(NEW_PASSWORD)
    page.locator("#password-save").click()
    expect(page.locator("#password-message")).to_contain_text(
        "Every other session has been signed out", timeout=TIMEOUT_MS
    )

    other = phone.new_page()
    other.goto(f"{app.base_url}/credits")
    expect(other).to_have_url(re.compile(r"/login/?\?next=/credits/?$"), timeout=TIMEOUT_MS)
    page.goto(f"{app.base_url}/credits")
    expect(page.locator("#credits-balance")).to_have_text("0", timeout=TIMEOUT_MS)


def test_an_api_token_is_shown_once_works_from_a_script_and_stops_when_revoked(
    app: RunningApp, api: ApiClient, context: BrowserContext, screenshot_dir: Path
) -> None:
    user = api.register("scripts")
    sign_in(context, app.base_url, user.email)
    page = context.new_page()
    page.goto(f"{app.base_url}/account")
    page.locator("#token-name").fill("nightly report")
    page.locator("#token-create").click()
    secret = page.locator("#new-token")
    expect(secret).to_contain_text("uc_pat_", timeout=TIMEOUT_MS)
    token = secret.inner_text().strip()
    row = page.locator('#token-list .token-row[data-name="nightly report"]')
    expect(row).to_contain_text("never used")
    screenshot(page, screenshot_dir, "account-token-created")

    script = httpx.get(
        f"{app.base_url}/api/credits", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert script.status_code == 200, script.text
    page.reload()
    expect(secret).to_have_count(0, timeout=TIMEOUT_MS)  # shown once: gone after a reload
    expect(row).to_contain_text("last used", timeout=TIMEOUT_MS)

    row.locator(".token-revoke").click()
    expect(row).to_have_count(0, timeout=TIMEOUT_MS)
    refused = httpx.get(
        f"{app.base_url}/api/credits", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert refused.status_code == 401


def test_sign_out_everywhere_ends_this_and_every_other_session(
    app: RunningApp, api: ApiClient, new_context: Callable[[], BrowserContext]
) -> None:
    user = api.register("everywhere")
    first, second = new_context(), new_context()
    sign_in(first, app.base_url, user.email)
    sign_in(second, app.base_url, user.email)
    page = first.new_page()
    page.goto(f"{app.base_url}/account")
    page.locator("#sign-out-everywhere").click()
    expect(page).to_have_url(re.compile(r"/login/?$"), timeout=TIMEOUT_MS)
    other = second.new_page()
    other.goto(f"{app.base_url}/credits")
    expect(other).to_have_url(re.compile(r"/login/?\?next=/credits/?$"), timeout=TIMEOUT_MS)
