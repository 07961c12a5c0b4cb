"""axe-core on every page and dialog, signed out and in: no serious or critical violation.

axe-core (from the `axe-playwright-python` package, which bundles it) runs inside the real
page after its figures arrived, so it sees what a screen-reader or keyboard user gets. Minor
and moderate findings are printed, not failed; serious and critical ones fail with the rule,
the help text and the offending elements.
"""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page, expect

from credits_app.settings import get_settings
from credits_app.state.formatting import MINUS
from tests.e2e.flows import TIMEOUT_MS, sign_in
from tests.support.api_client import ApiClient, fund_user
from tests.support.app_server import RunningApp

BLOCKING_IMPACTS = {"serious", "critical"}
AXE = Axe()


def blocking_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical violations on the page as it is now."""
    results = AXE.run(page)
    return [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        targets = [" ".join(node["target"]) for node in violation["nodes"]][:5]
        lines.append(f"{violation['impact']}: {violation['id']} — {violation['help']} {targets}")
    return "\n".join(lines)


def assert_accessible(page: Page, where: str) -> None:
    violations = blocking_violations(page)
    assert not violations, f"{where}:\n{describe(violations)}"


def signed_in(context: BrowserContext, app: RunningApp) -> None:
    settings = get_settings()
    sign_in(context, app.base_url, settings.demo_user_email, settings.demo_user_password)


def loaded_credits_page(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#credits-balance")).not_to_be_empty(timeout=TIMEOUT_MS)


@pytest.mark.parametrize(
    ("path", "ready"),
    [("/login", "#login-form"), ("/register", "#register-form"), ("/no/such/page", "#not-found")],
)
def test_signed_out_pages_have_no_serious_violations(
    app: RunningApp, page: Page, path: str, ready: str
) -> None:
    page.goto(f"{app.base_url}{path}")
    expect(page.locator(ready)).to_be_visible(timeout=TIMEOUT_MS)
    assert_accessible(page, path)


def open_history(page: Page) -> None:
    page.locator("#tab-history").click()
    expect(page.locator("#history-table .history-row").first).to_be_visible(timeout=TIMEOUT_MS)


def open_history_drawer(page: Page) -> None:
    """The detail drawer of the newest debit (its lots listed)."""
    open_history(page)
    debit = page.locator("#history-table .history-row").filter(has_text=MINUS).first
    debit.locator(".history-open").click()
    expect(page.locator("#history-drawer")).to_be_visible()
    expect(page.locator("#history-lots .history-lot").first).to_be_visible()


def open_purchase(page: Page) -> None:
    page.locator("#tab-purchase").click()
    expect(page.locator("button.buy-package").first).to_be_visible(timeout=TIMEOUT_MS)


def open_buy_dialog(page: Page) -> None:
    open_purchase(page)
    page.locator("button.buy-package").first.click()
    expect(page.locator("#buy-credits-dialog")).to_be_visible()


def open_custom_amount(page: Page) -> None:
    open_purchase(page)
    page.locator("#buy-custom").click()
    expect(page.locator("#buy-credits-dialog")).to_be_visible()
    page.locator("#custom-credits").fill("12345")
    expect(page.locator("#quote-price")).not_to_be_empty(timeout=TIMEOUT_MS)


def open_assistant(page: Page) -> None:
    page.locator("#assistant-launcher").click()
    expect(page.locator("#assistant-panel")).to_be_visible()


def open_org_switcher(page: Page) -> None:
    page.locator("#org-switcher").click()
    expect(page.get_by_role("menu")).to_be_visible()


def dark_mode(page: Page) -> None:
    page.locator("#color-mode-toggle").click()
    expect(page.locator("html.dark")).to_have_count(1)


def open_settings(page: Page) -> None:
    page.locator("#tab-settings").click()
    expect(page.locator("#settings-save")).to_be_visible(timeout=TIMEOUT_MS)


def open_notifications(page: Page) -> None:
    page.locator("#notification-bell").click()
    expect(page.locator("#notifications-read-all")).to_be_visible()


def open_send_dialog(page: Page) -> None:
    page.locator("#send-credits").click()
    expect(page.locator("#send-credits-dialog")).to_be_visible()
    page.locator("#send-amount").fill("1.00001")  # with its error message showing
    expect(page.locator("#send-amount-error")).to_be_visible()


def confirm_send_dialog(page: Page) -> None:
    page.locator("#send-credits").click()
    page.locator("#send-email").fill("someone@example.com")
    page.locator("#send-amount").fill("1")
    page.locator("#send-review").click()
    expect(page.locator("#send-credits-summary")).to_be_visible()


STEPS: dict[str, Callable[[Page], None]] = {
    "usage": lambda page: None,
    "history": open_history,
    "history drawer": open_history_drawer,
    "purchase": open_purchase,
    "buy dialog": open_buy_dialog,
    "send dialog": open_send_dialog,
    "send confirmation": confirm_send_dialog,
    "custom amount": open_custom_amount,
    "assistant": open_assistant,
    "org switcher": open_org_switcher,
    "dark mode": dark_mode,
    "settings": open_settings,
    "notifications": open_notifications,
}


@pytest.mark.parametrize("step", list(STEPS))
def test_credits_page_and_its_dialogs_have_no_serious_violations(
    app: RunningApp, context: BrowserContext, page: Page, step: str
) -> None:
    signed_in(context, app)
    loaded_credits_page(page, f"{app.base_url}/credits")
    STEPS[step](page)
    assert_accessible(page, f"/credits, {step}")


def test_refund_dialog_has_no_serious_violations(
    app: RunningApp, api: ApiClient, context: BrowserContext, page: Page
) -> None:
    user = api.register("refunds")
    fund_user(user, "10")
    spend = {"wallet": {"type": "user", "id": user.id}, "amount": "4", "category": "marketplace"}
    assert api.service_deduct(spend).status_code == 200
    sign_in(context, app.base_url, user.email)
    loaded_credits_page(page, f"{app.base_url}/credits?tab=history")
    page.locator("#history-table .history-refund").click()
    page.locator("#refund-part").click()
    page.locator("#refund-amount").fill("5")  # with its error message showing
    expect(page.locator("#refund-amount-error")).to_be_visible()
    assert_accessible(page, "/credits, refund dialog")


def test_account_page_has_no_serious_violations(
    app: RunningApp, context: BrowserContext, page: Page
) -> None:
    signed_in(context, app)
    page.goto(f"{app.base_url}/account")
    expect(page.locator("#tokens-card")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("#profile-name")).to_have_value("Demo User", timeout=TIMEOUT_MS)
    assert_accessible(page, "account")


@pytest.mark.parametrize("org", [False, True], ids=["personal", "org"])
def test_billing_page_has_no_serious_violations(
    app: RunningApp, context: BrowserContext, page: Page, org: bool
) -> None:
    """Personal: with a purchase listed and a pending checkout; org: the empty list."""
    settings = get_settings()
    login = context.request.post(
        f"{app.base_url}/api/auth/login",
        data={"email": settings.demo_user_email, "password": settings.demo_user_password},
    )
    assert login.ok, login.text()
    if not org:
        response = context.request.post(
            f"{app.base_url}/api/credits/purchase",
            data={"credits": 2500},
            headers={"Authorization": f"Bearer {login.json()['token']}"},
        )
        assert response.ok, response.text()
    path = f"/organizations/{settings.demo_org_slug}/billing" if org else "/billing"
    page.goto(f"{app.base_url}{path}")
    expect(page.locator("#billing-heading")).to_be_visible(timeout=TIMEOUT_MS)
    if org:
        expect(page.get_by_text("No purchases yet")).to_be_visible(timeout=TIMEOUT_MS)
    else:
        expect(page.locator("#pending-checkouts-card")).to_be_visible(timeout=TIMEOUT_MS)
        expect(page.locator("#purchases-table .purchase-row").first).to_be_visible()
    assert_accessible(page, f"billing ({'org' if org else 'personal'})")


def test_org_credits_page_has_no_serious_violations(
    app: RunningApp, context: BrowserContext, page: Page
) -> None:
    signed_in(context, app)
    loaded_credits_page(
        page, f"{app.base_url}/organizations/{get_settings().demo_org_slug}/credits"
    )
    assert_accessible(page, "org credits")


@pytest.mark.parametrize("role", ["owner", "member"])
def test_members_page_has_no_serious_violations(
    app: RunningApp, api: ApiClient, context: BrowserContext, page: Page, role: str
) -> None:
    owner, member = api.register("owner"), api.register("member")
    org = api.create_org(owner, "Axe")
    api.add_member(owner, int(org["id"]), member, "member")
    invited = api.http.post(  # owners see the pending invitations card too
        f"/api/orgs/{org['id']}/invitations",
        json={"email": f"axe-{uuid.uuid4().hex[:10]}@example.com", "role": "member"},
        headers=owner.headers,
    )
    assert invited.status_code == 201, invited.text
    sign_in(context, app.base_url, (owner if role == "owner" else member).email)
    page.goto(f"{app.base_url}/organizations/{org['slug']}/members")
    expect(page.locator("#members-list .member-row")).to_have_count(2, timeout=TIMEOUT_MS)
    expect(page.locator("#invitations-card")).to_have_count(1 if role == "owner" else 0)
    assert_accessible(page, f"members page as {role}")


def test_the_org_switcher_is_reachable_and_usable_by_keyboard(
    app: RunningApp, context: BrowserContext, page: Page
) -> None:
    """Tab reaches the switcher, Enter opens it, arrows pick an org, Enter goes there."""
    signed_in(context, app)
    loaded_credits_page(page, f"{app.base_url}/credits")
    switcher = page.locator("#org-switcher")
    for _ in range(15):
        page.keyboard.press("Tab")
        if switcher.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the org switcher")
    page.keyboard.press("Enter")
    org_item = page.locator(f"#switch-org-{get_settings().demo_org_slug}")
    expect(org_item).to_be_visible()
    org_item.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{app.base_url}/organizations/{get_settings().demo_org_slug}/credits")


@pytest.mark.parametrize(
    ("opener", "dialog"), [("buy", "#buy-credits-dialog"), ("assistant", "#assistant-panel")]
)
def test_escape_closes_a_dialog_and_gives_focus_back_to_what_opened_it(
    app: RunningApp, context: BrowserContext, page: Page, opener: str, dialog: str
) -> None:
    signed_in(context, app)
    loaded_credits_page(page, f"{app.base_url}/credits")
    if opener == "buy":
        open_purchase(page)
        trigger = page.locator("button.buy-package").first
    else:
        trigger = page.locator("#assistant-launcher")
    trigger.focus()
    page.keyboard.press("Enter")
    expect(page.locator(dialog)).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(dialog)).to_be_hidden()
    assert trigger.evaluate("element => element === document.activeElement"), (
        "focus must return to the button that opened it, not <body>"
    )
