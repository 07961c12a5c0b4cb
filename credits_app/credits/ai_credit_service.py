"""AI pricing: tokens, images, characters and minutes turned into credit units.

Rates live in `credits_app/ai/rates.toml` (exact decimal strings). The rounding rule is the one
of `amounts.py`: the exact cost is computed with Decimals and rounded UP once, at the end, to
the next unit (0.0001 credit), so a charge is never understated and never rounded twice.
"""

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from credits_app.credits.amounts import ceil_to_units
from credits_app.credits.errors import CreditsError, InvalidArgument

RATES_FILE = Path(__file__).resolve().parents[1] / "ai" / "rates.toml"
THOUSAND = Decimal(1000)
SECONDS_PER_MINUTE = Decimal(60)


class UnknownModel(CreditsError):
    """The model (or image size/quality) has no rate, so it cannot be priced or used."""

    code = "unknown_model"

    def __init__(self, kind: str, model: str, known: list[str]) -> None:
        super().__init__(f"No {kind} rate for model {model!r}.", model=model, known=known)


@dataclass(frozen=True)
class ChatRate:
    """Credits per 1,000 input and per 1,000 output tokens."""

    input_per_1k_tokens: Decimal
    output_per_1k_tokens: Decimal


@dataclass(frozen=True)
class RateCard:
    """Every rate, by feature and model."""

    chat: dict[str, ChatRate]
    image: dict[str, dict[str, Decimal]]  # model -> "size:quality" -> credits per image
    tts: dict[str, Decimal]  # model -> credits per 1,000 characters
    stt: dict[str, Decimal]  # model -> credits per minute

    def chat_rate(self, model: str) -> ChatRate:
        if model not in self.chat:
            raise UnknownModel("chat", model, sorted(self.chat))
        return self.chat[model]


@cache
def rate_card(path: Path = RATES_FILE) -> RateCard:
    """The rates file, parsed once; every value must be an exact, non-negative decimal string."""
    raw = tomllib.loads(path.read_text())
    return RateCard(
        chat={
            model: ChatRate(
                _rate(rates["input_per_1k_tokens"]), _rate(rates["output_per_1k_tokens"])
            )
            for model, rates in raw.get("chat", {}).items()
        },
        image={
            model: {variant: _rate(price) for variant, price in variants.items()}
            for model, variants in raw.get("image", {}).items()
        },
        tts={model: _rate(r["per_1k_characters"]) for model, r in raw.get("tts", {}).items()},
        stt={model: _rate(r["per_minute"]) for model, r in raw.get("stt", {}).items()},
    )


def chat_cost_units(model: str, input_tokens: int, output_tokens: int) -> int:
    """Units for a chat completion with the token counts the provider reported."""
    rate = rate_card().chat_rate(model)
    _require_counts(input_tokens=input_tokens, output_tokens=output_tokens)
    cost = (
        input_tokens * rate.input_per_1k_tokens + output_tokens * rate.output_per_1k_tokens
    ) / THOUSAND
    return ceil_to_units(cost)


def image_cost_units(model: str, size: str, quality: str = "standard", count: int = 1) -> int:
    """Units for `count` images of one size and quality."""
    variants = rate_card().image.get(model)
    if variants is None:
        raise UnknownModel("image", model, sorted(rate_card().image))
    variant = f"{size}:{quality}"
    if variant not in variants:
        raise UnknownModel("image", f"{model} {variant}", sorted(variants))
    _require_counts(count=count)
    return ceil_to_units(variants[variant] * count)


def tts_cost_units(model: str, characters: int) -> int:
    """Units for speaking `characters` characters of text."""
    rate = rate_card().tts.get(model)
    if rate is None:
        raise UnknownModel("tts", model, sorted(rate_card().tts))
    _require_counts(characters=characters)
    return ceil_to_units(characters * rate / THOUSAND)


def stt_cost_units(model: str, seconds: Decimal | int) -> int:
    """Units for transcribing `seconds` of audio (per-minute rate, prorated by the second)."""
    rate = rate_card().stt.get(model)
    if rate is None:
        raise UnknownModel("stt", model, sorted(rate_card().stt))
    duration = Decimal(seconds)
    if not duration.is_finite() or duration < 0:
        raise InvalidArgument("seconds must be a finite, non-negative number.")
    return ceil_to_units(duration * rate / SECONDS_PER_MINUTE)


def _rate(text: str) -> Decimal:
    value = Decimal(str(text))
    if not value.is_finite() or value < 0:
        raise ValueError(f"AI rate {text!r} must be a non-negative decimal")
    return value


def _require_counts(**counts: int) -> None:
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidArgument(f"{name} must be a whole number of at least 0.")
