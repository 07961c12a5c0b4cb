"""The credited chat in-process: real HTTP to a fake OpenAI server on loopback, and the demo model.

What a chat turn must do (credits_app/ai/chat.py): refuse bad input and unknown models before
anything is held; hold the worst case (402 before the provider is called when it cannot); charge
exactly the rates for the usage the provider reports, as one `ai_usage` entry with model, feature
and token metadata; charge nothing and release the hold when the provider fails.
"""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select

from credits_app.ai import chat as chat_flow
from credits_app.ai.chat import MAX_OUTPUT_TOKENS, TOKENS_PER_MESSAGE_OVERHEAD, ChatResult
from credits_app.ai.providers import (
    DEMO_MODEL,
    ChatCompletion,
    ChatMessage,
    DemoProvider,
    OpenAICompatibleProvider,
    ProviderError,
    configured_provider,
    estimate_tokens,
)
from credits_app.api.routes.ai_chat import ChatIn
from credits_app.auth.errors import OrgNotFound
from credits_app.credits import credit_service as credits
from credits_app.credits.ai_credit_service import UnknownModel, chat_cost_units
from credits_app.credits.ai_usage_report import get_ai_usage, get_token_usage
from credits_app.credits.amounts import units_to_credits
from credits_app.credits.credit_holds import holds
from credits_app.credits.errors import InsufficientCredits, InvalidArgument, MonthlyLimitReached
from credits_app.credits.wallet_service import WalletOwner, entries
from credits_app.credits.wallet_settings import update_wallet_settings
from credits_app.db import unit_of_work
from credits_app.settings import get_settings
from tests.conftest import make_org, make_user
from tests.support.fake_openai import (
    CHAT_PATH,
    DEFAULT_REPLY,
    FAKE_API_KEY,
    FakeOpenAIServer,
    running_fake_openai,
)
from tests.support.wallets import ledger_totals, wallet_state

TIMEOUT_SECONDS = 0.5


def chat(*args: Any, **kwargs: Any) -> ChatResult:
    """The async chat turn, run to completion on a fresh event loop."""
    return asyncio.run(chat_flow.chat(*args, **kwargs))


HELLO = [ChatMessage("user", "Hello there, model!")]


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeOpenAIServer]:
    with running_fake_openai() as server:
        yield server


@pytest.fixture
def fake(fake_server: FakeOpenAIServer, any_engine: Engine) -> Iterator[FakeOpenAIServer]:
    """The module's fake server, clean for this test, and the test's database."""
    fake_server.reset()
    yield fake_server
    fake_server.reset()


@pytest.fixture
def provider(fake: FakeOpenAIServer) -> OpenAICompatibleProvider:
    return OpenAICompatibleProvider(fake.base_url, FAKE_API_KEY, timeout_seconds=TIMEOUT_SECONDS)


