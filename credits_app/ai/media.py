"""Credited images, text to speech and speech to text: priced up front, held, then settled.

Each price is known before the provider is called (images: size and quality per image, times n;
speech: characters; transcription: the duration the server measured), so the hold is exactly
that price and `credited_call` settles what was delivered: for images, the price of the images
that actually came back (never more than asked for); for speech and transcripts, the quoted
price. Nothing is charged when the provider fails.
"""

from dataclasses import dataclass
from decimal import Decimal

from credits_app.ai.audio_duration import AudioTooLarge, MeasuredAudio, measure_audio
from credits_app.ai.credited import Charge, credited_call, wallet_owner
from credits_app.ai.providers import (
    AiProvider,
    ImageRequest,
    SpeechAudio,
    configured_models,
    configured_provider,
)
from credits_app.credits.ai_credit_service import image_cost_units, stt_cost_units, tts_cost_units
from credits_app.credits.ai_usage_metadata import AiFeature
from credits_app.credits.amounts import units_to_credits
from credits_app.credits.errors import InvalidArgument

MAX_PROMPT_CHARS = 4000
MAX_IMAGES = 4
IMAGE_QUALITIES = ("standard", "hd")
DEFAULT_IMAGE_SIZE = "1024x1024"
MAX_SPEECH_CHARS = 4096
VOICES = ("alloy", "echo", "fable", "onyx", "nova", "shimmer")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Paid:
    """What any credited media call charged and the wallet's balance after it."""

    model: str
    credits_used: Decimal
    new_balance: Decimal


@dataclass(frozen=True)
class ImageResult(Paid):
    images: list[bytes]


@dataclass(frozen=True)
class SpeechResult(Paid):
    audio: SpeechAudio
    characters: int


@dataclass(frozen=True)
class TranscriptResult(Paid):
    text: str
    duration_seconds: Decimal


def image_quote(size: str, quality: str, count: int, model: str | None = None) -> Decimal:
    """What an image request will cost (shown before it is sent)."""
    return units_to_credits(
        image_cost_units(model or configured_models().image, size, quality, count)
    )


def speech_quote(text: str, model: str | None = None) -> Decimal:
    """What reading `text` aloud will cost."""
    return units_to_credits(tts_cost_units(model or configured_models().tts, len(text)))


async def generate_image(
    user_id: int,
    prompt: str,
    *,
    size: str = DEFAULT_IMAGE_SIZE,
    quality: str = "standard",
    count: int = 1,
    org_id: int | None = None,
    provider: AiProvider | None = None,
) -> ImageResult:
    """Images for the prompt, paid per image delivered; 402 before the provider when short."""
    prompt = prompt.strip()
    if not 0 < len(prompt) <= MAX_PROMPT_CHARS:
        raise InvalidArgument(
            f"The prompt needs 1 to {MAX_PROMPT_CHARS} characters.", field="prompt"
        )
    if quality not in IMAGE_QUALITIES:
        raise InvalidArgument(f"quality must be one of {list(IMAGE_QUALITIES)}.", field="quality")
    if isinstance(count, bool) or not 1 <= count <= MAX_IMAGES:
        raise InvalidArgument(f"n must be 1 to {MAX_IMAGES}.", field="n")
    model = configured_models().image
    hold = image_cost_units(model, size, quality, count)  # unknown size: clear 400 first
    provider = provider or configured_provider()[0]
    owner = await wallet_owner(user_id, org_id)
    request = ImageRequest(prompt, model, size, quality, count)

    def price(images: list[bytes]) -> Charge:
        delivered = min(len(images), count)
        return Charge(
            image_cost_units(model, size, quality, delivered),
            f"2Bot image: {model} {size} {quality} x{delivered}",
            {
                "model": model,
                "feature": AiFeature.IMAGE.value,
                "size": size,
                "quality": quality,
                "images": delivered,
            },
        )

    images, settled = await credited_call(
        user_id, owner, hold, lambda: provider.generate_images(request), price
    )
    return ImageResult(
        model,
        units_to_credits(settled.charged),
        units_to_credits(settled.balance_after),
        images=images[:count],
    )


async def text_to_speech(
    user_id: int,
    text: str,
    *,
    voice: str = "alloy",
    org_id: int | None = None,
    provider: AiProvider | None = None,
) -> SpeechResult:
    """The text read aloud, paid per 1K characters."""
    if not 0 < len(text) <= MAX_SPEECH_CHARS or not text.strip():
        raise InvalidArgument(f"The text needs 1 to {MAX_SPEECH_CHARS} characters.", field="text")
    if voice not in VOICES:
        raise InvalidArgument(f"voice must be one of {list(VOICES)}.", field="voice")
    model = configured_models().tts
    units = tts_cost_units(model, len(text))
    provider = provider or configured_provider()[0]
    owner = await wallet_owner(user_id, org_id)

    def price(audio: SpeechAudio) -> Charge:
        return Charge(
            units,
            f"2Bot speech: {model}, {len(text)} characters",
            {"model": model, "feature": AiFeature.TTS.value, "characters": len(text)},
        )

    audio, settled = await credited_call(
        user_id, owner, units, lambda: provider.speak(text, model, voice), price
    )
    return SpeechResult(
        model,
        units_to_credits(settled.charged),
        units_to_credits(settled.balance_after),
        audio=audio,
        characters=len(text),
    )


async def speech_to_text(
    user_id: int,
    audio: bytes,
    *,
    filename: str = "audio",
    content_type: str = "",
    org_id: int | None = None,
    provider: AiProvider | None = None,
) -> TranscriptResult:
    """The transcript of an upload, paid per minute of audio as the server measured it."""
    if len(audio) > MAX_UPLOAD_BYTES:
        raise AudioTooLarge(MAX_UPLOAD_BYTES)
    measured: MeasuredAudio = measure_audio(audio, content_type)
    model = configured_models().stt
    units = stt_cost_units(model, measured.seconds)
    provider = provider or configured_provider()[0]
    owner = await wallet_owner(user_id, org_id)
    name = (filename or "audio").rsplit("/", 1)[-1][:200] or "audio"

    def price(text: str) -> Charge:
        return Charge(
            units,
            f"2Bot transcription: {model}, {measured.seconds} s",
            {
                "model": model,
                "feature": AiFeature.STT.value,
                "durationSeconds": str(measured.seconds),
            },
        )

    text, settled = await credited_call(
        user_id,
        owner,
        max(units, 1),
        lambda: provider.transcribe(audio, name, measured.content_type, model),
        price,
    )
    return TranscriptResult(
        model,
        units_to_credits(settled.charged),
        units_to_credits(settled.balance_after),
        text=text,
        duration_seconds=measured.seconds,
    )
