"""Voice input recorded from the microphone in a real browser, transcribed and charged.

Chromium runs with its fake capture device (a generated tone) and grants the microphone
without asking. The page records with MediaRecorder, encodes a WAV in the browser and uploads
it; the server measures the duration it charges for (it does not accept WebM, so a charge
proves the browser sent a WAV it could read).
"""

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, expect
from sqlalchemy import Engine

from credits_app.credits import credit_service
from credits_app.credits.amounts import format_balance
from credits_app.credits.owners import WalletOwner
from tests.e2e.conftest import CHROMIUM_ARGS, CHROMIUM_PATH, VIEWPORT
from tests.e2e.flows import TIMEOUT_MS, wait_for_balance
from tests.e2e.test_ai_assistant import _open_assistant, _signed_in_page
from tests.support.api_client import ApiClient, fund_user
from tests.support.app_server import RunningApp

FAKE_MICROPHONE = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
RECORD_SECONDS = 2.0


@pytest.fixture(scope="module")
def microphone_browser(playwright: Playwright) -> Iterator[Browser]:
    """A second Chromium with the fake microphone, from the run's one Playwright driver."""
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM_PATH, args=[*CHROMIUM_ARGS, *FAKE_MICROPHONE]
    )
    yield chromium
    chromium.close()


@pytest.fixture
def microphone_context(microphone_browser: Browser, app: RunningApp) -> Iterator[BrowserContext]:
    context = microphone_browser.new_context(viewport=VIEWPORT)
    context.grant_permissions(["microphone"], origin=app.base_url)
    yield context
    context.close()


def test_a_recording_from_the_microphone_is_transcribed_and_charged_by_its_measured_length(
    app: RunningApp, ledger_engine: Engine, api: ApiClient, microphone_context: BrowserContext
) -> None:
    user = api.register("recorder")
    fund_user(user, "10")
    page = _signed_in_page(microphone_context, app, user)
    page.goto(f"{app.base_url}/credits")
    wait_for_balance(page, "10")
    panel = _open_assistant(page)

    record = panel.locator("#assistant-record")
    expect(record).to_have_attribute("aria-pressed", "false")
    record.click()
    expect(record).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT_MS)
    expect(record).to_have_attribute("aria-label", "Stop recording and transcribe")
    time.sleep(RECORD_SECONDS)
    record.click()
    expect(record).to_have_attribute("aria-pressed", "false", timeout=TIMEOUT_MS)

    voice = panel.locator(".assistant-user-message").first
    expect(voice).to_contain_text("demo transcription", timeout=TIMEOUT_MS)
    expect(voice).to_contain_text("recording.wav")
    shown = Decimal(voice.locator(".assistant-voice-credits").inner_text())
    [entry] = [
        item
        for item in credit_service.get_history(WalletOwner.user(user.id), type="usage").items
        if item.metadata.get("feature") == "stt"
    ]
    measured = Decimal(entry.metadata["durationSeconds"])
    assert Decimal("1.0") <= measured <= Decimal(RECORD_SECONDS + 4), measured
    assert -entry.amount == shown > 0

    reply = panel.locator(".assistant-reply").last
    expect(reply).to_be_visible(timeout=TIMEOUT_MS)
    answered = Decimal(reply.locator(".assistant-reply-credits").inner_text())
    after = Decimal(10) - shown - answered
    wait_for_balance(page, format_balance(after))
    assert credit_service.get_personal_balance(user.id) == after
