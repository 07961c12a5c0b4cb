"""POST /api/2bot-ai/chat over real HTTP, with the app calling a fake OpenAI server over loopback.

`ai_api` is a second backend process (same database as `api`) started with AI_BASE_URL at the
fake server, AI_MODEL=gpt-4o-mini and a short provider timeout; `api` has no AI_BASE_URL and so
answers with the local demo model.
"""

import threading
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from credits_app.ai.chat import MAX_OUTPUT_TOKENS, TOKENS_PER_MESSAGE_OVERHEAD
from credits_app.ai.providers import DEMO_MODEL, estimate_tokens
from credits_app.credits.ai_credit_service import chat_cost_units
from credits_app.credits.amounts import units_to_credits
from credits_app.credits.credit_holds import holds
from credits_app.credits.wallet_service import WalletOwner, entries, wallets
from tests.integration.conftest import AI_TEST_MODEL, AI_TEST_TIMEOUT_SECONDS
from tests.support.api_client import (
    ApiClient,
    ApiUser,
    assert_error,
    decoded,
    fund_org,
    fund_user,
    no_cookie_jar,
)
from tests.support.fake_openai import CHAT_PATH, DEFAULT_REPLY, FAKE_API_KEY, FakeOpenAIServer
from tests.support.wallets import ledger_totals, wallet_state

CHAT = "/api/2bot-ai/chat"
QUESTION = "What is a credit?"
MESSAGES = [{"role": "user", "content": QUESTION}]


def post_chat(api: ApiClient, user: ApiUser, **body: Any) -> httpx.Response:
    return api.http.post(CHAT, json={"messages": MESSAGES} | body, headers=user.headers)


def cost(model: str, input_tokens: int, output_tokens: int) -> Decimal:
    return units_to_credits(chat_cost_units(model, input_tokens, output_tokens))


def worst_case_prompt_tokens(messages: list[dict[str, str]]) -> int:
    """The prompt estimate chat() holds for (chat.py's documented rule)."""
    return sum(estimate_tokens(m["content"]) + TOKENS_PER_MESSAGE_OVERHEAD for m in messages)


def usage_entries(api: ApiClient, user: ApiUser, org_id: int | None = None) -> list[Any]:
    path = "/api/credits/history" if org_id is None else f"/api/orgs/{org_id}/credits/history"
    response = api.http.get(path, params={"type": "usage"}, headers=user.headers)
    assert response.status_code == 200, response.text
    items: list[Any] = decoded(response)["items"]
    return items


def assert_nothing_charged(api: ApiClient, user: ApiUser, balance: Decimal) -> None:
    assert api.balance(user) == balance
    assert usage_entries(api, user) == []
    wallet = wallet_state(WalletOwner.user(user.id))
    assert wallet.held == 0
    totals = ledger_totals(WalletOwner.user(user.id))
    assert totals.balance == totals.ledger_sum


# --- the contract -----------------------------------------------------------------------------


