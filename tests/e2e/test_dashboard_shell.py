"""The dashboard's shell tells the truth: while loading, offline, lost, or in another time zone.

Each test is one bug of issue 17: placeholders instead of made-up figures, "Reconnecting…"
instead of Reflex's developer text, the app's own 404, offline API docs, tabs in the URL,
local times with UTC on hover, a lockout that says when, and names used consistently.
"""

import re
import uuid
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, BrowserContext, Page, Route, WebSocketRoute, expect
from sqlalchemy import Engine

from credits_app.auth.accounts import find_user_by_email
from credits_app.auth.login import MAX_FAILURES_PER_ACCOUNT
from credits_app.credits import credit_service
from credits_app.credits.owners import WalletOwner
from credits_app.settings import get_settings
from tests.e2e.conftest import VIEWPORT
from tests.e2e.flows import TIMEOUT_MS, screenshot, sign_in
from tests.support.api_client import PASSWORD, ApiClient, fund_user
from tests.support.app_server import RunningApp

EVENT_SOCKET = re.compile(r"/_event")
ENGINE_OPEN = '0{"sid":"down","upgrades":[],"pingInterval":25000,"pingTimeout":20000}'
MADE_UP_FIGURES = ("Healthy", "no monthly limit", "0%", "No spending in this period")


def demo_sign_in(context: BrowserContext, app: RunningApp) -> None:
    settings = get_settings()
    sign_in(context, app.base_url, settings.demo_user_email, settings.demo_user_password)


def test_while_figures_load_the_page_shows_placeholders_and_no_made_up_values(
    app: RunningApp, context: BrowserContext, page: Page, screenshot_dir: Path
) -> None:
    """A server that never answers: the page must not pass defaults off as the user's data."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    demo_sign_in(context, app)
    page.route_web_socket(EVENT_SOCKET, lambda socket: None)  # accepted, never answered

    page.goto(f"{app.base_url}/credits")

    card = page.locator("#credits-balance-card")
    expect(card.locator(".uc-placeholder").first).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("#header-balance-loading")).to_be_visible()
    expect(page.locator("#usage-chart-card .uc-placeholder").first).to_be_visible()
    body = page.locator("main").inner_text()
    for made_up in MADE_UP_FIGURES:
        assert made_up not in body, f"{made_up!r} shown before any figure arrived"
    expect(page.locator("#credits-balance")).to_have_count(0)
    expect(page.locator("#account-menu")).not_to_contain_text("?")
    screenshot(page, screenshot_dir, "shell-loading")
    assert errors == [], f"the page must hydrate without errors: {errors}"


def refuse(socket: WebSocketRoute) -> None:
    """Answer like a server that is up but turns connections away (Socket.IO CONNECT_ERROR),
    so Reflex's client counts a failed attempt at once and retries."""
    socket.on_message(
        lambda message: (
            socket.send('44/_event,{"message":"unavailable"}')
            if str(message).startswith("40")
            else None
        )
    )
    socket.send(ENGINE_OPEN)


def test_a_lost_connection_says_reconnecting_and_recovers_by_itself(
    app: RunningApp, context: BrowserContext, page: Page, screenshot_dir: Path
) -> None:
    demo_sign_in(context, app)
    offline = {"on": False}
    sockets: list[WebSocketRoute] = []

    def relay(socket: WebSocketRoute) -> None:
        if offline["on"]:
            refuse(socket)
            return
        socket.connect_to_server()
        sockets.append(socket)

    page.route_web_socket(EVENT_SOCKET, relay)
    page.goto(f"{app.base_url}/credits")
    expect(page.locator("#credits-balance")).not_to_be_empty(timeout=TIMEOUT_MS)

    offline["on"] = True
    for socket in sockets:
        socket.close()  # the live connection drops
    banner = page.locator("#connection-banner")
    expect(banner).to_be_visible(timeout=TIMEOUT_MS)
    expect(banner).to_contain_text("Reconnecting…")
    expect(page.get_by_text("Cannot connect to server")).to_have_count(0)
    expect(page.get_by_text("Check if server is reachable")).to_have_count(0)
    screenshot(page, screenshot_dir, "shell-reconnecting")

    offline["on"] = False
    expect(banner).to_have_count(0, timeout=TIMEOUT_MS)
    expect(page.locator("#credits-balance")).not_to_be_empty()


