"""What every AI provider speaks: the messages, answers and errors of chat, images and speech.

One `AiProvider` covers the four features of 2Bot (chat, streamed chat, image, text to speech,
speech to text). Every method is async: a provider call waits on the network for seconds, and
waiting must not hold a worker thread that other requests need (issue 15: a 20 s provider
starved an unrelated deduction for 18 s while the calls were blocking).
"""

import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from credits_app.credits.ai_usage_metadata import MAX_TOKENS
from credits_app.credits.errors import CreditsError

DEMO_MODEL = "demo-model"
CHARS_PER_TOKEN = 4


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


@dataclass(frozen=True)
class StreamChunk:
    """One piece of a streamed reply: text, and/or the usage the provider reports at the end."""

    delta: str = ""
    usage: tuple[int, int] | None = None  # (input, output) tokens, when the provider sent them


@dataclass(frozen=True)
class SpeechAudio:
    """Synthesized speech as the provider returned it."""

    content_type: str
    data: bytes


@dataclass(frozen=True)
class ImageRequest:
    """What to draw: the prompt and the priced variant (size and quality) times `count`."""

    prompt: str
    model: str
    size: str
    quality: str
    count: int


class AiProvider(Protocol):
    """An OpenAI-compatible server, or the local demo model."""

    async def complete(
        self, messages: list[ChatMessage], model: str, max_tokens: int
    ) -> ChatCompletion: ...

    def stream(
        self, messages: list[ChatMessage], model: str, max_tokens: int
    ) -> AsyncIterator[StreamChunk]: ...

    async def generate_images(self, request: ImageRequest) -> list[bytes]: ...

    async def speak(self, text: str, model: str, voice: str) -> SpeechAudio: ...

    async def transcribe(
        self, audio: bytes, filename: str, content_type: str, model: str
    ) -> str: ...


ChatProvider = AiProvider  # the name the chat flow has always used


def estimate_tokens(text: str) -> int:
    """A generous token estimate from characters (about 4 per token in English)."""
    return max(1, math.ceil(len(text) / CHARS_PER_TOKEN))


def is_token_count(value: object) -> bool:
    """A usage figure we can charge and record: JSON `true` is not 1 token, a negative count
    would mint credits, and a count past the ledger's metadata bound (`MAX_TOKENS`) is the
    provider's error (502), not the caller's (400)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TOKENS
