"""The 2Bot assistant's streamed replies, images and "read aloud", in a real browser.

The app runs with the local demo models (no AI_BASE_URL): replies stream word by word, images
are PNGs drawn on the server, speech is a real WAV. Each test checks what the browser shows
against the ledger, and that the header balance moves by exactly the charge without a reload.
"""

import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import Engine

from credits_app.credits import credit_service
from credits_app.credits.amounts import format_balance
from credits_app.credits.owners import WalletOwner
from tests.e2e.flows import TIMEOUT_MS, screenshot, wait_for_balance
from tests.e2e.test_ai_assistant import _open_assistant, _signed_in_page
from tests.support.api_client import ApiClient, ApiUser, decoded, fund_user
from tests.support.app_server import RunningApp
from tests.support.fake_openai import wav_of


def open_funded_assistant(
    app: RunningApp, api: ApiClient, context: BrowserContext, name: str
) -> tuple[ApiUser, Page, Locator]:
    """A new user with 10 credits, signed in on /credits, with the assistant open."""
    user = api.register(name)
    fund_user(user, "10")
    page = _signed_in_page(context, app, user)
    page.goto(f"{app.base_url}/credits")
    wait_for_balance(page, "10")
    return user, page, _open_assistant(page)


def test_a_reply_streams_in_before_its_charge_is_shown(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    context: BrowserContext,
    page: Page,
    screenshot_dir: Path,
) -> None:
    user, page, panel = open_funded_assistant(app, api, context, "stream")

    page.locator("#assistant-input").fill("Tell me about credit holds, please.")
    page.locator("#assistant-input").press("Enter")
    streaming = panel.locator("#assistant-streaming .assistant-reply-text")
    expect(streaming).not_to_be_empty(timeout=TIMEOUT_MS)
    early = streaming.inner_text()
    expect(panel.locator(".assistant-reply")).to_have_count(0)  # no charge shown yet
    screenshot(page, screenshot_dir, "assistant-7-streaming")

    reply = panel.locator(".assistant-reply").last
    expect(reply).to_be_visible(timeout=TIMEOUT_MS)
    final = reply.locator(".assistant-reply-text").inner_text()
    assert final.startswith(early.rstrip("…").strip()) and len(final) > len(early)
    assert "Tell me about credit holds, please." in final
    charged = Decimal(reply.locator(".assistant-reply-credits").inner_text())
    assert charged > 0
    assert credit_service.get_personal_balance(user.id) == Decimal(10) - charged
    wait_for_balance(page, format_balance(Decimal(10) - charged))


def test_image_mode_shows_the_price_then_the_picture_and_charges_it(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    context: BrowserContext,
    page: Page,
    screenshot_dir: Path,
) -> None:
    user, page, panel = open_funded_assistant(app, api, context, "painter")

    panel.locator("#assistant-mode").get_by_role("radio", name="Image").click()
    expect(panel.locator("#assistant-image-cost")).to_have_text("4")
    page.locator("#assistant-input").fill("A lighthouse at dusk")
    page.locator("#assistant-input").press("Enter")

    image = panel.locator(".assistant-reply-image")
    expect(image).to_be_visible(timeout=TIMEOUT_MS)
    page.wait_for_function("document.querySelector('.assistant-reply-image').naturalWidth === 1024")
    expect(panel.locator(".assistant-reply-credits").last).to_have_text("4")
    wait_for_balance(page, "6")
    expect(panel.locator("#assistant-balance")).to_have_text("6")
    assert credit_service.get_personal_balance(user.id) == Decimal(6)
    screenshot(page, screenshot_dir, "assistant-8-image")

    page.locator("#assistant-input").fill("Another one, please")  # 6 left: one more fits
    page.locator("#assistant-input").press("Enter")
    expect(panel.locator(".assistant-reply-image")).to_have_count(2, timeout=TIMEOUT_MS)
    wait_for_balance(page, "2")
    page.locator("#assistant-input").fill("And a third")  # 2 left: refused before drawing
    page.locator("#assistant-input").press("Enter")
    notice = panel.locator("#assistant-notice")
    expect(notice).to_have_attribute("data-kind", "insufficient_credits", timeout=TIMEOUT_MS)
    expect(notice).to_contain_text("the price of this image")
    assert credit_service.get_personal_balance(user.id) == Decimal(2)


def test_read_aloud_plays_the_reply_and_charges_per_character(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    context: BrowserContext,
    page: Page,
    screenshot_dir: Path,
) -> None:
    user, page, panel = open_funded_assistant(app, api, context, "listener")
    page.locator("#assistant-input").fill("Say hello")
    page.locator("#assistant-input").press("Enter")
    reply = panel.locator(".assistant-reply").last
    expect(reply).to_be_visible(timeout=TIMEOUT_MS)
    chat_charge = Decimal(reply.locator(".assistant-reply-credits").inner_text())
    text = reply.locator(".assistant-reply-text").inner_text()
    wait_for_balance(page, format_balance(Decimal(10) - chat_charge))

    reply.locator(".assistant-read-aloud").click()
    audio = reply.locator("audio.assistant-reply-audio")
    expect(audio).to_be_attached(timeout=TIMEOUT_MS)
    played = audio.evaluate(
        """async (el) => {
             el.muted = true;
             if (el.readyState < 1) {
               await new Promise((ok) => el.addEventListener('loadedmetadata', ok, {once: true}));
             }
             await el.play();
             return {duration: el.duration, playing: !el.paused};
           }"""
    )
    assert played["playing"] and 0 < played["duration"] <= 6
    speech = Decimal(reply.locator(".assistant-speech-credits").inner_text())
    [tts] = [
        item
        for item in credit_service.get_history(WalletOwner.user(user.id)).items
        if item.metadata.get("feature") == "tts"
    ]
    assert -tts.amount == speech > 0
    assert tts.metadata["characters"] >= len(text.strip())
    after = Decimal(10) - chat_charge - speech
    wait_for_balance(page, format_balance(after))
    assert credit_service.get_personal_balance(user.id) == after
    expect(reply.locator(".assistant-read-aloud")).to_have_count(0)  # read once, kept
    screenshot(page, screenshot_dir, "assistant-9-read-aloud")


