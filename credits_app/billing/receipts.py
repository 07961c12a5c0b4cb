"""A receipt for each paid purchase: Stripe's own with real Stripe, a PDF of ours otherwise.

With a real Stripe key the receipt is the `receipt_url` of the payment's charge (retrieved once,
then kept on the purchase). With the local simulator there is no Stripe receipt, so one is made
here with fpdf2 from the purchase's own snapshot, and labelled test mode; it is also the
fallback when Stripe cannot give one. Who may see it is `purchase_history`'s rule.
"""

from dataclasses import dataclass

import stripe
from fpdf import FPDF

from credits_app.billing.purchase_history import PurchaseRecord, get_purchase
from credits_app.billing.stripe_gateway import simulator_enabled, stripe_client
from credits_app.credits.amounts import format_balance
from credits_app.credits.categories import OwnerKind
from credits_app.credits.errors import CreditsError
from credits_app.credits.owners import WalletOwner
from credits_app.db import unit_of_work
from credits_app.models import Organization, Purchase, User


class ReceiptNotAvailable(CreditsError):
    """The purchase was never paid, so there is no receipt (409)."""

    code = "receipt_not_available"


@dataclass(frozen=True)
class Receipt:
    """Either a link to Stripe's receipt or our own PDF."""

    url: str | None = None
    pdf: bytes | None = None
    filename: str = ""


def purchase_receipt(viewer_id: int, owner: WalletOwner, purchase_id: int) -> Receipt:
    """The receipt of one paid purchase of the wallet (same access rule as the purchase list)."""
    record = get_purchase(viewer_id, owner, purchase_id)
    if not record.has_receipt:
        raise ReceiptNotAvailable("This purchase was not paid; it has no receipt.")
    if not simulator_enabled():
        url = _stripe_receipt_url(purchase_id)
        if url:
            return Receipt(url=url)
    return Receipt(pdf=receipt_pdf(record, owner), filename=f"receipt-{record.id}.pdf")


def receipt_pdf(record: PurchaseRecord, owner: WalletOwner) -> bytes:
    """One A4 page: who paid, for what, how much, when, and the payment reference."""
    with unit_of_work() as db:
        purchase = db.get(Purchase, record.id)
        if owner.kind is OwnerKind.ORG:
            org = db.get(Organization, owner.id)
            billed_to = f"Organization {org.name}" if org else "Organization"
        else:
            user = db.get(User, owner.id)
            billed_to = f"{user.name} <{user.email}>" if user else record.buyer_email
    reference = purchase.stripe_payment_intent_id if purchase else None
    pdf = FPDF(format="A4")
    pdf.set_title(f"Receipt R-{record.id:06d}")
    pdf.set_creator("Universal Credits")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 12, "Universal Credits - Receipt", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    if simulator_enabled():
        pdf.set_text_color(180, 0, 0)
        pdf.cell(
            0, 8, "TEST MODE: simulated payment, no money moved.", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_text_color(0, 0, 0)
    pdf.ln(4)
    paid_at = record.fulfilled_at.strftime("%Y-%m-%d %H:%M UTC") if record.fulfilled_at else ""
    rows = [
        ("Receipt number", f"R-{record.id:06d}"),
        ("Date paid", paid_at),
        ("Billed to", billed_to),
        ("Bought by", record.buyer_email),
        ("Item", record.description),
        ("Credits", _credits_line(record)),
        ("Amount paid", _money(record.price_minor, record.currency)),
    ]
    if record.refunded_minor:
        rows.append(("Refunded", _money(record.refunded_minor, record.currency)))
    if reference:
        rows.append(("Payment reference", reference))
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(50, 8, _latin1(label))
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 8, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _credits_line(record: PurchaseRecord) -> str:
    text = f"{format_balance(record.credits)} credits"
    if record.bonus_credits > 0:
        text += f" (incl. {format_balance(record.bonus_credits)} bonus)"
    return text


def _money(minor: int, currency: str) -> str:
    whole, cents = divmod(minor, 100)
    return f"{whole:,}.{cents:02d} {currency.upper()}"


def _latin1(text: str) -> str:
    """The PDF's core font speaks Latin-1 only; anything else becomes '?', never an error."""
    return text.encode("latin-1", "replace").decode("latin-1")


def _stripe_receipt_url(purchase_id: int) -> str | None:
    """The charge's `receipt_url`, cached on the purchase; None when Stripe cannot say."""
    with unit_of_work() as db:
        purchase = db.get(Purchase, purchase_id)
        if purchase is None:
            return None
        if purchase.receipt_url:
            return purchase.receipt_url
        intent_id = purchase.stripe_payment_intent_id
    if not intent_id:
        return None
    try:
        intent = stripe_client().v1.payment_intents.retrieve(
            intent_id, params={"expand": ["latest_charge"]}
        )
    except stripe.StripeError:
        return None
    charge = intent.to_dict().get("latest_charge")
    url = charge.get("receipt_url") if isinstance(charge, dict) else None
    if not isinstance(url, str) or not url.startswith("https://"):
        return None
    with unit_of_work() as db:
        purchase = db.get(Purchase, purchase_id)
        if purchase is not None:
            purchase.receipt_url = url
            db.add(purchase)
    return url