@pytest.fixture
def no_ai_configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process as the demo runs it: no AI_BASE_URL."""
    for name in ("AI_BASE_URL", "AI_API_KEY", "AI_MODEL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def funded_user(amount: str = "10") -> WalletOwner:
    user = make_user("chatter")
    credits.grant_personal_credits(user.id, amount, description="funding")
    return WalletOwner.user(user.id)


def worst_case_units(messages: list[ChatMessage], model: str) -> int:
    """What chat() holds, computed from its documented rule (prompt estimate + max output)."""
    prompt = sum(estimate_tokens(m.content) + TOKENS_PER_MESSAGE_OVERHEAD for m in messages)
    return chat_cost_units(model, prompt, MAX_OUTPUT_TOKENS)


def ai_entries(owner: WalletOwner) -> list[Any]:
    with unit_of_work() as db:
        wallet_id = wallet_state(owner, db).id
        return list(
            db.execute(
                select(entries).where(entries.c.wallet_id == wallet_id, entries.c.type == "usage")
            ).all()
        )


def hold_statuses(owner: WalletOwner) -> list[str]:
    with unit_of_work() as db:
        wallet_id = wallet_state(owner, db).id
        return list(
            db.execute(
                select(holds.c.status).where(holds.c.wallet_id == wallet_id).order_by(holds.c.id)
            ).scalars()
        )


def assert_untouched(owner: WalletOwner, balance: Decimal) -> None:
    """Nothing charged, nothing held, the ledger invariant intact."""
    wallet = wallet_state(owner)
    totals = ledger_totals(owner)
    assert units_to_credits(wallet.balance) == balance
    assert wallet.held == 0
    assert totals.balance == totals.ledger_sum
    assert ai_entries(owner) == []
    assert "active" not in hold_statuses(owner)


# --- charges equal the rates ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "prompt_tokens", "completion_tokens", "expected_cost"),
    [
        ("gpt-4o", 1234, 567, "0.8755"),  # 1234 x 0.25/1k + 567 x 1.0/1k
        ("gpt-4o-mini", 1000, 500, "0.045"),
        ("gpt-4o-mini", 1, 0, "0.0001"),  # 0.000015 rounds up to one unit
        ("llama-3.1-8b-instruct", 25, 30, "0.0009"),  # 0.00025 + 0.0006 = 0.00085 -> 0.0009
    ],
)
def test_charges_equal_the_rates_for_the_reported_usage(
    fake: FakeOpenAIServer,
    provider: OpenAICompatibleProvider,
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    expected_cost: str,
) -> None:
    owner = funded_user("10")
    fake.answer_with_usage(prompt_tokens, completion_tokens, reply="Hi! How can I help?")
    result = chat(owner.id, HELLO, model=model, provider=provider)
    cost = Decimal(expected_cost)
    assert result.credits_used == cost
    assert result.credits_used == units_to_credits(
        chat_cost_units(model, prompt_tokens, completion_tokens)
    )
    assert result.new_balance == Decimal(10) - cost
    assert (result.model, result.input_tokens, result.output_tokens) == (
        model,
        prompt_tokens,
        completion_tokens,
    )
    assert result.message == ChatMessage("assistant", "Hi! How can I help?")
    wallet = wallet_state(owner)
    assert (units_to_credits(wallet.balance), wallet.held) == (result.new_balance, 0)
    totals = ledger_totals(owner)
    assert totals.balance == totals.ledger_sum
    [entry] = ai_entries(owner)
    assert (entry.category, units_to_credits(-entry.amount)) == ("ai_usage", cost)
    assert units_to_credits(entry.balance_after) == result.new_balance
    assert entry.metadata == {
        "model": model,
        "feature": "chat",
        "inputTokens": prompt_tokens,
        "outputTokens": completion_tokens,
    }
    assert hold_statuses(owner) == ["settled"]


def test_the_provider_gets_the_messages_model_budget_and_key(
    fake: FakeOpenAIServer, provider: OpenAICompatibleProvider
) -> None:
    owner = funded_user()
    messages = [
        ChatMessage("system", "Be brief."),
        ChatMessage("user", "Hi"),
        ChatMessage("assistant", "Hello!"),
        ChatMessage("user", "What is 2 + 2?"),
    ]
    chat(owner.id, messages, model="gpt-4o-mini", provider=provider)
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", CHAT_PATH)
    assert request.authorization == f"Bearer {FAKE_API_KEY}"
    assert request.body == {
        "model": "gpt-4o-mini",
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "max_tokens": MAX_OUTPUT_TOKENS,
    }


def test_no_api_key_sends_no_authorization(fake: FakeOpenAIServer) -> None:
    owner = funded_user()
    chat(owner.id, HELLO, model="gpt-4o", provider=OpenAICompatibleProvider(fake.base_url, None))
    assert [r.authorization for r in fake.requests] == [None]


def test_the_worst_case_is_held_while_the_provider_works(any_engine: Engine) -> None:
    owner = funded_user()
    seen: list[int] = []

    class Watching(DemoProvider):
        async def complete(
            self, messages: list[ChatMessage], model: str, max_tokens: int
        ) -> ChatCompletion:
            seen.append(wallet_state(owner).held)
            return await super().complete(messages, model, max_tokens)

    chat(owner.id, HELLO, model=DEMO_MODEL, provider=Watching())
    assert seen == [worst_case_units(HELLO, DEMO_MODEL)]
    assert wallet_state(owner).held == 0


def test_usage_above_the_hold_is_capped_at_it_and_recorded(
    fake: FakeOpenAIServer, provider: OpenAICompatibleProvider
) -> None:
    owner = funded_user("100")
    fake.answer_with_usage(1_000_000, 1_000_000)
    result = chat(owner.id, HELLO, model="gpt-4o-mini", provider=provider)
    held = worst_case_units(HELLO, "gpt-4o-mini")
    assert result.credits_used == units_to_credits(held)
    [entry] = ai_entries(owner)
    assert entry.metadata["uncappedCredits"] == "75.0000"  # 15 + 60 credits, as reported
    assert entry.metadata["inputTokens"] == 1_000_000
    assert wallet_state(owner).held == 0


def test_zero_usage_charges_nothing_and_posts_no_entry(
    fake: FakeOpenAIServer, provider: OpenAICompatibleProvider
) -> None:
    owner = funded_user("5")
    fake.answer_with_usage(0, 0)
    result = chat(owner.id, HELLO, model="gpt-4o", provider=provider)
    assert (result.credits_used, result.new_balance) == (Decimal(0), Decimal(5))
    assert_untouched(owner, Decimal(5))
    assert hold_statuses(owner) == ["settled"]


def test_consecutive_chats_spend_down_the_balance(
    fake: FakeOpenAIServer, provider: OpenAICompatibleProvider
) -> None:
    owner = funded_user("5")
    fake.answer_with_usage(100, 100)  # 0.025 + 0.1 = 0.125 on gpt-4o
    balances = [
        chat(owner.id, HELLO, model="gpt-4o", provider=provider).new_balance for _ in range(3)
    ]
    assert balances == [Decimal("4.875"), Decimal("4.75"), Decimal("4.625")]
    assert len(ai_entries(owner)) == 3


# --- 402 before the provider is called --------------------------------------------------------


def test_a_wallet_that_cannot_cover_the_worst_case_gets_402_before_the_provider_is_called(
    fake: FakeOpenAIServer, provider: OpenAICompatibleProvider
) -> None:
    worst = units_to_credits(worst_case_units(HELLO, "gpt-4o"))
    owner = funded_user(str(worst - Decimal("0.0001")))
    with pytest.raises(InsufficientCredits) as raised:
        chat(owner.id, HELLO, model="gpt-4o", provider=provider)
    assert raised.value.code == "insufficient_credits"
    assert raised.value.required == worst
    assert fake.requests == []
    assert_untouched(owner, worst - Decimal("0.0001"))
    assert hold_statuses(owner) == []


def test_exactly_the_worst_case_is_enough(
    fake: FakeOpenAIServer, provider: OpenAICompatibleProvider
) -> None:
    worst = units_to_credits(worst_case_units(HELLO, "gpt-4o"))
    owner = funded_user(str(worst))
    fake.answer_with_usage(10, 10)
    result = chat(owner.id, HELLO, model="gpt-4o", provider=provider)
    assert result.new_balance == worst - Decimal("0.0125")
    assert len(fake.requests) == 1


def test_an_empty_wallet_gets_402_without_a_provider_request(
    fake: FakeOpenAIServer, provider: OpenAICompatibleProvider
) -> None:
    user = make_user("broke")
    with pytest.raises(InsufficientCredits):
        chat(user.id, HELLO, model="gpt-4o-mini", provider=provider)
    assert fake.requests == []


def test_the_monthly_limit_refuses_before_the_provider_is_called(
    fake: FakeOpenAIServer, provider: OpenAICompatibleProvider
) -> None:
    owner = funded_user("100")
    update_wallet_settings(owner, {"monthly_limit": "0.01"})
    with pytest.raises(MonthlyLimitReached) as raised:
        chat(owner.id, HELLO, model="gpt-4o", provider=provider)
    assert raised.value.code == "monthly_limit_reached"
    assert fake.requests == []
    assert_untouched(owner, Decimal(100))


# --- provider failures charge nothing ---------------------------------------------------------


def _assert_provider_failure_charges_nothing(
    fake: FakeOpenAIServer, provider: OpenAICompatibleProvider
) -> ProviderError:
    owner = funded_user("5")
    with pytest.raises(ProviderError) as raised:
        chat(owner.id, HELLO, model="gpt-4o", provider=provider)
    assert raised.value.code == "ai_provider_error"
    assert len(fake.requests) == 1  # it was asked, and failed
    assert_untouched(owner, Decimal(5))
    assert hold_statuses(owner) == ["released"]
    return raised.value


@pytest.mark.parametrize("status", [500, 502, 429, 401])
def test_a_provider_error_status_charges_nothing_and_releases_the_hold(
    fake: FakeOpenAIServer, provider: OpenAICompatibleProvider, status: int
) -> None:
    fake.fail(status)
    error = _assert_provider_failure_charges_nothing(fake, provider)
    assert error.details == {"providerStatus": status}


def test_a_provider_timeout_charges_nothing_and_releases_the_hold(
    fake: FakeOpenAIServer, provider: OpenAICompatibleProvider
) -> None:
    fake.delay(TIMEOUT_SECONDS * 3)
    error = _assert_provider_failure_charges_nothing(fake, provider)
    assert "timed out" in error.message


@pytest.mark.parametrize(
    "body",
    [
        b"this is not json",
        b"[]",
        b'{"choices": []}',
        b'{"choices": [{"message": {"role": "assistant", "content": "hi"}}]}',  # no usage
        b'{"choices": [{"message": {"content": "hi"}}], "usage": {"prompt_tokens": 1}}',
        b'{"choices": [{"message": {"content": "hi"}}],'
        b' "usage": {"prompt_tokens": -1, "completion_tokens": 2}}',
        b'{"choices": [{"message": {"content": "hi"}}],'
        b' "usage": {"prompt_tokens": "12", "completion_tokens": 2}}',
        b'{"choices": [{"message": {"content": "hi"}}],'
        b' "usage": {"prompt_tokens": 1.5, "completion_tokens": 2}}',
        b'{"choices": [{"message": {"content": "hi"}}],'
        b' "usage": {"prompt_tokens": true, "completion_tokens": 2}}',
        b'{"choices": [{"message": {"content": "hi"}}],'
        b' "usage": {"prompt_tokens": 1, "completion_tokens": 10000000000000}}',
    ],
    ids=[
        "not-json",
        "array",
        "no-choices",
        "no-usage",
        "half-usage",
        "negative",
        "string",
        "float",
        "boolean",
        "absurd",
    ],
)
def test_a_malformed_answer_charges_nothing_and_releases_the_hold(
    fake: FakeOpenAIServer, provider: OpenAICompatibleProvider, body: bytes
) -> None:
    fake.malformed(body)
    _assert_provider_failure_charges_nothing(fake, provider)


def test_an_unreachable_provider_charges_nothing(any_engine: Engine) -> None:
    owner = funded_user("5")
    nobody = OpenAICompatibleProvider("http://127.0.0.1:9/v1", None, timeout_seconds=1)
    with pytest.raises(ProviderError):
        chat(owner.id, HELLO, model="gpt-4o", provider=nobody)
    assert_untouched(owner, Decimal(5))


def test_an_unexpected_provider_crash_still_releases_the_hold(any_engine: Engine) -> None:
    owner = funded_user("5")

    class Crashing:
        async def complete(self, messages: list[ChatMessage], model: str, max_tokens: int) -> Any:
            raise RuntimeError("bug in a provider adapter")

    with pytest.raises(RuntimeError):
        chat(owner.id, HELLO, model="gpt-4o", provider=Crashing())
    assert_untouched(owner, Decimal(5))
    assert hold_statuses(owner) == ["released"]


@dataclass
class _LimitLowering:
    """A provider during whose call the owner lowers the wallet's monthly limit."""

    owner: WalletOwner
    calls: list[str] = field(default_factory=list)

    async def complete(
        self, messages: list[ChatMessage], model: str, max_tokens: int
    ) -> ChatCompletion:
        update_wallet_settings(self.owner, {"monthly_limit": "0.0001"})
        self.calls.append(model)
        return ChatCompletion("ok", model, 100, 100)


