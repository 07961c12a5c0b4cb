"""The History and Usage tabs against real ledger data."""

import re
import uuid
from datetime import date
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import Engine

from credits_app.components.credits.plotly_bars import BUNDLE, IDLE_TIMEOUT_MS
from credits_app.settings import get_settings
from tests.e2e.flows import TIMEOUT_MS, history_rows, screenshot, sign_in, wait_for_balance
from tests.support.api_client import ApiClient, fund_user
from tests.support.app_server import RunningApp

PLOTLY_BUNDLE = BUNDLE.rsplit("/", 1)[-1].removesuffix(".js")  # plotly-bar.min, hashed on build


def test_history_category_filter_narrows_the_rows(
    app: RunningApp, context: BrowserContext, page: Page, screenshot_dir: Path
) -> None:
    """The demo wallet has several categories; filtering by one shows only its entries."""
    settings = get_settings()
    sign_in(context, app.base_url, settings.demo_user_email, settings.demo_user_password)
    page.goto(f"{app.base_url}/credits?tab=history")
    all_rows = history_rows(page)

    page.locator("#history-category-filter").click()
    page.get_by_role("option", name="Subscriptions").click()

    rows = page.locator("#history-table .history-row")
    expect(rows).not_to_have_count(len(all_rows), timeout=TIMEOUT_MS)
    filtered = rows.all_inner_texts()
    assert 0 < len(filtered) < len(all_rows)
    assert all("Subscriptions" in row for row in filtered), filtered
    screenshot(page, screenshot_dir, "history-filtered")

    page.locator("#history-type-filter").click()
    page.get_by_role("option", name="Purchase").click()
    expect(page.locator("#history-empty")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_text("No transactions match these filters")).to_be_visible()
    page.get_by_role("button", name="Clear filters").click()
    expect(rows).to_have_count(len(all_rows), timeout=TIMEOUT_MS)


def test_usage_tab_charts_spending_made_through_the_service_api(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    context: BrowserContext,
    page: Page,
    screenshot_dir: Path,
) -> None:
    """A platform service spends via the REST API; the chart and breakdowns show it exactly."""
    user = api.register("usage")
    fund_user(user, "500")
    for category, amount, metadata in (
        ("marketplace", "25.5", {"orderId": 1}),
        ("ai_usage", "12.25", {"model": "gpt-4o-mini", "feature": "chat"}),
        ("premium_feature", "40", {}),
    ):
        response = api.service_deduct(
            {
                "wallet": {"type": "user", "id": user.id},
                "amount": amount,
                "category": category,
                "description": f"e2e {category}",
                "metadata": metadata,
            },
            idempotency_key=f"e2e-usage-{uuid.uuid4().hex}",
        )
        assert response.status_code == 200, response.text
    sign_in(context, app.base_url, user.email)

    page.goto(f"{app.base_url}/credits")
    wait_for_balance(page, "422.25")

    expect(page.locator("#usage-total")).to_contain_text("77.75 credits spent", timeout=TIMEOUT_MS)
    expect(page.locator("#usage-chart .barlayer .trace")).to_have_count(3, timeout=TIMEOUT_MS)
    expect(page.locator("#usage-chart .legend .traces")).to_have_count(3)
    categories = page.locator("#breakdown-categories .category-row")
    expect(categories).to_have_count(3)
    expect(categories.first).to_contain_text("Premium features")
    expect(categories.first).to_contain_text("40")
    expect(page.locator("#breakdown-ai")).to_contain_text("gpt-4o-mini")
    expect(page.locator("[data-feature=chat]")).to_contain_text("12.25")

    # Hover today's column (the last of 30): exact amounts, as on the rest of the page.
    plot_area = page.locator("#usage-chart .nsewdrag").first.bounding_box()
    assert plot_area is not None
    page.mouse.move(
        plot_area["x"] + plot_area["width"] * (1 - 1 / 60), plot_area["y"] + plot_area["height"] / 2
    )
    hover = page.locator("#usage-chart .hoverlayer")
    expect(hover).to_contain_text("Marketplace: 25.5 credits", timeout=5_000)
    expect(hover).to_contain_text("AI usage: 12.25 credits")
    screenshot(page, screenshot_dir, "usage-chart")

    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function(  # the chart follows the phone's width instead of overflowing
        "document.querySelector('#usage-chart .main-svg').getBoundingClientRect().width <= 390"
        " && document.documentElement.scrollWidth <= 390"
    )
    expect(page.locator("#usage-chart .barlayer .trace")).to_have_count(3)
    screenshot(page, screenshot_dir, "usage-chart-phone")


