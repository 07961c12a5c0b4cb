"""The History tab as the table, the phone list and the detail drawer show it.

Times travel as ISO 8601 UTC: the browser shows them in the viewer's own zone, with the UTC
moment on hover (components/local_time.py). Purchase entries are named after their package as
the rest of the app names it ("Pro package"), whatever the stored description says.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from credits_app.credits.amounts import SCALE, format_balance, units_to_credits
from credits_app.credits.credit_service import HistoryItem
from credits_app.credits.entry_lots import LotUse
from credits_app.state.formatting import (
    CATEGORY_LABELS,
    TYPE_LABELS,
    iso_utc,
    model_label,
    signed_amount,
    type_label,
    utc_text,
)

ALL = "all"
# Metadata keys people recognise, in the order the drawer lists them, with their labels.
DETAIL_LABELS = {
    "model": "Model",
    "feature": "Feature",
    "inputTokens": "Input tokens",
    "outputTokens": "Output tokens",
    "packageId": "Package",
    "orderId": "Order",
    "transferId": "Transfer",
    "counterparty": "Counterparty",
    "note": "Note",
    "refundOf": "Refund of entry",
    "lotId": "Lot",
    "source": "Lot source",
    "expiresAt": "Lot expired at",
}


@dataclass(frozen=True)
class Option:
    """A choice in a filter select: the value sent back and the label shown."""

    value: str
    label: str


@dataclass(frozen=True)
class Detail:
    """One line of the detail drawer: a label and its value as text."""

    label: str
    value: str


@dataclass(frozen=True)
class LotLine:
    """One lot a debit took from, as the drawer lists it."""

    lot_id: str
    label: str  # "Lot #12 · Promotion"
    amount: str  # "5.0000"
    expires_at: str  # ISO 8601 UTC, or "" when the lot never expires
    expires_utc: str


LOT_SOURCE_LABELS = {
    "purchase": "Purchase",
    "bonus": "Bonus",
    "grant": "Grant",
    "promotion": "Promotion",
    "transfer": "Transfer",
    "refund": "Refund",
    "opening": "Opening balance",
}


@dataclass(frozen=True)
class HistoryRow:
    """One ledger entry as the history table shows it."""

    id: str
    at: str  # ISO 8601 UTC; the browser shows local time
    at_utc: str  # "Mar 4, 2026, 14:05 UTC", on hover
    description: str
    type: str
    type_label: str
    category_label: str
    amount: str
    is_credit: bool
    balance_after: str
    details: list[Detail] = field(default_factory=list)
    # "To Bob (bob@example.com) · Transfer #12": who is on the other side and the transfer
    # both entries share; "Refund of #34" on a refund ("" elsewhere).
    link: str = ""
    # Set where a self-service refund is possible (the Refund action): how much, until when.
    refundable: str = ""
    refundable_units: int = 0
    refundable_until: str = ""  # ISO 8601 UTC
    refundable_until_utc: str = ""
    lots: list[LotLine] = field(default_factory=list)  # the lots a debit took from


EMPTY_ROW = HistoryRow(
    id="",
    at="",
    at_utc="",
    description="",
    type="",
    type_label="",
    category_label="",
    amount="",
    is_credit=False,
    balance_after="",
)


@dataclass(frozen=True)
class HistoryView:
    """One page of rows and where it sits in the paging."""

    rows: list[HistoryRow] = field(default_factory=list)
    page_number: int = 1
    has_previous: bool = False
    has_next: bool = False
    filtered: bool = False


def type_options() -> list[Option]:
    """The transaction-type filter: "all" first, then every ledger entry type."""
    return [Option(ALL, "All types")] + [Option(str(v), label) for v, label in TYPE_LABELS.items()]


def category_options() -> list[Option]:
    """The category filter: "all" first, then every usage category."""
    return [Option(ALL, "All categories")] + [
        Option(str(value), label) for value, label in CATEGORY_LABELS.items()
    ]


def history_row(
    item: HistoryItem,
    package_names: dict[str, str] | None = None,
    lots: list[LotUse] | None = None,
) -> HistoryRow:
    """A ledger entry with its labels, signed amount, UTC moment, drawer details and lots."""
    label = type_label(item.type)
    return HistoryRow(
        id=str(item.id),
        at=iso_utc(item.created_at),
        at_utc=utc_text(item.created_at),
        description=_description(item, label, package_names or {}),
        type=item.type,
        type_label=label,
        category_label=CATEGORY_LABELS.get(item.category or "", ""),
        amount=signed_amount(item.amount),
        is_credit=item.amount > 0,
        balance_after=format_balance(item.balance_after),
        details=entry_details(item, package_names or {}),
        link=entry_link(item),
        refundable=format_balance(item.refundable_amount) if item.refundable_amount else "",
        refundable_units=units_of(item.refundable_amount) if item.refundable_amount else 0,
        refundable_until=iso_utc(item.refundable_until) if item.refundable_until else "",
        refundable_until_utc=utc_text(item.refundable_until) if item.refundable_until else "",
        lots=[lot_line(use) for use in lots or []],
    )


def lot_line(use: LotUse) -> LotLine:
    """A lot an entry used: which one, what it was, how much came from it, until when."""
    source = LOT_SOURCE_LABELS.get(use.source, use.source.title())
    return LotLine(
        lot_id=str(use.lot_id),
        label=f"Lot #{use.lot_id} · {source}",
        amount=format_balance(units_to_credits(use.units)),
        expires_at=iso_utc(use.expires_at) if use.expires_at else "",
        expires_utc=utc_text(use.expires_at) if use.expires_at else "",
    )


def entry_link(item: HistoryItem) -> str:
    """What ties the entry to another: a transfer's counterparty and its id (the same on the
    sender's `transfer_out` and the recipient's `transfer_in`), a refund's spend."""
    metadata = item.metadata or {}
    if item.type in {"transfer_out", "transfer_in"}:
        party = counterparty_text(metadata.get("counterparty"))
        direction = "To" if item.type == "transfer_out" else "From"
        parts = [f"{direction} {party}"] if party else []
        transfer_id = metadata.get("transferId")
        if isinstance(transfer_id, int):
            parts.append(f"Transfer #{transfer_id}")
        return " · ".join(parts)
    refund_of = metadata.get("refundOf")
    if item.type == "refund" and isinstance(refund_of, int):
        return f"Refund of #{refund_of}"
    return ""