def test_a_settlement_the_ledger_refuses_releases_the_hold_and_charges_nothing(
    any_engine: Engine,
) -> None:
    """Regression: the hold used to stay active (credits blocked) until it expired."""
    owner = funded_user("10")
    update_wallet_settings(owner, {"monthly_limit": "10"})
    lowering = _LimitLowering(owner)
    with pytest.raises(MonthlyLimitReached):
        chat(owner.id, HELLO, model="gpt-4o", provider=lowering)
    assert lowering.calls == ["gpt-4o"]
    assert_untouched(owner, Decimal(10))
    assert hold_statuses(owner) == ["released"]


# --- refused input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("messages", "field_name"),
    [
        ([], "messages"),
        ([ChatMessage("user", "hi")] * 51, "messages"),
        ([ChatMessage("robot", "hi")], "messages.role"),
        ([ChatMessage("user", "")], "messages.content"),
        ([ChatMessage("user", "x" * 32_001)], "messages.content"),
        ([ChatMessage("user", "hi"), ChatMessage("assistant", "hello")], "messages"),
        ([ChatMessage("system", "be nice")], "messages"),
    ],
    ids=["none", "too-many", "role", "empty", "too-long", "ends-with-assistant", "system-only"],
)
def test_invalid_messages_are_refused_before_anything_is_held_or_sent(
    fake: FakeOpenAIServer,
    provider: OpenAICompatibleProvider,
    messages: list[ChatMessage],
    field_name: str,
) -> None:
    owner = funded_user("5")
    with pytest.raises(InvalidArgument) as raised:
        chat(owner.id, messages, model="gpt-4o", provider=provider)
    assert raised.value.details == {"field": field_name}
    assert fake.requests == []
    assert_untouched(owner, Decimal(5))
    assert hold_statuses(owner) == []