def test_plotly_is_fetched_only_once_the_page_is_usable_and_the_chart_is_in_view(
    app: RunningApp, browser: Browser, screenshot_dir: Path
) -> None:
    """Issue 16: the chart's Plotly bundle (half the page's JavaScript) must not load with the
    page. A window too short to show the chart: the balance shows, the network goes quiet,
    the browser idles, and still no Plotly, only a labelled skeleton of the chart's size;
    scrolling to it fetches Plotly once and draws the real chart in its place."""
    context = browser.new_context(viewport={"width": 1280, "height": 300})
    try:
        settings = get_settings()
        sign_in(context, app.base_url, settings.demo_user_email, settings.demo_user_password)
        page = context.new_page()
        bundle_requests: list[str] = []
        page.on(
            "request", lambda r: bundle_requests.append(r.url) if PLOTLY_BUNDLE in r.url else None
        )
        page.goto(f"{app.base_url}/credits")
        expect(page.locator("#credits-balance")).to_be_visible(timeout=TIMEOUT_MS)
        skeleton = page.locator("#usage-chart-placeholder")
        expect(skeleton).to_be_attached(timeout=TIMEOUT_MS)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(IDLE_TIMEOUT_MS + 1_000)  # past the idle callback's deadline

        assert bundle_requests == [], "Plotly was fetched for a chart nobody can see yet"
        expect(skeleton).to_have_attribute("aria-busy", "true")
        expect(skeleton).to_have_attribute("role", "img")
        expect(skeleton).to_have_attribute("aria-label", re.compile(r"Daily spending.*loading"))
        box = skeleton.bounding_box()
        assert box is not None and box["height"] == 320, box  # no jump when the chart replaces it

        skeleton.scroll_into_view_if_needed()
        expect(page.locator("#usage-chart .barlayer .trace").first).to_be_attached(
            timeout=TIMEOUT_MS
        )
        expect(skeleton).to_have_count(0)
        chart = page.get_by_role("img", name=re.compile(r"^Daily spending by category"))
        expect(chart.locator("#usage-chart .legend .traces").first).to_be_attached()
        assert len(bundle_requests) == 1, bundle_requests
        screenshot(page, screenshot_dir, "usage-chart-after-scroll")
    finally:
        context.close()


def test_history_search_detail_drawer_and_csv_export_of_the_filtered_rows(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    context: BrowserContext,
    page: Page,
    screenshot_dir: Path,
) -> None:
    user = api.register("tools")
    fund_user(user, "100")
    for amount, description, metadata in (
        ("1.5", "Render farm job", {"orderId": 7}),
        ("0.25", "Chat reply", {"model": "gpt-4o-mini", "inputTokens": 1200, "outputTokens": 34}),
        ("2", "Render preview", {}),
    ):
        response = api.service_deduct(
            {
                "wallet": {"type": "user", "id": user.id},
                "amount": amount,
                "category": "ai_usage" if "model" in metadata else "marketplace",
                "description": description,
                "metadata": metadata,
            },
            idempotency_key=f"e2e-tools-{uuid.uuid4().hex}",
        )
        assert response.status_code == 200, response.text
    sign_in(context, app.base_url, user.email)
    page.goto(f"{app.base_url}/credits?tab=history")
    rows = page.locator("#history-table .history-row")
    expect(rows).to_have_count(4, timeout=TIMEOUT_MS)

    page.locator("#history-search").fill("render")
    expect(rows).to_have_count(2, timeout=TIMEOUT_MS)
    assert all("Render" in text for text in rows.all_inner_texts())
    with page.expect_download() as download_info:
        page.locator("#history-export").click()
    exported = Path(download_info.value.path()).read_text(encoding="utf-8").splitlines()
    assert exported[0] == "id,created_at,type,category,amount,balance_after,description,metadata"
    assert sorted(line.split(",")[6] for line in exported[1:]) == [
        "Render farm job",
        "Render preview",
    ]

    page.locator("#history-search").fill("")
    expect(rows).to_have_count(4, timeout=TIMEOUT_MS)
    today = date.today().isoformat()
    page.locator("#history-from").fill(today)
    page.locator("#history-to").fill(today)
    expect(rows).to_have_count(4, timeout=TIMEOUT_MS)

    rows.filter(has_text="Chat reply").locator(".history-open").click()
    drawer = page.locator("#history-drawer")
    expect(drawer).to_be_visible()
    expect(drawer).to_contain_text("gpt-4o-mini")
    expect(drawer).to_contain_text("Input tokens")
    expect(drawer).to_contain_text("1,200")
    screenshot(page, screenshot_dir, "history-drawer")
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()


def test_dark_mode_follows_the_toggle_and_draws_the_chart_dark(
    app: RunningApp,
    ledger_engine: Engine,
    context: BrowserContext,
    page: Page,
    screenshot_dir: Path,
) -> None:
    settings = get_settings()
    sign_in(context, app.base_url, settings.demo_user_email, settings.demo_user_password)
    page.emulate_media(color_scheme="dark")  # the system says dark: the app follows
    page.goto(f"{app.base_url}/credits")
    expect(page.locator("html.dark")).to_have_count(1, timeout=TIMEOUT_MS)
    paper = page.locator("#usage-chart .main-svg").first
    expect(paper).to_be_attached(timeout=TIMEOUT_MS)
    expect(page.locator("#usage-chart .bg").first).to_be_attached()
    background = page.evaluate(
        "getComputedStyle(document.querySelector('#usage-chart .main-svg')).background"
        " || document.querySelector('#usage-chart .main-svg').style.background"
    )
    assert "17, 17, 19" in background, background  # styles.CHART_DARK_PAPER_COLOR (#111113)
    screenshot(page, screenshot_dir, "credits-dark")

    page.locator("#color-mode-toggle").click()  # remembered per browser, over the system's
    expect(page.locator("html.light")).to_have_count(1)
    page.reload()
    expect(page.locator("html.light")).to_have_count(1, timeout=TIMEOUT_MS)
    expect(page.locator("#usage-chart .main-svg").first).to_be_attached(timeout=TIMEOUT_MS)
    light = page.evaluate("document.querySelector('#usage-chart .main-svg').style.background")
    assert "252, 252, 253" in light, light  # styles.CHART_PAPER_COLOR (#FCFCFD)
