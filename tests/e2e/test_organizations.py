"""Organizations from the browser: create one, add a person, change their role, remove them.

The owner does everything in the UI; the other person signs in in their own browser context
and sees the effect of each step (the service decides; the page only shows it).
"""

import re
import uuid
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.flows import TIMEOUT_MS, screenshot, sign_in
from tests.support.api_client import ApiClient, ApiUser
from tests.support.app_server import RunningApp


def signed_in_page(context: BrowserContext, app: RunningApp, user: ApiUser) -> Page:
    sign_in(context, app.base_url, user.email)
    return context.new_page()


def member_row(page: Page, user: ApiUser):
    return page.locator(f'#members-list .member-row[data-email="{user.email}"]')


def test_create_an_org_add_someone_change_their_role_and_remove_them(
    app: RunningApp,
    api: ApiClient,
    new_context: Callable[[], BrowserContext],
    screenshot_dir: Path,
) -> None:
    owner, colleague = api.register("founder"), api.register("colleague")
    name = f"Lab {uuid.uuid4().hex[:6]}"
    slug = name.lower().replace(" ", "-")
    page = signed_in_page(new_context(), app, owner)
    page.goto(f"{app.base_url}/credits")
    expect(page.locator("#credits-balance")).not_to_be_empty(timeout=TIMEOUT_MS)

    page.locator("#org-switcher").click()
    page.locator("#create-org").click()
    page.locator("#org-name").fill(name)
    page.locator("#create-org-submit").click()
    expect(page).to_have_url(re.compile(rf"/organizations/{slug}/credits"), timeout=TIMEOUT_MS)
    expect(page.locator("#credits-context")).to_contain_text(name, timeout=TIMEOUT_MS)

    page.locator("#nav-members").click()
    expect(page).to_have_url(re.compile(rf"/organizations/{slug}/members"), timeout=TIMEOUT_MS)
    expect(member_row(page, owner)).to_have_attribute("data-role", "owner", timeout=TIMEOUT_MS)
    page.locator("#invite-email").fill(colleague.email)
    page.locator("#invite-submit").click()
    expect(member_row(page, colleague)).to_have_attribute("data-role", "member", timeout=TIMEOUT_MS)
    screenshot(page, screenshot_dir, "org-members-owner")

    colleague_page = signed_in_page(new_context(), app, colleague)
    colleague_page.goto(f"{app.base_url}/organizations/{slug}/members")
    ask = colleague_page.locator("#ask-managers")
    expect(ask).to_contain_text("Founder (owner)", timeout=TIMEOUT_MS)
    expect(colleague_page.locator("#invite-card")).to_have_count(0)
    colleague_page.goto(f"{app.base_url}/organizations/{slug}/credits?tab=purchase")
    expect(colleague_page.locator("#purchase-blocked")).to_contain_text(
        "Ask Founder (owner)", timeout=TIMEOUT_MS
    )
    screenshot(colleague_page, screenshot_dir, "org-members-member")

    member_row(page, colleague).locator(".member-role").click()
    page.get_by_role("option", name="Admin").click()
    expect(member_row(page, colleague)).to_have_attribute("data-role", "admin", timeout=TIMEOUT_MS)
    colleague_page.goto(f"{app.base_url}/organizations/{slug}/members")
    expect(colleague_page.locator("#invite-card")).to_be_visible(timeout=TIMEOUT_MS)

    page.locator("#leave-org").click()
    expect(page.get_by_text("at least one owner")).to_be_visible(timeout=TIMEOUT_MS)

    member_row(page, colleague).locator(".member-remove").click()
    expect(member_row(page, colleague)).to_have_count(0, timeout=TIMEOUT_MS)
    colleague_page.goto(f"{app.base_url}/organizations/{slug}/members")
    expect(colleague_page.locator("#not-found")).to_be_visible(timeout=TIMEOUT_MS)


def test_invite_an_email_without_an_account_and_they_join_when_they_sign_up(
    app: RunningApp,
    api: ApiClient,
    new_context: Callable[[], BrowserContext],
    screenshot_dir: Path,
) -> None:
    owner = api.register("host")
    org = api.create_org(owner, "Guild")
    newcomer_email = f"newcomer-{uuid.uuid4().hex[:10]}@example.com"
    withdrawn_email = f"withdrawn-{uuid.uuid4().hex[:10]}@example.com"
    page = signed_in_page(new_context(), app, owner)
    page.goto(f"{app.base_url}/organizations/{org['slug']}/members")
    expect(member_row(page, owner)).to_have_attribute("data-role", "owner", timeout=TIMEOUT_MS)

    for email in (newcomer_email, withdrawn_email):
        page.locator("#invite-email").fill(email)
        page.locator("#invite-submit").click()
        invited = page.locator(f'#invitations-list .invitation-row[data-email="{email}"]')
        expect(invited).to_contain_text("Invited by Host", timeout=TIMEOUT_MS)
    screenshot(page, screenshot_dir, "org-invitations")
    page.locator(
        f'#invitations-list .invitation-row[data-email="{withdrawn_email}"] .invitation-revoke'
    ).click()
    expect(page.locator(".invitation-row")).to_have_count(1, timeout=TIMEOUT_MS)

    signup = new_context().new_page()
    signup.goto(f"{app.base_url}/register")
    signup.locator("#field-name").fill("Newcomer")
    signup.locator("#field-email").fill(newcomer_email)
    signup.locator("#field-password").fill("correct horse battery")
    signup.locator("#auth-submit").click()
    expect(signup).to_have_url(re.compile(r"/credits"), timeout=TIMEOUT_MS)
    signup.goto(f"{app.base_url}/organizations/{org['slug']}/credits")
    expect(signup.locator("#credits-context")).to_contain_text("Guild", timeout=TIMEOUT_MS)

    page.reload()
    newcomer_row = page.locator(f'#members-list .member-row[data-email="{newcomer_email}"]')
    expect(newcomer_row).to_have_attribute("data-role", "member", timeout=TIMEOUT_MS)
    expect(page.locator("#invitations-card")).to_have_count(0)