def test_voice_input_is_transcribed_charged_and_answered(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    context: BrowserContext,
    page: Page,
    tmp_path: Path,
) -> None:
    user, page, panel = open_funded_assistant(app, api, context, "speaker")
    recording = tmp_path / "question.wav"
    recording.write_bytes(wav_of(30))  # half a minute: 0.3 credits at the demo's rate
    panel.locator("#assistant-upload input[type=file]").set_input_files(recording)
    voice = panel.locator(".assistant-user-message").first
    expect(voice.locator(".assistant-voice-credits")).to_have_text("0.3", timeout=TIMEOUT_MS)
    expect(voice).to_contain_text("demo transcription")
    reply = panel.locator(".assistant-reply").last
    expect(reply).to_be_visible(timeout=TIMEOUT_MS)
    charged = Decimal(reply.locator(".assistant-reply-credits").inner_text())
    after = Decimal(10) - Decimal("0.3") - charged
    wait_for_balance(page, format_balance(after))
    assert credit_service.get_personal_balance(user.id) == after


def test_conversations_are_stored_reopened_and_deleted(
    app: RunningApp,
    ledger_engine: Engine,
    api: ApiClient,
    context: BrowserContext,
    page: Page,
    screenshot_dir: Path,
) -> None:
    _user, page, panel = open_funded_assistant(app, api, context, "historian")
    page.locator("#assistant-input").fill("Remember this question")
    page.locator("#assistant-input").press("Enter")
    expect(panel.locator(".assistant-reply")).to_have_count(1, timeout=TIMEOUT_MS)
    panel.locator("#assistant-new-chat").click()
    expect(panel.locator("#assistant-welcome")).to_be_visible()

    panel.locator("#assistant-history").click()
    row = panel.locator(".assistant-conversation")
    expect(row).to_have_count(1, timeout=TIMEOUT_MS)
    expect(row).to_contain_text("Remember this question")
    expect(row).to_contain_text("2 messages")
    screenshot(page, screenshot_dir, "assistant-10-history")
    row.click()
    expect(panel.locator(".assistant-user-message")).to_contain_text("Remember this question")
    expect(panel.locator(".assistant-reply")).to_have_count(1)

    panel.locator("#assistant-history").click()
    panel.locator(".assistant-conversation-delete").click()
    expect(panel.locator("#assistant-history-empty")).to_be_visible(timeout=TIMEOUT_MS)


# The demo model repeats up to 1,000 characters of the question word by word (0.04 s a word),
# so this reply streams for about 7 s: long enough to close the tab well before its end.
LONG_QUESTION = " ".join(
    f"Step {n}: explain how a credit hold protects my wallet while replies stream."
    for n in range(1, 14)
)


def test_closing_the_tab_mid_stream_stops_the_reply_and_charges_only_what_was_produced(
    app: RunningApp, ledger_engine: Engine, api: ApiClient, context: BrowserContext, page: Page
) -> None:
    user, page, panel = open_funded_assistant(app, api, context, "leaver")
    page.locator("#assistant-input").fill(LONG_QUESTION)
    page.locator("#assistant-input").press("Enter")
    reply = panel.locator(".assistant-reply").last
    expect(reply).to_be_visible(timeout=TIMEOUT_MS)
    full_price = Decimal(reply.locator(".assistant-reply-credits").inner_text())

    panel.locator("#assistant-new-chat").click()  # the same prompt again, without history
    page.locator("#assistant-input").fill(LONG_QUESTION)
    page.locator("#assistant-input").press("Enter")
    streaming = panel.locator("#assistant-streaming .assistant-reply-text")
    expect(streaming).not_to_be_empty(timeout=TIMEOUT_MS)
    page.close()  # the tab goes away while the reply is still streaming

    usage = wait_for_usage_entries(user, 2)
    partial_price = -usage[0].amount
    print(f"full reply {full_price} credits, reply cut by closing the tab {partial_price}")
    assert 0 < partial_price < full_price, (partial_price, full_price)
    assert credit_service.get_personal_balance(user.id) == Decimal(10) - full_price - partial_price
    stopped = wait_for_stored_reply(api, user, "[stopped: the tab was closed]")
    assert stopped["creditsUsed"] == partial_price
    assert LONG_QUESTION not in stopped["content"], "cut before the echo of the question ended"


def wait_for_usage_entries(user: ApiUser, count: int) -> list[credit_service.HistoryItem]:
    """The wallet's `usage` entries, newest first, once there are `count` of them."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        page = credit_service.get_history(WalletOwner.user(user.id), type="usage", limit=10)
        if len(page.items) >= count or time.monotonic() > deadline:
            assert len(page.items) == count, page.items
            return page.items
        time.sleep(0.1)


def wait_for_stored_reply(api: ApiClient, user: ApiUser, marker: str) -> dict[str, Any]:
    """The stored assistant line containing `marker`, read over the conversations API."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        listed = api.http.get("/api/2bot-ai/conversations", headers=user.headers).json()
        for item in listed["items"]:
            read = api.http.get(f"/api/2bot-ai/conversations/{item['id']}", headers=user.headers)
            for message in decoded(read)["messages"]:
                if message["role"] == "assistant" and marker in message["content"]:
                    return dict(message)
        time.sleep(0.2)
    raise AssertionError(f"no stored reply contains {marker!r}")
