"""The event types of DESIGN §4b and how each reads as a notification."""

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from credits_app.credits.amounts import format_balance
from credits_app.credits.errors import InvalidArgument


class EventType(StrEnum):
    """Every event an endpoint can subscribe to."""

    BALANCE_LOW = "balance.low"
    BALANCE_CRITICAL = "balance.critical"
    BALANCE_RECOVERED = "balance.recovered"
    MONTHLY_LIMIT_WARNING = "monthly_limit.warning"
    MONTHLY_LIMIT_REACHED = "monthly_limit.reached"
    CREDITS_EXPIRING = "credits.expiring"
    CREDITS_EXPIRED = "credits.expired"
    PURCHASE_COMPLETED = "purchase.completed"
    REFUND_CREATED = "refund.created"
    TRANSFER_SENT = "transfer.sent"
    TRANSFER_RECEIVED = "transfer.received"
    AUTO_RECHARGE_SUCCEEDED = "auto_recharge.succeeded"
    AUTO_RECHARGE_FAILED = "auto_recharge.failed"
    AUTO_RECHARGE_SUSPENDED = "auto_recharge.suspended"


# Title and body templates; `{wallet}` is "Your wallet" or "The <org> wallet", amounts are credits.
TEMPLATES: dict[EventType, tuple[str, str]] = {
    EventType.BALANCE_LOW: (
        "Balance is low",
        "{wallet} is down to {balance} credits, below the low threshold of {threshold}.",
    ),
    EventType.BALANCE_CRITICAL: (
        "Balance is critical",
        "{wallet} is down to {balance} credits, below the critical threshold of {threshold}.",
    ),
    EventType.BALANCE_RECOVERED: (
        "Balance recovered",
        "{wallet} is back to {balance} credits, above the low threshold of {threshold}.",
    ),
    EventType.MONTHLY_LIMIT_WARNING: (
        "80% of the monthly limit used",
        "{wallet} has used {used} of its {limit} credit monthly limit.",
    ),
    EventType.MONTHLY_LIMIT_REACHED: (
        "Monthly limit reached",
        "{wallet} has used its whole {limit} credit monthly limit; spending is paused.",
    ),
    EventType.CREDITS_EXPIRING: (
        "Credits expire soon",
        "{amount} credits in {wallet_lower} expire on {expiresAt}.",
    ),
    EventType.CREDITS_EXPIRED: ("Credits expired", "{amount} credits in {wallet_lower} expired."),
    EventType.PURCHASE_COMPLETED: (
        "Purchase completed",
        "{amount} credits were added to {wallet_lower}; the balance is {balance}.",
    ),
    EventType.REFUND_CREATED: (
        "Refund",
        "{amount} credits were refunded to {wallet_lower}; the balance is {balance}.",
    ),
    EventType.TRANSFER_SENT: (
        "Transfer sent",
        "{amount} credits left {wallet_lower}; the balance is {balance}.",
    ),
    EventType.TRANSFER_RECEIVED: (
        "Transfer received",
        "{amount} credits arrived in {wallet_lower}; the balance is {balance}.",
    ),
    EventType.AUTO_RECHARGE_SUCCEEDED: (
        "Auto-recharge succeeded",
        "{amount} credits were added to {wallet_lower} from the saved card.",
    ),
    EventType.AUTO_RECHARGE_FAILED: (
        "Auto-recharge failed",
        "{wallet} could not be recharged: {message}",
    ),
    EventType.AUTO_RECHARGE_SUSPENDED: (
        "Auto-recharge suspended",
        "Auto-recharge of {wallet_lower} is suspended after 3 failed charges in a row; "
        "save a different card to resume it.",
    ),
}

# What goes by email unless the user chooses otherwise: the events that need action.
DEFAULT_EMAIL_EVENTS = (
    EventType.BALANCE_LOW,
    EventType.BALANCE_CRITICAL,
    EventType.MONTHLY_LIMIT_REACHED,
    EventType.CREDITS_EXPIRING,
    EventType.AUTO_RECHARGE_FAILED,
    EventType.AUTO_RECHARGE_SUSPENDED,
)


def render(event: EventType, wallet_label: str, data: dict[str, object]) -> tuple[str, str]:
    """The notification's title and body for an event about the wallet named `wallet_label`."""
    title, body = TEMPLATES[event]
    values = {key: _display(key, value) for key, value in data.items()}
    lower = wallet_label[0].lower() + wallet_label[1:]
    return title, body.format_map(
        _Lenient(values | {"wallet": wallet_label, "wallet_lower": lower})
    )


AMOUNT_KEYS = frozenset({"amount", "balance", "previousBalance", "threshold", "used", "limit"})


def _display(key: str, value: object) -> object:
    """Amounts (exact decimal text in the event data) read as "1,250.5" in the message."""
    if key in AMOUNT_KEYS and isinstance(value, str):
        try:
            return format_balance(Decimal(value))
        except InvalidOperation:
            return value
    return value


class _Lenient(dict[str, object]):
    """A template value that is missing reads as "?" instead of failing the balance move."""

    def __missing__(self, key: str) -> str:
        return "?"


def parse_event_types(names: Iterable[str]) -> list[str]:
    """Sorted, de-duplicated event type names; an unknown one is a 400 naming the allowed."""
    known = {event.value for event in EventType}
    given = {str(name) for name in names}
    unknown = sorted(given - known)
    if unknown:
        raise InvalidArgument(
            f"Unknown event type {unknown[0]!r}.", field="events", allowed=sorted(known)
        )
    return sorted(given)
