"""The closed vocabularies of the ledger: what a spend was for, and what kind of entry it is."""

from enum import StrEnum

from credits_app.credits.errors import InvalidCategory, InvalidTransactionType


class CreditUsageCategory(StrEnum):
    """What credits were spent on; every deduction names one."""

    AI_USAGE = "ai_usage"
    MARKETPLACE = "marketplace"
    PREMIUM_FEATURE = "premium_feature"
    SUBSCRIPTION = "subscription"
    TRANSFER = "transfer"
    OTHER = "other"


class TransactionType(StrEnum):
    """The kind of ledger entry; corrections are new entries (refund, adjustment), never edits."""

    PURCHASE = "purchase"
    USAGE = "usage"
    GRANT = "grant"
    REFUND = "refund"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"
    EXPIRY = "expiry"
    ADJUSTMENT = "adjustment"


class LotSource(StrEnum):
    """Where the credits of a lot came from (DESIGN §3b)."""

    PURCHASE = "purchase"
    BONUS = "bonus"
    GRANT = "grant"
    PROMOTION = "promotion"
    TRANSFER = "transfer"
    REFUND = "refund"
    OPENING = "opening"


class OwnerKind(StrEnum):
    """Who a wallet belongs to. Personal and org wallets never fall back to each other."""

    USER = "user"
    ORG = "org"


def parse_category(value: str | CreditUsageCategory) -> CreditUsageCategory:
    """Turn client text into a category, or raise a typed error naming the allowed values."""
    try:
        return CreditUsageCategory(value)
    except ValueError:
        raise InvalidCategory(str(value), [c.value for c in CreditUsageCategory]) from None


def parse_transaction_type(value: str | TransactionType) -> TransactionType:
    """Turn client text into a transaction type, or raise a typed error."""
    try:
        return TransactionType(value)
    except ValueError:
        raise InvalidTransactionType(str(value), [t.value for t in TransactionType]) from None


def sql_in_list(values: type[StrEnum]) -> str:
    """The enum's values as a SQL IN list, so CHECK constraints follow the enums."""
    return ", ".join(f"'{member.value}'" for member in values)