def test_the_longest_allowed_conversation_is_accepted(
    fake: FakeOpenAIServer, provider: OpenAICompatibleProvider
) -> None:
    owner = funded_user("100")
    messages = [ChatMessage("user", "x" * 32_000)] * 50
    result = chat(owner.id, messages, model="gpt-4o-mini", provider=provider)
    assert result.credits_used > 0


def test_an_unknown_model_is_refused_before_anything_is_held_or_sent(
    fake: FakeOpenAIServer, provider: OpenAICompatibleProvider
) -> None:
    owner = funded_user("5")
    with pytest.raises(UnknownModel) as raised:
        chat(owner.id, HELLO, model="gpt-99-ultra", provider=provider)
    assert raised.value.code == "unknown_model"
    assert "gpt-4o" in raised.value.details["known"]
    assert fake.requests == []
    assert_untouched(owner, Decimal(5))
    assert hold_statuses(owner) == []


# --- org wallets ------------------------------------------------------------------------------


def test_a_member_chats_on_the_org_wallet_and_not_their_own(
    fake: FakeOpenAIServer, provider: OpenAICompatibleProvider
) -> None:
    owner_user = make_user("owner")
    org = make_org(owner_user)
    credits.grant_org_credits(org.id, 5, description="funding")
    credits.grant_personal_credits(owner_user.id, 7, description="personal")
    fake.answer_with_usage(1000, 500)  # 0.25 + 0.5 credits on gpt-4o
    result = chat(owner_user.id, HELLO, model="gpt-4o", org_id=org.id, provider=provider)
    assert (result.credits_used, result.new_balance) == (Decimal("0.75"), Decimal("4.25"))
    assert credits.get_org_balance(org.id) == Decimal("4.25")
    assert credits.get_personal_balance(owner_user.id) == Decimal(7)
    [entry] = ai_entries(WalletOwner.org(org.id))
    assert entry.metadata["feature"] == "chat"