def counterparty_text(party: Any) -> str:
    """'Bob (bob@example.com)' for a person whose email the entry names, else the name."""
    if not isinstance(party, dict):
        return ""
    name, email = party.get("name"), party.get("email")
    name = name if isinstance(name, str) and name else None
    email = email if isinstance(email, str) and email else None
    if name and email:
        return f"{name} ({email})"
    return name or email or ""


def entry_details(item: HistoryItem, package_names: dict[str, str]) -> list[Detail]:
    """The entry's metadata in words: known keys first (model, tokens…), then the rest."""
    metadata = dict(item.metadata or {})
    details = [Detail("Entry", f"#{item.id}")]
    for key, label in DETAIL_LABELS.items():
        if key in metadata:
            details.append(Detail(label, _detail_value(key, metadata.pop(key), package_names)))
    details.extend(Detail(key, _text(value)) for key, value in sorted(metadata.items()))
    return details


def history_view(
    items: list[HistoryItem],
    *,
    package_names: dict[str, str],
    page_number: int,
    has_next: bool,
    filtered: bool,
    lots: dict[int, list[LotUse]] | None = None,
) -> HistoryView:
    """A page of history for the table (`lots`: what each debit took, by entry id)."""
    used = lots or {}
    return HistoryView(
        rows=[history_row(item, package_names, used.get(item.id)) for item in items],
        page_number=page_number,
        has_previous=page_number > 1,
        has_next=has_next,
        filtered=filtered,
    )


def units_of(amount: Any) -> int:
    """A Decimal amount of credits as whole units (the client gets ints, never Decimals)."""
    return int(amount.scaleb(SCALE))


def _description(item: HistoryItem, label: str, package_names: dict[str, str]) -> str:
    package_id = (item.metadata or {}).get("packageId")
    if item.type == "purchase" and isinstance(package_id, str) and package_id in package_names:
        return f"{package_names[package_id]} package"
    return item.description or label


def _detail_value(key: str, value: Any, package_names: dict[str, str]) -> str:
    if key == "model" and isinstance(value, str):
        return model_label(value)
    if key == "packageId" and isinstance(value, str):
        return package_names.get(value, value)
    if key in {"inputTokens", "outputTokens"} and isinstance(value, int):
        return f"{value:,}"
    if key in {"lotId", "transferId", "refundOf"} and isinstance(value, int):
        return f"#{value}"
    if key == "counterparty":
        return counterparty_text(value) or _text(value)
    if key == "expiresAt" and isinstance(value, str):
        try:
            return utc_text(datetime.fromisoformat(value))
        except ValueError:
            return value
    return _text(value)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return utc_text(value)
    return json.dumps(value, default=str)
