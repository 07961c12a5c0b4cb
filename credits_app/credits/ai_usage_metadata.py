"""The metadata an AI charge carries, checked when it is written so reports can sum it in SQL.

Any caller may spend in the `ai_usage` category (the 2Bot chat, the service API), so the keys
below are validated on every `ai_usage` ledger entry: a report must never trip over
`"inputTokens": "x"`. Other categories may use the same key names for their own purposes
(a premium feature's `"feature": "export"`): the AI reports read only `ai_usage` entries.
"""

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from credits_app.credits.errors import InvalidArgument

MODEL_KEY = "model"
FEATURE_KEY = "feature"
INPUT_TOKENS_KEY = "inputTokens"
OUTPUT_TOKENS_KEY = "outputTokens"
MAX_TOKENS = 10**12
MAX_MODEL_NAME_LENGTH = 200


class AiFeature(StrEnum):
    """What an AI charge paid for."""

    CHAT = "chat"
    IMAGE = "image"
    TTS = "tts"
    STT = "stt"


def validate_ai_metadata(metadata: Mapping[str, Any]) -> None:
    """Refuse AI keys of the wrong shape; other keys are the caller's own business."""
    model = metadata.get(MODEL_KEY)
    if model is not None and not (
        isinstance(model, str) and 0 < len(model) <= MAX_MODEL_NAME_LENGTH
    ):
        raise InvalidArgument(f"metadata.{MODEL_KEY} must be a model name (1-200 characters).")
    feature = metadata.get(FEATURE_KEY)
    # The str check comes first: a list or object is unhashable and must be refused, not crash.
    if feature is not None and not (isinstance(feature, str) and feature in set(AiFeature)):
        allowed = [f.value for f in AiFeature]
        raise InvalidArgument(f"metadata.{FEATURE_KEY} must be one of {allowed}.")
    for key in (INPUT_TOKENS_KEY, OUTPUT_TOKENS_KEY):
        tokens = metadata.get(key)
        if tokens is not None and not _is_token_count(tokens):
            raise InvalidArgument(f"metadata.{key} must be a whole number from 0 to {MAX_TOKENS}.")


def _is_token_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TOKENS
