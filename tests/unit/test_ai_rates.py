"""AI pricing from rates.toml: every rate kind, unknown models, and the round-up rule.

The rule (rates.toml, ai_credit_service.py, amounts.py): the exact cost is computed with Decimals
and rounded UP once, at the end, to the next unit of 0.0001 credit. An exact cost is never
rounded; the smallest non-zero charge is one unit.
"""

from decimal import Decimal
from pathlib import Path

import pytest

from credits_app.credits import ai_credit_service as rates
from credits_app.credits.ai_credit_service import (
    RATES_FILE,
    UnknownModel,
    chat_cost_units,
    image_cost_units,
    rate_card,
    stt_cost_units,
    tts_cost_units,
)
from credits_app.credits.amounts import UNITS_PER_CREDIT, units_to_credits
from credits_app.credits.errors import CreditsError, InvalidArgument


def units(credits: str) -> int:
    return int(Decimal(credits) * UNITS_PER_CREDIT)


# --- chat -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "input_tokens", "output_tokens", "expected_credits"),
    [
        ("gpt-4o-mini", 1000, 1000, "0.075"),  # 0.015 + 0.06
        ("gpt-4o-mini", 1000, 500, "0.045"),
        ("gpt-4o", 2000, 1000, "1.5"),  # 2 x 0.25 + 1.0
        ("demo-model", 100, 300, "0.05"),  # 0.005 + 0.045
        ("llama-3.1-8b-instruct", 10_000, 5_000, "0.2"),
        ("gpt-4o", 0, 0, "0"),
    ],
)
def test_chat_costs_are_the_rates_per_thousand_tokens(
    model: str, input_tokens: int, output_tokens: int, expected_credits: str
) -> None:
    assert chat_cost_units(model, input_tokens, output_tokens) == units(expected_credits)


def test_chat_rounds_up_to_the_next_ten_thousandth_of_a_credit() -> None:
    assert chat_cost_units("gpt-4o-mini", 1, 0) == 1  # 0.000015 credit -> 0.0001
    assert chat_cost_units("gpt-4o-mini", 0, 1) == 1  # 0.00006 -> 0.0001
    assert chat_cost_units("gpt-4o-mini", 7, 0) == 2  # 0.000105 -> 0.0002
    assert chat_cost_units("gpt-4o", 1, 1) == 13  # 0.00025 + 0.001 = 0.00125 -> 0.0013
    assert chat_cost_units("gpt-4o-mini", 1001, 0) == 151  # 0.015015 -> 0.0151


def test_chat_rounds_once_on_the_total_not_per_token_kind() -> None:
    # 1 input (0.000015) + 1 output (0.00006) = 0.000075 -> 1 unit; rounding each would give 2.
    # 3 input (0.000045) + 1 output = 0.000105 -> 2 units.
    assert chat_cost_units("gpt-4o-mini", 1, 1) == 1
    assert chat_cost_units("gpt-4o-mini", 3, 1) == 2


def test_chat_cost_is_exact_for_huge_counts() -> None:
    assert chat_cost_units("gpt-4o", 10**12, 10**12) == units("1250000000")


@pytest.mark.parametrize(("input_tokens", "output_tokens"), [(-1, 0), (0, -5), (True, 0)])
def test_chat_refuses_negative_or_non_integer_counts(input_tokens: int, output_tokens: int) -> None:
    with pytest.raises(InvalidArgument):
        chat_cost_units("gpt-4o", input_tokens, output_tokens)


# --- image ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "quality", "count", "expected_credits"),
    [
        ("1024x1024", "standard", 1, "4"),
        ("1024x1792", "standard", 1, "8"),
        ("1792x1024", "hd", 1, "12"),
        ("1024x1024", "hd", 3, "24"),
        ("1024x1024", "standard", 0, "0"),
    ],
)
def test_image_costs_are_per_image_by_size_and_quality(
    size: str, quality: str, count: int, expected_credits: str
) -> None:
    assert image_cost_units("dall-e-3", size, quality, count) == units(expected_credits)


def test_image_quality_defaults_to_standard() -> None:
    assert image_cost_units("dall-e-3", "1024x1024") == units("4")


def test_an_unpriced_image_size_or_quality_is_an_unknown_model() -> None:
    with pytest.raises(UnknownModel) as raised:
        image_cost_units("dall-e-3", "512x512")
    assert raised.value.code == "unknown_model"
    assert "1024x1024:standard" in raised.value.details["known"]
    with pytest.raises(UnknownModel):
        image_cost_units("dall-e-3", "1024x1024", "ultra")


def test_image_refuses_a_negative_count() -> None:
    with pytest.raises(InvalidArgument):
        image_cost_units("dall-e-3", "1024x1024", count=-1)


