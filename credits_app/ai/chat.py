"""The credited chat turn: hold the worst case, ask the model, charge the reported usage.

The money rule is `credited.credited_call` (shared with images and speech). The worst case is a
generous prompt estimate plus `max_tokens` at the model's rates; the charge is the usage the
provider reported (validated as whole, non-negative counts, and capped at the hold).
"""

from dataclasses import dataclass
from decimal import Decimal

from credits_app.ai.credited import Charge, credited_call, wallet_owner
from credits_app.ai.providers import (
    AiProvider,
    ChatCompletion,
    ChatMessage,
    configured_provider,
    estimate_tokens,
)
from credits_app.credits.ai_credit_service import chat_cost_units, rate_card
from credits_app.credits.ai_usage_metadata import AiFeature
from credits_app.credits.amounts import units_to_credits
from credits_app.credits.errors import InvalidArgument

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


async def chat(
    user_id: int,
    messages: list[ChatMessage],
    *,
    model: str | None = None,
    org_id: int | None = None,
    provider: AiProvider | None = None,
) -> ChatResult:
    """One credited chat turn for the user, paid from their wallet or (members) the org's."""
    validate_messages(messages)
    provider, model = resolve_chat_model(model, provider)
    owner = await wallet_owner(user_id, org_id)

    def price(completion: ChatCompletion) -> Charge:
        return chat_charge(model, completion.input_tokens, completion.output_tokens)

    completion, settled = await credited_call(
        user_id,
        owner,
        worst_case_units(messages, model),
        lambda: provider.complete(messages, model, MAX_OUTPUT_TOKENS),
        price,
    )
    return ChatResult(
        message=ChatMessage("assistant", completion.content),
        model=model,
        input_tokens=completion.input_tokens,
        output_tokens=completion.output_tokens,
        credits_used=units_to_credits(settled.charged),
        new_balance=units_to_credits(settled.balance_after),
    )


def resolve_chat_model(model: str | None, provider: AiProvider | None) -> tuple[AiProvider, str]:
    """The provider and model to use; an unknown model is a clear error before anything is held."""
    default_provider, default_model = configured_provider()
    model = model or default_model
    rate_card().chat_rate(model)
    return provider or default_provider, model


def chat_charge(model: str, input_tokens: int, output_tokens: int, **extra: object) -> Charge:
    """The ledger entry of a chat turn with these token counts."""
    return Charge(
        chat_cost_units(model, input_tokens, output_tokens),
        f"2Bot chat: {model}",
        {
            "model": model,
            "feature": AiFeature.CHAT.value,
            "inputTokens": input_tokens,
            "outputTokens": output_tokens,
            **extra,
        },
    )


def worst_case_units(messages: list[ChatMessage], model: str) -> int:
    """The most this turn can cost: a generous prompt estimate plus the full output budget."""
    return chat_cost_units(model, prompt_estimate(messages), MAX_OUTPUT_TOKENS)


def prompt_estimate(messages: list[ChatMessage]) -> int:
    """Tokens the prompt can take at most: ~4 characters a token plus a per-message overhead."""
    return sum(estimate_tokens(m.content) + TOKENS_PER_MESSAGE_OVERHEAD for m in messages)


def validate_messages(messages: list[ChatMessage]) -> None:
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