def test_a_chat_returns_the_contract_shape_and_charges_the_rates(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("chatter")
    fund_user(user, "5")
    fake_openai.answer_with_usage(1000, 500)
    response = post_chat(ai_api, user)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = decoded(response)
    assert set(body) == {"message", "model", "usage", "creditsUsed", "newBalance"}
    assert body["message"] == {"role": "assistant", "content": DEFAULT_REPLY}
    assert body["model"] == AI_TEST_MODEL
    assert body["usage"] == {"inputTokens": 1000, "outputTokens": 500}
    expected = cost(AI_TEST_MODEL, 1000, 500)
    assert expected == Decimal("0.045")  # 1000 x 0.015/1k + 500 x 0.06/1k
    assert Decimal(body["creditsUsed"]) == expected
    assert Decimal(body["newBalance"]) == Decimal(5) - expected == ai_api.balance(user)
    [request] = fake_openai.requests
    assert request.path == CHAT_PATH
    assert request.authorization == f"Bearer {FAKE_API_KEY}"
    assert request.body == {
        "model": AI_TEST_MODEL,
        "messages": MESSAGES,
        "max_tokens": MAX_OUTPUT_TOKENS,
    }
    [entry] = usage_entries(ai_api, user)
    assert (entry["type"], entry["category"]) == ("usage", "ai_usage")
    assert Decimal(entry["amount"]) == -expected
    assert entry["metadata"] == {
        "model": AI_TEST_MODEL,
        "feature": "chat",
        "inputTokens": 1000,
        "outputTokens": 500,
    }


def test_the_client_may_pick_a_priced_model(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("picker")
    fund_user(user, "5")
    fake_openai.answer_with_usage(7, 3)
    response = post_chat(ai_api, user, model="gpt-4o")
    assert response.status_code == 200, response.text
    body = decoded(response)
    assert body["model"] == "gpt-4o"
    assert Decimal(body["creditsUsed"]) == cost("gpt-4o", 7, 3) == Decimal("0.0048")  # rounded up
    assert fake_openai.requests[0].body["model"] == "gpt-4o"


def test_a_conversation_is_sent_whole(ai_api: ApiClient, fake_openai: FakeOpenAIServer) -> None:
    user = ai_api.register("talker")
    fund_user(user, "5")
    messages = [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Bye"},
    ]
    response = ai_api.http.post(CHAT, json={"messages": messages}, headers=user.headers)
    assert response.status_code == 200, response.text
    assert fake_openai.requests[0].body["messages"] == messages


# --- refusals before the provider -------------------------------------------------------------


def test_402_when_the_wallet_cannot_cover_the_worst_case_and_no_provider_request(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("short")
    fund_user(user, "0.01")  # the worst case on gpt-4o-mini is about 0.0617
    error = assert_error(post_chat(ai_api, user), 402, "insufficient_credits")
    assert Decimal(str(error["details"]["available"])) == Decimal("0.01")
    assert fake_openai.requests == []
    assert_nothing_charged(ai_api, user, Decimal("0.01"))


def test_402_on_the_monthly_limit_and_no_provider_request(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("limited")
    fund_user(user, "100")
    response = ai_api.http.patch(
        "/api/credits/settings", json={"monthlyLimit": "0.01"}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    assert_error(post_chat(ai_api, user), 402, "monthly_limit_reached")
    assert fake_openai.requests == []
    assert_nothing_charged(ai_api, user, Decimal(100))


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"messages": []}, 422, "validation_error"),
        ({"messages": [{"role": "robot", "content": "hi"}]}, 422, "validation_error"),
        ({"messages": [{"role": "user", "content": ""}]}, 422, "validation_error"),
        ({"messages": MESSAGES, "model": "gpt-99"}, 400, "unknown_model"),
        ({"messages": [*MESSAGES, {"role": "assistant", "content": "x"}]}, 400, "invalid_argument"),
        ({"messages": MESSAGES, "orgId": 0}, 422, "validation_error"),
    ],
    ids=["no-messages", "bad-role", "empty-content", "unknown-model", "last-not-user", "org-0"],
)
def test_bad_input_is_refused_without_a_provider_request(
    ai_api: ApiClient,
    fake_openai: FakeOpenAIServer,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    user = ai_api.register("sloppy")
    fund_user(user, "5")
    response = ai_api.http.post(CHAT, json=body, headers=user.headers)
    assert_error(response, status, code)
    assert fake_openai.requests == []
    assert_nothing_charged(ai_api, user, Decimal(5))


def test_a_chat_needs_a_user(ai_api: ApiClient, fake_openai: FakeOpenAIServer) -> None:
    assert_error(ai_api.http.post(CHAT, json={"messages": MESSAGES}), 401, "not_authenticated")
    assert fake_openai.requests == []


# --- provider failures ------------------------------------------------------------------------


def test_a_provider_500_is_a_502_and_charges_nothing(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("unlucky")
    fund_user(user, "5")
    fake_openai.fail(500)
    error = assert_error(post_chat(ai_api, user), 502, "ai_provider_error")
    assert error["details"] == {"providerStatus": 500}
    assert len(fake_openai.requests) == 1
    assert_nothing_charged(ai_api, user, Decimal(5))


def test_a_provider_timeout_is_a_502_and_charges_nothing(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("patient")
    fund_user(user, "5")
    fake_openai.delay(AI_TEST_TIMEOUT_SECONDS + 1)
    started = time.monotonic()
    error = assert_error(post_chat(ai_api, user), 502, "ai_provider_error")
    assert time.monotonic() - started < AI_TEST_TIMEOUT_SECONDS + 1
    assert "timed out" in error["message"]
    assert len(fake_openai.requests) == 1
    assert_nothing_charged(ai_api, user, Decimal(5))


def test_a_malformed_provider_answer_is_a_502_and_charges_nothing(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("confused")
    fund_user(user, "5")
    fake_openai.malformed(b"<html>Bad gateway</html>")
    assert_error(post_chat(ai_api, user), 502, "ai_provider_error")
    assert_nothing_charged(ai_api, user, Decimal(5))


# --- org wallets ------------------------------------------------------------------------------


def test_a_member_chat_charges_the_org_wallet_not_the_personal_one(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    owner = ai_api.register("owner")
    member = ai_api.register("member")
    org = ai_api.create_org(owner, "Chatters")
    ai_api.add_member(owner, org["id"], member, "member")
    fund_org(org["id"], "5")
    fund_user(member, "3")
    fake_openai.answer_with_usage(400, 200)  # 0.006 + 0.012
    response = post_chat(ai_api, member, orgId=org["id"])
    assert response.status_code == 200, response.text
    assert Decimal(decoded(response)["newBalance"]) == Decimal("4.982")
    assert ai_api.balance(member, org_id=org["id"]) == Decimal("4.982")
    assert ai_api.balance(member) == Decimal(3)
    assert usage_entries(ai_api, member) == []
    [entry] = usage_entries(ai_api, owner, org_id=org["id"])
    assert entry["metadata"]["feature"] == "chat"


def test_an_outsider_gets_404_for_an_org_chat_and_nothing_happens(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    owner = ai_api.register("owner")
    outsider = ai_api.register("outsider")
    org = ai_api.create_org(owner, "Private")
    fund_org(org["id"], "5")
    fund_user(outsider, "5")
    assert_error(post_chat(ai_api, outsider, orgId=org["id"]), 404, "org_not_found")
    assert_error(post_chat(ai_api, outsider, orgId=2**31 - 1), 404, "org_not_found")
    assert fake_openai.requests == []
    assert ai_api.balance(owner, org_id=org["id"]) == Decimal(5)
    assert_nothing_charged(ai_api, outsider, Decimal(5))


# --- the reports ------------------------------------------------------------------------------


def test_tokens_and_usage_reflect_chats_by_model_and_feature(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("reporter")
    fund_user(user, "10")
    fake_openai.answer_with_usage(1000, 500)
    assert post_chat(ai_api, user).status_code == 200  # gpt-4o-mini: 0.045
    assert post_chat(ai_api, user).status_code == 200  # again: 0.045
    fake_openai.answer_with_usage(200, 100)
    assert post_chat(ai_api, user, model="gpt-4o").status_code == 200  # 0.05 + 0.1 = 0.15
    spent = Decimal("0.24")

    tokens = decoded(ai_api.http.get("/api/credits/tokens", headers=user.headers))
    assert (tokens["inputTokens"], tokens["outputTokens"], tokens["totalTokens"]) == (
        2200,
        1100,
        3300,
    )
    assert Decimal(tokens["creditsUsed"]) == spent
    assert Decimal(tokens["balance"]) == Decimal(10) - spent
    assert tokens["limit"] is None
    assert Decimal(tokens["percentUsed"]) == Decimal("2.40")  # used / (used + balance)

    usage = decoded(ai_api.http.get("/api/credits/usage", params={"days": 1}, headers=user.headers))
    assert Decimal(usage["totalUsed"]) == spent
    assert Decimal(usage["byCategory"]["ai_usage"]) == spent
    by_model = {model: Decimal(v) for model, v in usage["ai"]["byModel"].items()}
    assert by_model == {"gpt-4o-mini": Decimal("0.09"), "gpt-4o": Decimal("0.15")}
    assert Decimal(usage["ai"]["byFeature"]["chat"]) == spent
    assert {k: Decimal(v) for k, v in usage["ai"]["byFeature"].items() if k != "chat"} == {
        "image": 0,
        "tts": 0,
        "stt": 0,
    }


# --- the demo provider (the shared app has no AI_BASE_URL) ------------------------------------


def test_the_demo_model_answers_and_charges_when_no_provider_is_configured(api: ApiClient) -> None:
    user = api.register("demo")
    fund_user(user, "1")
    response = post_chat(api, user)
    assert response.status_code == 200, response.text
    body = decoded(response)
    assert body["model"] == DEMO_MODEL
    assert body["message"]["role"] == "assistant" and QUESTION in body["message"]["content"]
    usage = body["usage"]
    assert usage["inputTokens"] == estimate_tokens(QUESTION)
    assert 0 < usage["outputTokens"] <= MAX_OUTPUT_TOKENS
    charged = cost(DEMO_MODEL, usage["inputTokens"], usage["outputTokens"])
    assert Decimal(body["creditsUsed"]) == charged > 0
    assert Decimal(body["newBalance"]) == Decimal(1) - charged == api.balance(user)
    usage_report = decoded(api.http.get("/api/credits/usage", headers=user.headers))
    assert Decimal(usage_report["ai"]["byModel"][DEMO_MODEL]) == charged


def test_the_demo_model_also_refuses_with_402(api: ApiClient) -> None:
    user = api.register("demo-broke")
    assert_error(post_chat(api, user), 402, "insufficient_credits")


# --- real concurrency on Postgres -------------------------------------------------------------

CONCURRENT_CHATS = 20
AFFORDABLE_CHATS = 10


@pytest.mark.postgres
def test_twenty_concurrent_chats_on_a_wallet_for_ten_never_overdraw_it(
    postgres_url: str, ai_api: ApiClient, api_database_engine: Engine, fake_openai: FakeOpenAIServer
) -> None:
    """Funded for exactly 10 worst-case holds; the provider reports the worst case, so no
    settlement frees credits for a latecomer: exactly 10 succeed and 10 get 402."""
    user = ai_api.register("racer")
    prompt_tokens = worst_case_prompt_tokens(MESSAGES)
    worst = cost(AI_TEST_MODEL, prompt_tokens, MAX_OUTPUT_TOKENS)
    fund_user(user, str(worst * AFFORDABLE_CHATS))
    fake_openai.answer_with_usage(prompt_tokens, MAX_OUTPUT_TOKENS)
    fake_openai.delay(0.3)  # the admitted chats are all in flight while the rest arrive
    owner = WalletOwner.user(user.id)
    wallet_id = wallet_state(owner).id

    lowest: list[tuple[int, int]] = []  # (balance, balance - held) seen while the race runs
    racing = threading.Event()
    racing.set()

    def watch() -> None:
        with api_database_engine.connect() as connection:
            while racing.is_set():
                balance, held = connection.execute(
                    select(wallets.c.balance, wallets.c.held).where(wallets.c.id == wallet_id)
                ).one()
                lowest.append((balance, balance - held))
                connection.rollback()
                time.sleep(0.005)

    barrier = threading.Barrier(CONCURRENT_CHATS)
    statuses: list[int] = []

    def one_chat() -> None:
        with httpx.Client(
            base_url=str(ai_api.http.base_url), timeout=60, cookies=no_cookie_jar()
        ) as http:
            barrier.wait()
            response = http.post(CHAT, json={"messages": MESSAGES}, headers=user.headers)
            statuses.append(response.status_code)
            if response.status_code == 402:
                assert response.json()["error"]["code"] == "insufficient_credits"

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=one_chat) for _ in range(CONCURRENT_CHATS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    racing.clear()
    watcher.join(timeout=10)

    assert Counter(statuses) == {200: AFFORDABLE_CHATS, 402: CONCURRENT_CHATS - AFFORDABLE_CHATS}
    assert len(fake_openai.requests) == AFFORDABLE_CHATS  # the refused ones never reached it
    assert lowest and min(b for b, _ in lowest) >= 0 and min(a for _, a in lowest) >= 0
    totals = ledger_totals(owner)
    assert totals.balance == totals.ledger_sum == 0
    assert totals.entry_count == 1 + AFFORDABLE_CHATS
    with api_database_engine.connect() as connection:
        held, active = connection.execute(
            select(wallets.c.held, func.count(holds.c.id).filter(holds.c.status == "active"))
            .select_from(wallets.outerjoin(holds, holds.c.wallet_id == wallets.c.id))
            .where(wallets.c.id == wallet_id)
            .group_by(wallets.c.held)
        ).one()
        negative = connection.execute(
            select(func.count()).where(
                entries.c.wallet_id == wallet_id, entries.c.balance_after < 0
            )
        ).scalar_one()
    assert (held, active, negative) == (0, 0, 0)
