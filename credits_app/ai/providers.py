"""Chat providers: any OpenAI-compatible server over HTTP, or the local demo model.

`AI_BASE_URL` (+ `AI_API_KEY`, `AI_MODEL`) selects a real server: OpenAI, vLLM, Ollama or a
llama.cpp server all speak `POST {base}/chat/completions` and report token usage, which is
what we charge for. Without it, the demo provider answers locally ("demo-model") and counts
tokens from the text, so `make run` works offline and its charges are real ledger entries.
"""

import math
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from credits_app.credits.ai_usage_metadata import MAX_TOKENS
from credits_app.credits.errors import CreditsError
from credits_app.settings import get_settings

DEMO_MODEL = "demo-model"
CHARS_PER_TOKEN = 4
CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 60.0


class ProviderError(CreditsError):
    """The AI provider failed or timed out; nothing was charged."""

    code = "ai_provider_error"


@dataclass(frozen=True)
class ChatMessage:
    role: str
    content: str


@dataclass(frozen=True)
class ChatCompletion:
    """The provider's answer and the usage it reports (what the charge is based on)."""

    content: str
    model: str
    input_tokens: int
    output_tokens: int


class ChatProvider(Protocol):
    def complete(
        self, messages: list[ChatMessage], model: str, max_tokens: int
    ) -> ChatCompletion: ...


class OpenAICompatibleProvider:
    """`POST {base_url}/chat/completions` with a bearer key, strict timeouts, clear errors.

    `timeout_seconds` bounds each read (and the connect, at most `CONNECT_TIMEOUT_SECONDS`);
    it comes from `AI_TIMEOUT_SECONDS`, so a hung provider fails fast and charges nothing.
    """

    def __init__(
        self, base_url: str, api_key: str | None, timeout_seconds: float = READ_TIMEOUT_SECONDS
    ) -> None:
        if not timeout_seconds > 0:
            raise ValueError("timeout_seconds must be positive")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout_seconds = timeout_seconds

    def complete(self, messages: list[ChatMessage], model: str, max_tokens: int) -> ChatCompletion:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {
            "model": model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
        }
        timeout = httpx.Timeout(
            self.timeout_seconds, connect=min(CONNECT_TIMEOUT_SECONDS, self.timeout_seconds)
        )
        try:
            response = httpx.post(
                f"{self.base_url}/chat/completions", json=body, headers=headers, timeout=timeout
            )
        except httpx.TimeoutException:
            raise ProviderError("The AI provider timed out; nothing was charged.") from None
        except httpx.HTTPError as error:
            raise ProviderError(f"The AI provider is unreachable ({error}).") from None
        if response.status_code != 200:
            raise ProviderError(
                f"The AI provider answered {response.status_code}; nothing was charged.",
                providerStatus=response.status_code,
            )
        return _parse_completion(response, model)


class DemoProvider:
    """Answers locally without a network: a friendly echo with honest token counts."""

    def complete(self, messages: list[ChatMessage], model: str, max_tokens: int) -> ChatCompletion:
        question = next((m.content for m in reversed(messages) if m.role == "user"), "")
        answer = (
            "I'm the 2Bot demo model, running locally with no AI provider configured. "
            f"You asked: “{question[:200]}”. Connect a real model with AI_BASE_URL, "
            "AI_API_KEY and AI_MODEL; every reply is charged in credits either way."
        )
        output_tokens = min(estimate_tokens(answer), max_tokens)
        return ChatCompletion(
            content=answer[: output_tokens * CHARS_PER_TOKEN],
            model=DEMO_MODEL,
            input_tokens=sum(estimate_tokens(m.content) for m in messages),
            output_tokens=output_tokens,
        )


def configured_provider() -> tuple[ChatProvider, str]:
    """The provider from the settings and its default model."""
    settings = get_settings()
    if settings.ai_base_url:
        return (
            OpenAICompatibleProvider(
                settings.ai_base_url, settings.ai_api_key, settings.ai_timeout_seconds
            ),
            settings.ai_model or "gpt-4o-mini",
        )
    return DemoProvider(), DEMO_MODEL


def estimate_tokens(text: str) -> int:
    """A generous token estimate from characters (about 4 per token in English)."""
    return max(1, math.ceil(len(text) / CHARS_PER_TOKEN))


def _parse_completion(response: httpx.Response, requested_model: str) -> ChatCompletion:
    try:
        body: dict[str, Any] = response.json()
        content = body["choices"][0]["message"]["content"] or ""
        usage = body["usage"]
        input_tokens, output_tokens = usage["prompt_tokens"], usage["completion_tokens"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise ProviderError("The AI provider sent an answer we cannot read.") from None
    if not all(_is_token_count(n) for n in (input_tokens, output_tokens)):
        raise ProviderError("The AI provider reported invalid token usage.")
    return ChatCompletion(
        content=str(content),
        model=str(body.get("model") or requested_model),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
    )


def _is_token_count(value: object) -> bool:
    """A usage figure we can charge and record: JSON `true` is not 1 token, and a count past the
    ledger's metadata bound (`MAX_TOKENS`) is the provider's error (502), not the caller's (400).
    Both used to pass here and then fail the settlement as `invalid_argument`."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TOKENS
