"""A wallet's purchases as the Billing page lists them (pure: tested without a browser)."""

from dataclasses import dataclass

from credits_app.billing.purchase_history import PurchaseRecord
from credits_app.credits.amounts import format_balance
from credits_app.state.formatting import iso_utc, money, utc_text

STATUS_LABELS = {
    "pending": "Pending",
    "paid": "Paid",
    "failed": "Failed",
    "expired": "Expired",
    "refunded": "Refunded",
    "disputed": "Disputed",
}
STATUS_COLORS = {  # Radix colour schemes of the status badge
    "pending": "amber",
    "paid": "grass",
    "failed": "red",
    "expired": "gray",
    "refunded": "blue",
    "disputed": "orange",
}


@dataclass(frozen=True)
class PurchaseRow:
    """One purchase in the Billing page's list."""

    id: int = 0
    created_at: str = ""  # ISO UTC, shown in the browser's zone
    created_utc: str = ""
    status: str = ""
    status_label: str = ""
    status_color: str = "gray"
    description: str = ""
    credits: str = ""  # "12,000 credits" (bonus included)
    bonus_note: str = ""  # "incl. 2,000 bonus" or ""
    price: str = ""
    refunded: str = ""  # "$10.00 refunded" or ""
    buyer_email: str = ""
    receipt_href: str = ""  # "" when there is no receipt
    resumable: bool = False


def purchase_rows(records: list[PurchaseRecord], org_id: int = 0) -> list[PurchaseRow]:
    """Newest first, as the service lists them; receipt links for the wallet in context."""
    prefix = f"/api/orgs/{org_id}/credits" if org_id else "/api/credits"
    return [
        PurchaseRow(
            id=record.id,
            created_at=iso_utc(record.created_at),
            created_utc=utc_text(record.created_at),
            status=record.status,
            status_label=STATUS_LABELS.get(record.status, record.status.title()),
            status_color=STATUS_COLORS.get(record.status, "gray"),
            description=record.description,
            credits=f"{format_balance(record.credits)} credits",
            bonus_note=(
                f"incl. {format_balance(record.bonus_credits)} bonus"
                if record.bonus_credits > 0
                else ""
            ),
            price=money(record.price_minor, record.currency),
            refunded=(
                f"{money(record.refunded_minor, record.currency)} refunded"
                if record.refunded_minor
                else ""
            ),
            buyer_email=record.buyer_email,
            receipt_href=f"{prefix}/purchases/{record.id}/receipt" if record.has_receipt else "",
            resumable=record.resumable,
        )
        for record in records
    ]


def pending_rows(rows: list[PurchaseRow]) -> list[PurchaseRow]:
    """The checkouts the viewer opened and can still pay or abandon."""
    return [row for row in rows if row.resumable]