def test_unknown_urls_get_the_apps_own_not_found_page(app: RunningApp, page: Page) -> None:
    page.goto(f"{app.base_url}/no/such/page")
    expect(page.locator("#not-found")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page).to_have_title("Page not found · Universal Credits")
    expect(page.get_by_text("404: Page not found")).to_have_count(0)
    expect(page.get_by_role("link", name="Back to my credits")).to_be_visible()


def test_api_docs_render_without_internet(app: RunningApp, page: Page) -> None:
    """Every request off this machine is refused: Swagger UI must still draw the API."""
    blocked: list[str] = []

    def only_local(route: Route) -> None:
        if route.request.url.startswith(app.base_url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(f"{app.base_url}/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Universal Credits API", timeout=TIMEOUT_MS
    )
    expect(page.locator(".opblock").first).to_be_visible()
    assert blocked == [], f"the docs tried to load {blocked}"


def test_tabs_live_in_the_url_through_reload_and_back(
    app: RunningApp, context: BrowserContext, page: Page
) -> None:
    demo_sign_in(context, app)
    page.goto(f"{app.base_url}/credits")
    expect(page.locator("#tab-usage")).to_have_attribute("aria-selected", "true")

    page.locator("#tab-history").click()
    expect(page).to_have_url(re.compile(r"/credits/?\?tab=history$"))
    page.reload()
    expect(page.locator("#tab-history")).to_have_attribute(
        "aria-selected", "true", timeout=TIMEOUT_MS
    )
    expect(page).to_have_title("Credits · Universal Credits")

    page.locator("#tab-purchase").click()
    expect(page).to_have_url(re.compile(r"\?tab=purchase$"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?tab=history$"))
    expect(page.locator("#tab-history")).to_have_attribute(
        "aria-selected", "true", timeout=TIMEOUT_MS
    )


def test_history_times_are_in_the_browsers_zone_with_utc_on_hover(
    app: RunningApp, ledger_engine: Engine, browser: Browser
) -> None:
    settings = get_settings()
    user = find_user_by_email(settings.demo_user_email)
    assert user is not None
    newest = credit_service.get_history(WalletOwner.user(user.id), limit=1).items[0]
    zone = ZoneInfo("America/New_York")
    local = newest.created_at.astimezone(UTC).astimezone(zone)
    expected_time = local.strftime("%I:%M %p").lstrip("0")  # en-US "short" time: 9:05 AM
    context = browser.new_context(viewport=VIEWPORT, timezone_id=zone.key, locale="en-US")
    try:
        demo_sign_in(context, app)
        page = context.new_page()
        page.goto(f"{app.base_url}/credits?tab=history")
        first_time = page.locator("#history-table .history-row").first.locator("time").nth(1)
        expect(first_time).to_have_text(expected_time, timeout=TIMEOUT_MS)
        expect(first_time).to_have_attribute("title", re.compile(r" UTC$"))
        assert first_time.get_attribute(
            "datetime", timeout=TIMEOUT_MS
        ) == newest.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    finally:
        context.close()


def test_the_sign_in_lockout_says_when_to_try_again(
    app: RunningApp, api: ApiClient, page: Page
) -> None:
    user = api.register("lockout")
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        response = api.http.post(
            "/api/auth/login", json={"email": user.email, "password": "wrong password!"}
        )
        assert response.status_code == 401, response.text
    page.goto(f"{app.base_url}/login")
    page.locator("#field-email").fill(user.email)
    page.locator("#field-password").fill(PASSWORD)
    page.locator("#auth-submit").click()
    error = page.locator("#auth-error")
    expect(error).to_contain_text("Try again in 15 minutes (at ", timeout=TIMEOUT_MS)
    expect(error).not_to_contain_text("later")


def test_usage_names_the_demo_model_as_the_assistant_does(
    app: RunningApp, ledger_engine: Engine, api: ApiClient, context: BrowserContext, page: Page
) -> None:
    """Usage names the demo model "Demo model", as the assistant does (History's "Pro package"
    is checked by the purchase flow test)."""
    user = api.register("names")
    fund_user(user, "50")
    chat = api.http.post(
        "/api/2bot-ai/chat",
        json={"messages": [{"role": "user", "content": f"hello {uuid.uuid4().hex[:6]}"}]},
        headers=user.headers,
    )
    assert chat.status_code == 200, chat.text
    sign_in(context, app.base_url, user.email)
    page.goto(f"{app.base_url}/credits")
    expect(page.locator("#breakdown-ai")).to_contain_text("Demo model", timeout=TIMEOUT_MS)
    expect(page.locator("#breakdown-ai")).not_to_contain_text("demo-model")
