"""POST /api/2bot-ai/chat with "stream": true over real HTTP: SSE pieces, then the charge.

The app streams from the fake OpenAI server (`ai_api`) or the local demo model (`api`). Every
stream must end with the usage and the charge; a client that goes away mid-stream must cancel
the upstream request and pay for the tokens produced, never zero and never above the hold.
"""

import json
import time
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from credits_app.ai.chat import MAX_OUTPUT_TOKENS, TOKENS_PER_MESSAGE_OVERHEAD
from credits_app.ai.providers import estimate_tokens
from credits_app.credits.ai_credit_service import chat_cost_units
from credits_app.credits.amounts import units_to_credits
from credits_app.credits.credit_holds import holds
from credits_app.credits.wallet_service import WalletOwner
from credits_app.db import unit_of_work
from tests.integration.conftest import AI_TEST_MODEL
from tests.support.api_client import ApiClient, ApiUser, assert_error, decoded, fund_user
from tests.support.fake_openai import CHAT_PATH, DEFAULT_PIECES, FakeOpenAIServer
from tests.support.wallets import ledger_totals, wallet_state

CHAT = "/api/2bot-ai/chat"
QUESTION = "Stream me something."
MESSAGES = [{"role": "user", "content": QUESTION}]
WORST_CASE = units_to_credits(
    chat_cost_units(
        AI_TEST_MODEL, estimate_tokens(QUESTION) + TOKENS_PER_MESSAGE_OVERHEAD, MAX_OUTPUT_TOKENS
    )
)


def events_of(response: httpx.Response) -> list[dict[str, Any]]:
    return [
        json.loads(line[len("data: ") :], parse_float=Decimal)
        for line in response.iter_lines()
        if line.startswith("data: ")
    ]


def stream_chat(
    api: ApiClient, user: ApiUser, **body: Any
) -> tuple[httpx.Response, list[dict[str, Any]]]:
    with api.http.stream(
        "POST", CHAT, json={"messages": MESSAGES, "stream": True} | body, headers=user.headers
    ) as response:
        if response.status_code != 200:
            response.read()
            return response, []
        return response, events_of(response)


def wait_until_no_active_hold(owner: WalletOwner, seconds: float = 20) -> None:
    """The settlement is written after the server notices the disconnect; wait for it."""
    deadline = time.monotonic() + seconds
    wallet_id = wallet_state(owner).id
    while time.monotonic() < deadline:
        with unit_of_work() as db:
            statuses = (
                db.execute(select(holds.c.status).where(holds.c.wallet_id == wallet_id))
                .scalars()
                .all()
            )
        if statuses and "active" not in statuses:
            return
        time.sleep(0.05)
    raise AssertionError(f"the stream's hold is still active: {statuses}")