# --- tts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "characters", "expected_credits"),
    [
        ("tts-1", 1000, "1.5"),
        ("tts-1", 2500, "3.75"),
        ("tts-1-hd", 1000, "3"),
        ("tts-1", 1, "0.0015"),
        ("tts-1", 0, "0"),
    ],
)
def test_tts_costs_are_per_thousand_characters(
    model: str, characters: int, expected_credits: str
) -> None:
    assert tts_cost_units(model, characters) == units(expected_credits)


def test_tts_exact_costs_are_not_rounded() -> None:
    assert tts_cost_units("tts-1", 7) == 105  # 0.0105 exactly
    assert tts_cost_units("tts-1-hd", 333) == units("0.999")


def test_tts_rounds_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The listed TTS rates are multiples of 0.0001 per character, so they never need rounding;
    # a cheaper rate (0.01 per 1,000 characters = 0.00001 per character) does.
    card = tmp_path / "rates.toml"
    card.write_text('[tts."cheap"]\nper_1k_characters = "0.01"\n')
    monkeypatch.setattr(rates, "rate_card", lambda: rate_card(card))
    assert tts_cost_units("cheap", 1) == 1  # 0.00001 -> 0.0001
    assert tts_cost_units("cheap", 10) == 1  # 0.0001 exactly
    assert tts_cost_units("cheap", 11) == 2  # 0.00011 -> 0.0002


def test_tts_refuses_a_negative_length() -> None:
    with pytest.raises(InvalidArgument):
        tts_cost_units("tts-1", -1)


# --- stt --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "expected_credits"),
    [
        (60, "0.6"),
        (90, "0.9"),
        (1, "0.01"),  # per minute, prorated by the second
        (Decimal("0.5"), "0.005"),
        (0, "0"),
    ],
)
def test_stt_costs_are_per_minute_prorated_by_the_second(
    seconds: Decimal | int, expected_credits: str
) -> None:
    assert stt_cost_units("whisper-1", seconds) == units(expected_credits)


def test_stt_rounds_up() -> None:
    assert stt_cost_units("whisper-1", Decimal("0.001")) == 1  # 0.00001 credit -> 0.0001
    assert stt_cost_units("whisper-1", Decimal("1.001")) == 101  # 0.01001 -> 0.0101


@pytest.mark.parametrize("seconds", [Decimal(-1), Decimal("NaN"), Decimal("Infinity")])
def test_stt_refuses_negative_or_non_finite_durations(seconds: Decimal) -> None:
    with pytest.raises(InvalidArgument):
        stt_cost_units("whisper-1", seconds)


# --- unknown models, the rate card, the documented rule ---------------------------------------


@pytest.mark.parametrize(
    "price",
    [
        lambda: chat_cost_units("gpt-99", 1, 1),
        lambda: image_cost_units("midjourney", "1024x1024"),
        lambda: tts_cost_units("tts-99", 10),
        lambda: stt_cost_units("whisper-99", 10),
        lambda: rate_card().chat_rate("nope"),
    ],
    ids=["chat", "image", "tts", "stt", "chat_rate"],
)
def test_an_unknown_model_is_refused_with_code_unknown_model(price: object) -> None:
    assert callable(price)
    with pytest.raises(UnknownModel) as raised:
        price()
    error = raised.value
    assert isinstance(error, CreditsError)
    assert error.code == "unknown_model"
    assert isinstance(error.details["known"], list) and error.details["known"]


def test_every_rate_in_the_file_is_an_exact_non_negative_decimal() -> None:
    card = rate_card()
    assert {"demo-model", "gpt-4o-mini", "gpt-4o"} <= set(card.chat)
    assert set(card.image) == {"dall-e-3", "demo-image"}
    assert set(card.tts) == {"tts-1", "tts-1-hd", "demo-tts"}
    assert set(card.stt) == {"whisper-1", "demo-stt"}
    values = [
        v for r in card.chat.values() for v in (r.input_per_1k_tokens, r.output_per_1k_tokens)
    ]
    values += [v for variants in card.image.values() for v in variants.values()]
    values += [*card.tts.values(), *card.stt.values()]
    assert all(isinstance(v, Decimal) and v.is_finite() and v >= 0 for v in values)


def test_a_negative_rate_in_a_rates_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "rates.toml"
    bad.write_text('[chat."x"]\ninput_per_1k_tokens = "-1"\noutput_per_1k_tokens = "1"\n')
    with pytest.raises(ValueError):
        rate_card(bad)


def test_the_rounding_rule_is_written_down_where_the_rates_are() -> None:
    documented = RATES_FILE.read_text() + (rates.__doc__ or "")
    assert "round" in documented.lower() and "UP" in documented
    assert "0.0001" in documented


def test_units_show_as_credits_with_four_places() -> None:
    assert units_to_credits(chat_cost_units("gpt-4o-mini", 1, 0)) == Decimal("0.0001")
