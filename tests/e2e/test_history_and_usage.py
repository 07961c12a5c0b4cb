"""The History and Usage tabs against real ledger data."""

import uuid
from datetime import date
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine

from credits_app.settings import get_settings
from tests.e2e.flows import TIMEOUT_MS, history_rows, screenshot, sign_in, wait_for_balance
from tests.support.api_client import ApiClient, fund_user
from tests.support.app_server import RunningApp


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
