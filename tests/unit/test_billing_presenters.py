"""The Billing page's purchase rows: labels, colours, amounts and receipt links."""

from datetime import UTC, datetime
from decimal import Decimal

from credits_app.billing.purchase_history import PURCHASE_STATUSES, PurchaseRecord
from credits_app.state.billing_presenters import (
    STATUS_COLORS,
    STATUS_LABELS,
    pending_rows,
    purchase_rows,
)
from credits_app.state.wallet_context_state import billing_path, page_section

MOMENT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def record(**fields: object) -> PurchaseRecord:
    base: dict[str, object] = dict(
        id=7,
        created_at=MOMENT,
        status="paid",
        description="Custom amount",
        package_id=None,
        credits=Decimal("21000"),
        bonus_credits=Decimal("1000"),
        price_minor=17_000,
        currency="usd",
        refunded_minor=0,
        buyer_email="ada@example.com",
        opened_by_viewer=True,
        fulfilled_at=MOMENT,
    )
    return PurchaseRecord(**(base | fields))  # type: ignore[arg-type]


def test_a_paid_purchase_shows_its_amounts_and_links_its_receipt() -> None:
    [row] = purchase_rows([record()])
    assert (row.credits, row.bonus_note, row.price, row.refunded) == (
        "21,000 credits",
        "incl. 1,000 bonus",
        "$170.00",
        "",
    )
    assert (row.status_label, row.status_color) == ("Paid", "grass")
    assert row.receipt_href == "/api/credits/purchases/7/receipt"
    assert row.created_at == "2026-12-01T09:30:00Z"
    assert not row.resumable


def test_org_receipts_link_through_the_org_and_pending_rows_are_the_buyers_own() -> None:
    rows = purchase_rows(
        [
            record(id=1, status="pending", fulfilled_at=None),
            record(id=2, status="pending", fulfilled_at=None, opened_by_viewer=False),
            record(id=3, status="refunded", refunded_minor=500),
        ],
        org_id=42,
    )
    assert [row.receipt_href for row in rows] == [
        "",
        "",
        "/api/orgs/42/credits/purchases/3/receipt",
    ]
    assert [row.id for row in pending_rows(rows)] == [1]
    assert rows[2].refunded == "$5.00 refunded"


def test_every_status_has_a_label_and_a_colour() -> None:
    assert set(STATUS_LABELS) == set(STATUS_COLORS) == set(PURCHASE_STATUSES)


def test_the_billing_page_is_a_section_of_each_context() -> None:
    assert page_section("/billing") == "billing"
    assert page_section("/organizations/acme/billing/") == "billing"
    assert page_section("/organizations/acme/members") == "members"
    assert page_section("/organizations/acme/credits") == "credits"
    assert page_section("/credits") == "credits"
    assert (billing_path(""), billing_path("acme")) == ("/billing", "/organizations/acme/billing")


def test_the_buy_dialogs_quote_shows_the_quotes_own_numbers() -> None:
    from credits_app.billing.pricing import PurchaseRange, Tier, price_amount
    from credits_app.state.purchase_presenters import quote_view, range_hint

    quoted = price_amount(12_345, [Tier(100, 1_000_000), Tier(10_000, 850_000, 5)])
    view = quote_view(quoted)
    assert (view.credits, view.total_credits, view.bonus_credits, view.has_bonus) == (
        "12,345",
        "12,962.25",
        "617.25",
        True,
    )
    assert (view.price, view.unit_price, view.savings, view.valid) == (
        "$104.93",
        "0.85¢ per credit",
        "Save 15%",
        True,
    )
    assert view.price_per_thousand == "$8.50 per 1,000"
    assert range_hint(PurchaseRange(100, 10_000_000)) == "100 to 10,000,000 credits"