def test_an_outsider_cannot_chat_on_an_org_wallet(
    fake: FakeOpenAIServer, provider: OpenAICompatibleProvider
) -> None:
    owner_user = make_user("owner")
    org = make_org(owner_user)
    credits.grant_org_credits(org.id, 5, description="funding")
    outsider = funded_user("5")
    with pytest.raises(OrgNotFound) as raised:
        chat(outsider.id, HELLO, model="gpt-4o", org_id=org.id, provider=provider)
    assert raised.value.code == "org_not_found"
    assert fake.requests == []
    assert credits.get_org_balance(org.id) == Decimal(5)
    assert_untouched(outsider, Decimal(5))


def test_an_org_that_cannot_pay_gets_402_even_when_the_member_could(
    fake: FakeOpenAIServer, provider: OpenAICompatibleProvider
) -> None:
    owner_user = make_user("owner")
    org = make_org(owner_user)
    credits.grant_personal_credits(owner_user.id, 100, description="rich member")
    with pytest.raises(InsufficientCredits):
        chat(owner_user.id, HELLO, model="gpt-4o", org_id=org.id, provider=provider)
    assert fake.requests == []
    assert credits.get_personal_balance(owner_user.id) == Decimal(100)


# --- the demo provider and the configured provider --------------------------------------------


