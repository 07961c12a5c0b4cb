"""The 2Bot media and streaming rules in-process: measured durations, demo media, stream charges.

Over HTTP these are covered by tests/integration/test_ai_media_api.py and
test_ai_streaming_api.py; here are the branches HTTP cannot reach cheaply: a stream that ends
without text, a stream abandoned by its consumer, a provider failing mid-stream, the per-user
slot count, and the audio formats' edge cases.
"""

import asyncio
import io
import wave
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import Engine

from credits_app.ai import request_slots
from credits_app.ai.audio_duration import InvalidAudio, UnsupportedAudioType, measure_audio
from credits_app.ai.chat_stream import chat_stream
from credits_app.ai.demo_media import draw_png, synthesize_wav
from credits_app.ai.providers import (
    ChatMessage,
    DemoProvider,
    ProviderError,
    StreamChunk,
    estimate_tokens,
)
from credits_app.credits import credit_service as credits
from credits_app.credits.amounts import units_to_credits
from credits_app.credits.wallet_service import WalletOwner
from credits_app.settings import get_settings
from tests.conftest import make_user
from tests.support.fake_openai import wav_of
from tests.support.wallets import ledger_totals, wallet_state

HELLO = [ChatMessage("user", "Hello there, model!")]


def funded(amount: str = "10") -> WalletOwner:
    user = make_user("streamer")
    credits.grant_personal_credits(user.id, amount, description="funding")
    return WalletOwner.user(user.id)


class Scripted(DemoProvider):
    """Streams the given chunks, optionally failing after them or waiting forever."""

    def __init__(self, chunks: list[StreamChunk], *, fail: bool = False, hang: bool = False):
        self.chunks, self.fail, self.hang = chunks, fail, hang

    async def stream(
        self, messages: list[ChatMessage], model: str, max_tokens: int
    ) -> AsyncIterator[StreamChunk]:
        for chunk in self.chunks:
            yield chunk
        if self.fail:
            raise ProviderError("The AI provider failed while answering.")
        if self.hang:
            await asyncio.sleep(3600)


def assert_balanced(owner: WalletOwner) -> None:
    totals = ledger_totals(owner)
    assert totals.balance == totals.ledger_sum
    assert wallet_state(owner).held == 0


# --- streaming charges ------------------------------------------------------------------------


async def consume(owner: WalletOwner, provider: Any, stop_after: int | None = None) -> Any:
    async with chat_stream(owner.id, HELLO, model="gpt-4o", provider=provider) as stream:
        try:
            async for index, _ in _enumerate(stream.deltas()):
                if stop_after is not None and index + 1 >= stop_after:
                    break
        except ProviderError:
            pass
    return await stream.finish()


async def _enumerate(items: AsyncIterator[str]) -> AsyncIterator[tuple[int, str]]:
    index = 0
    async for item in items:
        yield index, item
        index += 1


def test_a_stream_without_any_text_charges_nothing_and_releases_the_hold(
    any_engine: Engine,
) -> None:
    owner = funded("5")
    result = asyncio.run(consume(owner, Scripted([StreamChunk(usage=(10, 0))])))
    assert (result.credits_used, result.new_balance) == (Decimal(0), Decimal(5))
    assert_balanced(owner)


def test_a_provider_failing_mid_stream_charges_what_was_produced(any_engine: Engine) -> None:
    owner = funded("5")
    pieces = [StreamChunk(f" piece{i}") for i in range(12)]
    result = asyncio.run(consume(owner, Scripted(pieces, fail=True)))
    assert result.output_tokens == max(12, estimate_tokens("".join(c.delta for c in pieces)))
    assert result.credits_used > 0 and result.new_balance == Decimal(5) - result.credits_used
    assert_balanced(owner)


def test_an_abandoned_stream_is_charged_on_the_way_out_even_when_cancelled(
    any_engine: Engine,
) -> None:
    owner = funded("5")

    async def abandon() -> None:
        task = asyncio.create_task(
            consume(owner, Scripted([StreamChunk("one"), StreamChunk(" two")], hang=True))
        )
        while wallet_state(owner).held == 0 or (
            not task.done() and request_slots.in_flight(owner.id) == 0
        ):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # both pieces consumed, the provider now hangs
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(abandon())
    charged = Decimal(5) - units_to_credits(wallet_state(owner).balance)
    assert charged > 0  # a partial answer is never free
    assert_balanced(owner)
    assert request_slots.in_flight(owner.id) == 0


def test_a_stream_above_the_per_user_cap_is_refused_before_anything_is_held(
    any_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = funded("5")
    one_slot = get_settings().model_copy(
        update={"ai_max_concurrent_per_user": 1, "redis_url": None}
    )
    monkeypatch.setattr(request_slots, "get_settings", lambda: one_slot)

    async def two_at_once() -> None:
        async with chat_stream(
            owner.id, HELLO, model="gpt-4o", provider=Scripted([StreamChunk("a")])
        ):
            with pytest.raises(request_slots.TooManyAiRequests) as refused:
                async with chat_stream(owner.id, HELLO, model="gpt-4o", provider=Scripted([])):
                    pass
            assert refused.value.retry_after_seconds > 0

    asyncio.run(two_at_once())
    assert_balanced(owner)


# --- audio and demo media ---------------------------------------------------------------------


@pytest.mark.parametrize(("seconds", "rate"), [(1.5, 8000), (61.25, 16000), (0.001, 8000)])
def test_a_wav_duration_is_measured_from_its_frames(seconds: float, rate: int) -> None:
    measured = measure_audio(wav_of(seconds, rate), "audio/wav")
    assert measured.seconds == Decimal(str(seconds))
    assert measured.content_type == "audio/wav"


def test_a_stereo_wav_counts_frames_not_samples() -> None:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(10)
        writer.writeframes(bytes(4 * 25))
    assert measure_audio(out.getvalue(), "").seconds == Decimal("2.5")


def test_the_declared_type_must_be_audio_and_the_bytes_must_agree() -> None:
    with pytest.raises(UnsupportedAudioType):
        measure_audio(wav_of(1), "image/png")
    with pytest.raises(InvalidAudio):
        measure_audio(b"\x89PNG\r\n\x1a\n" + bytes(100), "audio/wav")


def test_the_demo_draws_a_png_of_the_asked_size_and_speaks_a_short_wav() -> None:
    picture = Image.open(io.BytesIO(draw_png("A blue whale", "1024x1792")))
    assert (picture.format, picture.size) == ("PNG", (1024, 1792))
    speech = synthesize_wav("one two three " * 100)
    assert 0 < measure_audio(speech, "audio/wav").seconds <= 6
