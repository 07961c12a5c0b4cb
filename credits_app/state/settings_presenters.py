"""The Settings tab's form <-> the wallet settings service, as pure functions.

Fields are validated with the same `parse_credits` the API and the service use (one rule), so
the form refuses exactly what the API refuses; this only says which field was wrong.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from credits_app.credits.amounts import parse_credits
from credits_app.credits.errors import CreditsError
from credits_app.credits.wallet_settings import SettingsChange, WalletSettings

FIELDS = ("monthly_limit", "low_threshold", "critical_threshold")
API_NAMES = {"monthlyLimit": "monthly_limit", "lowThreshold": "low_threshold"}
API_NAMES["criticalThreshold"] = "critical_threshold"


@dataclass(frozen=True)
class SettingsForm:
    """What the inputs hold: plain decimal text, "" for "none"."""

    monthly_limit: str = ""
    low_threshold: str = ""
    critical_threshold: str = ""


@dataclass(frozen=True)
class FormCheck:
    """The change to send, or the message per field that is wrong."""

    change: SettingsChange
    errors: dict[str, str] = field(default_factory=dict)


def input_text(value: Decimal | None) -> str:
    """A stored amount as input text: 12.5000 -> "12.5", None -> ""."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def form_of(settings: WalletSettings) -> SettingsForm:
    """The inputs' text for the stored settings."""
    return SettingsForm(
        input_text(settings.monthly_limit),
        input_text(settings.low_threshold),
        input_text(settings.critical_threshold),
    )


def check_form(form: SettingsForm) -> FormCheck:
    """Every field parsed as the API parses it; an empty field clears that setting."""
    change: SettingsChange = {}
    errors: dict[str, str] = {}
    for name in FIELDS:
        text = getattr(form, name).strip()
        if not text:
            change[name] = None  # type: ignore[literal-required]
            continue
        try:
            parse_credits(text)
        except CreditsError as error:
            errors[name] = error.message
            continue
        change[name] = text  # type: ignore[literal-required]
    return FormCheck(change, errors)


def field_of(error: CreditsError) -> str:
    """The form field a service error names (its `field` detail), else the limit."""
    named = str(error.details.get("field", ""))
    return API_NAMES.get(named, named if named in FIELDS else "monthly_limit")