def test_the_demo_provider_answers_locally_and_charges_its_rates(
    no_ai_configured: None, any_engine: Engine
) -> None:
    owner = funded_user("1")
    result = chat(owner.id, HELLO)
    assert result.model == DEMO_MODEL
    assert result.message.role == "assistant" and "Hello there, model!" in result.message.content
    assert result.input_tokens == estimate_tokens(HELLO[0].content)
    assert 0 < result.output_tokens <= MAX_OUTPUT_TOKENS
    cost = units_to_credits(chat_cost_units(DEMO_MODEL, result.input_tokens, result.output_tokens))
    assert result.credits_used == cost > 0
    assert result.new_balance == Decimal(1) - cost
    [entry] = ai_entries(owner)
    assert entry.metadata == {
        "model": DEMO_MODEL,
        "feature": "chat",
        "inputTokens": result.input_tokens,
        "outputTokens": result.output_tokens,
    }


def test_the_demo_model_is_priced_in_the_rates_file(no_ai_configured: None) -> None:
    provider, model = configured_provider()
    assert isinstance(provider, DemoProvider) and model == DEMO_MODEL
    assert chat_cost_units(model, 1000, 1000) > 0


def test_the_configured_provider_reads_url_key_model_and_timeout(
    monkeypatch: pytest.MonkeyPatch, fake: FakeOpenAIServer
) -> None:
    monkeypatch.setenv("AI_BASE_URL", fake.base_url)
    monkeypatch.setenv("AI_API_KEY", "sk-from-env")
    monkeypatch.setenv("AI_MODEL", "llama-3.1-8b-instruct")
    monkeypatch.setenv("AI_TIMEOUT_SECONDS", "0.25")
    get_settings.cache_clear()
    try:
        provider, model = configured_provider()
        assert isinstance(provider, OpenAICompatibleProvider)
        assert (provider.base_url, provider.api_key, provider.timeout_seconds, model) == (
            fake.base_url,
            "sk-from-env",
            0.25,
            "llama-3.1-8b-instruct",
        )
        owner = funded_user("1")
        fake.answer_with_usage(500, 500)
        result = chat(owner.id, HELLO)  # everything from the environment
        assert (result.model, result.credits_used) == ("llama-3.1-8b-instruct", Decimal("0.015"))
        assert result.message.content == DEFAULT_REPLY
        assert [r.authorization for r in fake.requests] == ["Bearer sk-from-env"]
    finally:
        get_settings.cache_clear()


def test_a_non_positive_timeout_is_refused() -> None:
    with pytest.raises(ValueError):
        OpenAICompatibleProvider("http://127.0.0.1:1/v1", None, timeout_seconds=0)


# --- the reports see the chats ----------------------------------------------------------------


def test_usage_and_token_reports_reflect_chats_by_model_and_feature(
    fake: FakeOpenAIServer, provider: OpenAICompatibleProvider
) -> None:
    owner = funded_user("10")
    fake.answer_with_usage(1000, 500)
    chat(owner.id, HELLO, model="gpt-4o", provider=provider)  # 0.25 + 0.5 = 0.75
    fake.answer_with_usage(2000, 500)
    chat(owner.id, HELLO, model="gpt-4o-mini", provider=provider)  # 0.03 + 0.03 = 0.06
    report = get_ai_usage(owner, days=1)
    assert report.by_model == {"gpt-4o": Decimal("0.75"), "gpt-4o-mini": Decimal("0.06")}
    assert report.by_feature == {
        "chat": Decimal("0.81"),
        "image": Decimal(0),
        "tts": Decimal(0),
        "stt": Decimal(0),
    }
    tokens = get_token_usage(owner)
    assert (tokens.input_tokens, tokens.output_tokens, tokens.total_tokens) == (3000, 1000, 4000)
    assert (tokens.credits_used, tokens.balance) == (Decimal("0.81"), Decimal("9.19"))


def test_the_route_admits_exactly_what_the_chat_accepts() -> None:
    """The HTTP door and the service agree on the limits, so the route never lets through
    input the service refuses (nor refuses input it would take)."""
    schema = ChatIn.model_json_schema()
    messages = schema["properties"]["messages"]
    content = schema["$defs"]["MessageIn"]["properties"]["content"]
    role = schema["$defs"]["MessageIn"]["properties"]["role"]
    assert (messages["minItems"], messages["maxItems"]) == (1, chat_flow.MAX_MESSAGES)
    assert (content["minLength"], content["maxLength"]) == (1, chat_flow.MAX_MESSAGE_CHARS)
    assert set(role["enum"]) == chat_flow.ROLES