def test_a_streamed_reply_arrives_in_pieces_and_ends_with_usage_and_charge(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("streamer")
    fund_user(user, "5")
    fake_openai.answer_with_usage(1000, 500)
    response, events = stream_chat(ai_api, user)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    *pieces, done = events
    assert [p["delta"] for p in pieces] == list(DEFAULT_PIECES)
    expected = units_to_credits(chat_cost_units(AI_TEST_MODEL, 1000, 500))
    assert done == {
        "done": True,
        "usage": {"inputTokens": 1000, "outputTokens": 500},
        "creditsUsed": expected,
        "newBalance": Decimal(5) - expected,
    }
    assert ai_api.balance(user) == Decimal(5) - expected
    [request] = fake_openai.requests
    assert request.path == CHAT_PATH
    assert request.body["stream"] is True and request.body["stream_options"] == {
        "include_usage": True
    }
    history = decoded(
        ai_api.http.get("/api/credits/history", params={"type": "usage"}, headers=user.headers)
    )
    [entry] = history["items"]
    assert entry["metadata"]["feature"] == "chat" and entry["metadata"]["streamed"] is True
    assert wallet_state(WalletOwner.user(user.id)).held == 0


def test_without_provider_usage_the_streamed_text_is_counted_and_charged(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("uncounted")
    fund_user(user, "5")
    pieces = tuple(f" word{i}" for i in range(40))
    fake_openai.stream_with(pieces, send_usage=False)
    _, events = stream_chat(ai_api, user)
    done = events[-1]
    text = "".join(pieces)
    output = max(estimate_tokens(text), len(pieces))
    assert done["usage"] == {"inputTokens": estimate_tokens(QUESTION), "outputTokens": output}
    assert (
        done["creditsUsed"]
        == units_to_credits(chat_cost_units(AI_TEST_MODEL, estimate_tokens(QUESTION), output))
        > 0
    )


def test_absurd_or_negative_stream_usage_never_charges_beyond_the_hold_or_below_zero(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("absurd")
    fund_user(user, "5")
    fake_openai.answer_with_usage(10**9, 10**9)
    _, events = stream_chat(ai_api, user)
    assert events[-1]["creditsUsed"] == WORST_CASE  # capped at the hold
    fake_openai.answer_with_usage(-5, -1_000)  # dropped: counted from the stream instead
    _, events = stream_chat(ai_api, user)
    assert 0 < events[-1]["creditsUsed"] <= WORST_CASE
    totals = ledger_totals(WalletOwner.user(user.id))
    assert totals.balance == totals.ledger_sum and units_to_credits(totals.balance) < 5


def test_a_streamed_chat_the_wallet_cannot_cover_is_a_json_402_with_no_provider_request(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("short-stream")
    fund_user(user, "0.01")
    response, _ = stream_chat(ai_api, user)
    assert_error(response, 402, "insufficient_credits")
    assert fake_openai.requests == []


def test_a_provider_failing_before_the_first_piece_is_a_json_502_and_charges_nothing(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("failed-stream")
    fund_user(user, "5")
    fake_openai.fail(500)
    response, _ = stream_chat(ai_api, user)
    assert_error(response, 502, "ai_provider_error")
    assert ai_api.balance(user) == Decimal(5)
    assert wallet_state(WalletOwner.user(user.id)).held == 0


def test_a_client_that_disconnects_mid_stream_pays_for_the_produced_tokens_only(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    """Regression (new-api#5235): a disconnect used to hand back the whole reservation."""
    user = ai_api.register("leaver")
    fund_user(user, "5")
    total_pieces = 400
    fake_openai.stream_with(tuple(f" tok{i}" for i in range(total_pieces)), piece_delay=0.02)
    received: list[str] = []
    with ai_api.http.stream(
        "POST", CHAT, json={"messages": MESSAGES, "stream": True}, headers=user.headers
    ) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: "):
                received.append(json.loads(line[6:])["delta"])
            if len(received) == 5:
                break  # leaving the block closes the connection mid-stream
    owner = WalletOwner.user(user.id)
    wait_until_no_active_hold(owner)
    charged = Decimal(5) - ai_api.balance(user)
    assert 0 < charged <= WORST_CASE
    produced = fake_openai.pieces_sent
    assert 5 <= produced < total_pieces  # upstream stopped long before the end
    deadline = time.monotonic() + 10
    while fake_openai.stream_disconnects == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake_openai.stream_disconnects == 1
    history = decoded(
        ai_api.http.get("/api/credits/history", params={"type": "usage"}, headers=user.headers)
    )
    [entry] = history["items"]
    assert entry["metadata"]["complete"] is False
    assert entry["metadata"]["outputTokens"] >= len(received)
    assert wallet_state(owner).held == 0


def test_the_demo_model_streams_too(api: ApiClient) -> None:
    user = api.register("demo-stream")
    fund_user(user, "1")
    response, events = stream_chat(api, user)
    assert response.status_code == 200
    *pieces, done = events
    assert len(pieces) > 10 and QUESTION in "".join(p["delta"] for p in pieces)
    assert done["done"] is True and done["creditsUsed"] > 0
    assert done["newBalance"] == api.balance(user) == Decimal(1) - done["creditsUsed"]
