"""Saving a card and auto-recharge in a real browser, with the built-in Stripe simulator.

The e2e app runs no job worker of its own (tests run workers), so this test runs the real
worker in a thread, registered for the auto-recharge job and the simulator's webhook
deliveries only, on the app's database and with the same simulator configuration.
"""

import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine

from credits_app.billing.auto_recharge_runner import run_auto_recharge
from credits_app.billing.auto_recharge_trigger import AUTO_RECHARGE_JOB
from credits_app.billing.stripe_simulator import SIMULATED_EVENT_JOB
from credits_app.billing.stripe_simulator_delivery import deliver_simulated_event
from credits_app.jobs.registry import Registry
from credits_app.jobs.worker import Worker, WorkerOptions
from credits_app.settings import get_settings
from tests.e2e.flows import TIMEOUT_MS, screenshot, sign_in, wait_for_balance
from tests.support.api_client import ApiClient, ApiUser, fund_user
from tests.support.app_server import RunningApp


@pytest.fixture
def recharge_worker(ledger_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The real worker for the auto-recharge kinds, polling until the test ends."""
    monkeypatch.setenv("STRIPE_SIMULATOR", "true")
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    registry = Registry()
    registry.register(AUTO_RECHARGE_JOB, run_auto_recharge)
    registry.register(SIMULATED_EVENT_JOB, deliver_simulated_event)
    worker = Worker(registry, WorkerOptions(run_periodic=False, poll_seconds=0.2))
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            if not worker.run_due():
                stop.wait(0.2)

    thread = threading.Thread(target=loop, name="recharge-worker", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)
    get_settings.cache_clear()


def save_test_card(page: Page) -> None:
    """Settings tab → Save a card → the simulator's setup page → the default Visa 4242."""
    page.locator("#tab-settings").click()
    page.locator("#payment-method-add").click()
    page.wait_for_url(re.compile(r"/api/stripe-simulator/checkout/"), timeout=TIMEOUT_MS)
    expect(page.get_by_text("Test mode — no real card is saved")).to_be_visible()
    page.locator("#card").select_option("4242424242424242")
    page.get_by_role("button", name="Save card (test)").click()
    page.wait_for_url(re.compile(r"/credits/?\?tab=settings&card=saved"), timeout=TIMEOUT_MS)
    page.locator("#tab-settings").click()
    expect(page.locator("#payment-method-label")).to_have_text("Visa •••• 4242")


def fill_rule(page: Page, threshold: str, to: str, cap: str) -> None:
    page.locator("#auto-recharge-threshold").fill(threshold)
    page.locator("#auto-recharge-recharge-to").fill(to)
    page.locator("#auto-recharge-cap").fill(cap)
    page.locator("#auto-recharge-enabled").click()
    page.locator("#auto-recharge-save").click()


def spend(api: ApiClient, user: ApiUser, amount: str) -> None:
    response = api.service_deduct(
        {"wallet": {"type": "user", "id": user.id}, "amount": amount, "category": "marketplace"},
        idempotency_key=f"e2e-recharge-{uuid.uuid4().hex}",
    )
    assert response.status_code == 200, response.text


def test_save_a_card_enable_auto_recharge_and_a_spend_below_the_threshold_refills(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    context: BrowserContext,
    page: Page,
    screenshot_dir: Path,
    recharge_worker: None,
) -> None:
    user = api.register("recharge")
    fund_user(user, "300")
    sign_in(context, app.base_url, user.email)
    page.goto(f"{app.base_url}/credits")
    wait_for_balance(page, "300")
    save_test_card(page)
    fill_rule(page, "100", "500", "50.00")
    expect(page.get_by_text("Auto-recharge saved.")).to_be_visible()
    expect(page.locator("#auto-recharge-status")).to_have_text("Active")
    spend(api, user, "250")  # 50 left: below 100
    wait_for_balance(page, "500")
    page.reload()
    page.locator("#tab-settings").click()
    expect(page.locator("#auto-recharge-last-attempt")).to_contain_text("Succeeded")
    expect(page.locator("#auto-recharge-charged")).to_contain_text("$4.50 of $50.00")
    screenshot(page, screenshot_dir, "auto-recharge")


def test_enabling_below_the_threshold_asks_first_and_then_charges_now(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    context: BrowserContext,
    page: Page,
    recharge_worker: None,
) -> None:
    user = api.register("confirm")
    fund_user(user, "20")
    sign_in(context, app.base_url, user.email)
    page.goto(f"{app.base_url}/credits")
    wait_for_balance(page, "20")
    save_test_card(page)
    fill_rule(page, "100", "300", "50.00")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("charges the saved card right away")
    page.locator("#auto-recharge-confirm").click()
    expect(page.get_by_text("Auto-recharge saved.")).to_be_visible()
    wait_for_balance(page, "300")
