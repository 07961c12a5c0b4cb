"""The credited chat: check the wallet, hold the most it can cost, ask the model, charge the truth.

1. Price the worst case (prompt estimate + `max_tokens` at the model's rates) and HOLD it on the
   wallet, atomically: concurrent chats each reserve their own share, so together they can
   never overdraw it. Not enough credits → 402 before the provider is called.
2. Call the provider.  Failure or timeout → release the hold, charge nothing.
3. Settle: charge the cost of the usage the provider reported (never more than the hold) as one
   `usage` entry in `ai_usage` with model/feature/token metadata, and release the rest. If the
   ledger refuses the settlement, the hold is released and the error raised: nothing charged.
"""

from dataclasses import dataclass
from decimal import Decimal

from credits_app.ai.providers import (
    ChatCompletion,
    ChatMessage,
    ChatProvider,
    configured_provider,
    estimate_tokens,
)
from credits_app.auth.organizations import require_member
from credits_app.credits import credit_holds
from credits_app.credits.ai_credit_service import chat_cost_units, rate_card
from credits_app.credits.ai_usage_metadata import AiFeature
from credits_app.credits.amounts import units_to_credits
from credits_app.credits.errors import InvalidArgument
from credits_app.credits.owners import WalletOwner

MAX_MESSAGES = 50
MAX_MESSAGE_CHARS = 32_000
MAX_OUTPUT_TOKENS = 1024
TOKENS_PER_MESSAGE_OVERHEAD = 8
ROLES = frozenset({"system", "user", "assistant"})


@dataclass(frozen=True)
class ChatResult:
    """What the chat endpoint returns: the reply, the usage charged and the balance after it."""

    message: ChatMessage
    model: str
    input_tokens: int
    output_tokens: int
    credits_used: Decimal
    new_balance: Decimal


def chat(
    user_id: int,
    messages: list[ChatMessage],
    *,
    model: str | None = None,
    org_id: int | None = None,
    provider: ChatProvider | None = None,
) -> ChatResult:
    """One credited chat turn for the user, paid from their wallet or (members) the org's."""
    _validate(messages)
    owner = WalletOwner.user(user_id)
    if org_id is not None:
        require_member(user_id, org_id)
        owner = WalletOwner.org(org_id)
    default_provider, default_model = configured_provider()
    provider = provider or default_provider
    model = model or default_model
    rate_card().chat_rate(model)  # unknown model → clear error before anything is held
    hold_id = credit_holds.place_hold(owner, _worst_case_units(messages, model))
    try:
        completion = provider.complete(messages, model, MAX_OUTPUT_TOKENS)
        return _settle(hold_id, completion, model)
    except BaseException:
        # Provider failure, or a settlement the ledger refused (e.g. the monthly limit was
        # lowered while the model worked): the caller gets an error and is charged nothing, so
        # the reservation goes back now instead of blocking the wallet until it expires.
        # A no-op when the hold is already closed.
        credit_holds.release_hold(hold_id)
        raise


def _settle(hold_id: int, completion: ChatCompletion, model: str) -> ChatResult:
    cost = chat_cost_units(model, completion.input_tokens, completion.output_tokens)
    settled = credit_holds.settle_hold(
        hold_id,
        cost,
        category="ai_usage",
        description=f"2Bot chat: {model}",
        metadata={
            "model": model,
            "feature": AiFeature.CHAT.value,
            "inputTokens": completion.input_tokens,
            "outputTokens": completion.output_tokens,
        },
    )
    return ChatResult(
        message=ChatMessage("assistant", completion.content),
        model=model,
        input_tokens=completion.input_tokens,
        output_tokens=completion.output_tokens,
        credits_used=units_to_credits(settled.charged),
        new_balance=units_to_credits(settled.balance_after),
    )


def _worst_case_units(messages: list[ChatMessage], model: str) -> int:
    """The most this turn can cost: a generous prompt estimate plus the full output budget."""
    prompt_tokens = sum(estimate_tokens(m.content) + TOKENS_PER_MESSAGE_OVERHEAD for m in messages)
    return chat_cost_units(model, prompt_tokens, MAX_OUTPUT_TOKENS)


def _validate(messages: list[ChatMessage]) -> None:
    if not 0 < len(messages) <= MAX_MESSAGES:
        raise InvalidArgument(f"Send 1 to {MAX_MESSAGES} messages.", field="messages")
    for message in messages:
        if message.role not in ROLES:
            raise InvalidArgument(f"role must be one of {sorted(ROLES)}.", field="messages.role")
        if not 0 < len(message.content) <= MAX_MESSAGE_CHARS:
            raise InvalidArgument(
                f"Each message needs 1 to {MAX_MESSAGE_CHARS} characters.",
                field="messages.content",
            )
    if messages[-1].role != "user":
        raise InvalidArgument("The last message must be the user's.", field="messages")
