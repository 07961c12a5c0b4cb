"""Which AI provider and models this process uses, from the settings.

`AI_BASE_URL` (+ `AI_API_KEY`, `AI_MODEL`, `AI_IMAGE_MODEL`, `AI_TTS_MODEL`, `AI_STT_MODEL`)
selects a real OpenAI-compatible server; without it the local demo provider answers with the
rate card's demo models, so `make run` works offline and its charges are real ledger entries.
The provider object is kept per configuration, so its HTTP connections are reused.
"""

from dataclasses import dataclass
from functools import lru_cache

from credits_app.ai.demo_provider import (
    DEMO_IMAGE_MODEL,
    DEMO_STT_MODEL,
    DEMO_TTS_MODEL,
    DemoProvider,
)
from credits_app.ai.openai_provider import OpenAICompatibleProvider
from credits_app.ai.provider_types import (
    CHARS_PER_TOKEN,
    DEMO_MODEL,
    AiProvider,
    ChatCompletion,
    ChatMessage,
    ChatProvider,
    ImageRequest,
    ProviderError,
    SpeechAudio,
    StreamChunk,
    estimate_tokens,
)
from credits_app.settings import get_settings

__all__ = [
    "CHARS_PER_TOKEN",
    "DEMO_MODEL",
    "AiModels",
    "AiProvider",
    "ChatCompletion",
    "ChatMessage",
    "ChatProvider",
    "DemoProvider",
    "ImageRequest",
    "OpenAICompatibleProvider",
    "ProviderError",
    "SpeechAudio",
    "StreamChunk",
    "configured_models",
    "configured_provider",
    "estimate_tokens",
]


@dataclass(frozen=True)
class AiModels:
    """The default model of each feature."""

    chat: str
    image: str
    tts: str
    stt: str


def configured_provider() -> tuple[AiProvider, str]:
    """The provider from the settings and its default chat model."""
    return _provider(*_connection()), configured_models().chat


def configured_models() -> AiModels:
    settings = get_settings()
    if settings.ai_base_url:
        return AiModels(
            chat=settings.ai_model or "gpt-4o-mini",
            image=settings.ai_image_model,
            tts=settings.ai_tts_model,
            stt=settings.ai_stt_model,
        )
    return AiModels(DEMO_MODEL, DEMO_IMAGE_MODEL, DEMO_TTS_MODEL, DEMO_STT_MODEL)


def _connection() -> tuple[str | None, str | None, float]:
    settings = get_settings()
    return settings.ai_base_url, settings.ai_api_key, settings.ai_timeout_seconds


@lru_cache(maxsize=8)
def _provider(base_url: str | None, api_key: str | None, timeout: float) -> AiProvider:
    if base_url:
        return OpenAICompatibleProvider(base_url, api_key, timeout)
    return DemoProvider()
