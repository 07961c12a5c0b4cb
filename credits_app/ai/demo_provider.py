"""The local demo model: answers, streams, draws and speaks without any network.

Without `AI_BASE_URL` the app still runs every 2Bot feature for real (`make run` offline): the
chat echoes the question with honest token counts, streams it word by word, images are PNGs
drawn with Pillow, speech is a real WAV, and a transcript names the audio's measured length.
Each is priced from the rate card's demo models, so the charges are real ledger entries.
"""

import asyncio
from collections.abc import AsyncIterator

from credits_app.ai.demo_media import draw_png, synthesize_wav
from credits_app.ai.provider_types import (
    CHARS_PER_TOKEN,
    ChatCompletion,
    ChatMessage,
    ImageRequest,
    SpeechAudio,
    StreamChunk,
    estimate_tokens,
)

DEMO_IMAGE_MODEL = "demo-image"
DEMO_TTS_MODEL = "demo-tts"
DEMO_STT_MODEL = "demo-stt"
STREAM_WORD_SECONDS = 0.04  # how fast the demo "types" when streaming
ECHO_CHARS = 1000  # how much of the question the answer repeats (a long question streams long)


class DemoProvider:
    """A friendly echo with honest counts, and media made in-process."""

    async def complete(
        self, messages: list[ChatMessage], model: str, max_tokens: int
    ) -> ChatCompletion:
        answer = _answer(messages, max_tokens)
        return ChatCompletion(
            content=answer,
            model=model,
            input_tokens=sum(estimate_tokens(m.content) for m in messages),
            output_tokens=estimate_tokens(answer),
        )

    async def stream(
        self, messages: list[ChatMessage], model: str, max_tokens: int
    ) -> AsyncIterator[StreamChunk]:
        answer = _answer(messages, max_tokens)
        words = answer.split(" ")
        for index, word in enumerate(words):
            await asyncio.sleep(STREAM_WORD_SECONDS)
            yield StreamChunk(word if index == 0 else f" {word}")
        input_tokens = sum(estimate_tokens(m.content) for m in messages)
        yield StreamChunk(usage=(input_tokens, estimate_tokens(answer)))

    async def generate_images(self, request: ImageRequest) -> list[bytes]:
        # Drawing takes ~0.1 s of CPU per image: off the event loop.
        return [
            await asyncio.to_thread(draw_png, request.prompt, request.size)
            for _ in range(request.count)
        ]

    async def speak(self, text: str, model: str, voice: str) -> SpeechAudio:
        return SpeechAudio("audio/wav", await asyncio.to_thread(synthesize_wav, text))

    async def transcribe(self, audio: bytes, filename: str, content_type: str, model: str) -> str:
        return (
            "This is the 2Bot demo transcription: no speech model is configured, so it cannot "
            f"hear the words of {filename!r}. Connect one with AI_BASE_URL."
        )


def _answer(messages: list[ChatMessage], max_tokens: int) -> str:
    question = next((m.content for m in reversed(messages) if m.role == "user"), "")
    answer = (
        "I'm the 2Bot demo model, running locally with no AI provider configured. "
        f"You asked: “{question[:ECHO_CHARS]}”. Connect a real model with AI_BASE_URL, "
        "AI_API_KEY and AI_MODEL; every reply is charged in credits either way."
    )
    return answer[: max_tokens * CHARS_PER_TOKEN]
