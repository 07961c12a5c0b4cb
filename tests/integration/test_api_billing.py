"""The Billing page's API: purchases with their status, receipts, and pending checkouts.

Over HTTP against the app with the built-in simulator (receipts are our PDF, labelled test
mode) and, for the receipt fallback, against the real stripe-python client and the fake Stripe.
"""

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from credits_app.billing.purchase_history import display_status
from credits_app.clock import utcnow
from credits_app.db import unit_of_work
from credits_app.models import Purchase, SimulatedCheckoutSession
from tests.support.api_client import ApiClient, ApiUser, assert_error
from tests.support.stripe_events import complete, purchase_for, signed


def start(api: ApiClient, user: ApiUser, body: dict[str, Any], org_id: int | None = None) -> str:
    path = "/api/credits/purchase" if org_id is None else f"/api/orgs/{org_id}/credits/purchase"
    response = api.http.post(path, json=body, headers=user.headers)
    assert response.status_code == 200, response.text
    session_id: str = response.json()["sessionId"]
    return session_id


def pay(api: ApiClient, user: ApiUser, session_id: str) -> None:
    """The simulator's Pay button (its own buyer, signed in)."""
    page = f"/api/stripe-simulator/checkout/{session_id}/pay"
    assert api.http.post(page, headers=user.headers).status_code == 303


def purchases(api: ApiClient, user: ApiUser, org_id: int | None = None) -> list[dict[str, Any]]:
    prefix = "/api/credits" if org_id is None else f"/api/orgs/{org_id}/credits"
    response = api.http.get(f"{prefix}/purchases", headers=user.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_purchases_list_shows_each_with_status_amounts_and_credits(api: ApiClient) -> None:
    buyer = api.register("billing")
    paid = start(api, buyer, {"packageId": "growth"})
    pay(api, buyer, paid)
    start(api, buyer, {"credits": 2_500})

    pending, fulfilled = purchases(api, buyer)

    assert pending == pending | {
        "status": "pending",
        "description": "Custom amount",
        "packageId": None,
        "credits": 2500,
        "bonusCredits": 0,
        "priceCents": 2375,
        "currency": "usd",
        "refundedCents": 0,
        "buyerEmail": buyer.email,
        "hasReceipt": False,
        "resumable": True,
    }
    assert fulfilled == fulfilled | {
        "status": "paid",
        "description": "Growth package",
        "credits": 5500,
        "bonusCredits": 500,
        "priceCents": 4500,
        "hasReceipt": True,
        "resumable": False,
    }
    assert fulfilled["id"] == purchase_for(paid).id
    assert purchases(api, api.register("other")) == []  # nobody sees anyone else's


def test_a_paid_purchase_has_a_pdf_receipt_only_for_those_who_may_see_it(api: ApiClient) -> None:
    buyer, stranger = api.register("receipt"), api.register("stranger")
    session_id = start(api, buyer, {"credits": 1_234})
    pay(api, buyer, session_id)
    purchase_id = purchase_for(session_id).id
    path = f"/api/credits/purchases/{purchase_id}/receipt"

    response = api.http.get(path, headers=buyer.headers)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.content.startswith(b"%PDF-")
    assert len(response.content) > 800
    assert_error(api.http.get(path, headers=stranger.headers), 404, "purchase_not_found")
    assert api.http.get(path).status_code == 401
    unpaid = purchase_for(start(api, buyer, {"packageId": "starter"})).id
    assert_error(
        api.http.get(f"/api/credits/purchases/{unpaid}/receipt", headers=buyer.headers),
        409,
        "receipt_not_available",
    )


def test_org_billing_is_for_owners_and_admins(api: ApiClient) -> None:
    owner, admin, member, outsider = (api.register(n) for n in ("own", "adm", "mem", "out"))
    org_id = int(api.create_org(owner)["id"])
    api.add_member(owner, org_id, admin, "admin")
    api.add_member(owner, org_id, member, "member")
    session_id = start(api, admin, {"credits": 3_000}, org_id)
    pay(api, admin, session_id)
    purchase_id = purchase_for(session_id).id
    receipt = f"/api/orgs/{org_id}/credits/purchases/{purchase_id}/receipt"

    [item] = purchases(api, owner, org_id)
    assert (item["status"], item["buyerEmail"], item["resumable"]) == ("paid", admin.email, False)
    assert api.http.get(receipt, headers=owner.headers).content.startswith(b"%PDF-")
    listing = f"/api/orgs/{org_id}/credits/purchases"
    assert_error(api.http.get(listing, headers=member.headers), 403, "forbidden")
    assert_error(api.http.get(receipt, headers=member.headers), 403, "forbidden")
    assert_error(api.http.get(listing, headers=outsider.headers), 404, "org_not_found")
    personal = f"/api/credits/purchases/{purchase_id}/receipt"  # not in admin's own wallet
    assert_error(api.http.get(personal, headers=admin.headers), 404, "purchase_not_found")


def test_a_pending_checkout_can_be_resumed_then_abandoned_once(api: ApiClient) -> None:
    buyer = api.register("pending")
    session_id = start(api, buyer, {"credits": 700})
    purchase_id = purchase_for(session_id).id
    base = f"/api/credits/purchases/{purchase_id}"

    resumed = api.http.post(f"{base}/resume", headers=buyer.headers)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["checkoutUrl"].endswith(f"/api/stripe-simulator/checkout/{session_id}")

    assert api.http.post(f"{base}/abandon", headers=buyer.headers).status_code == 204

    assert purchase_for(session_id).status == "expired"
    with unit_of_work() as db:
        session = db.get(SimulatedCheckoutSession, session_id)
        assert session is not None and session.status == "expired"
    [item] = purchases(api, buyer)
    assert (item["status"], item["resumable"]) == ("expired", False)
    assert_error(
        api.http.post(f"{base}/abandon", headers=buyer.headers), 409, "purchase_not_pending"
    )
    assert_error(
        api.http.post(f"{base}/resume", headers=buyer.headers), 409, "purchase_not_pending"
    )
    page = f"/api/stripe-simulator/checkout/{session_id}/pay"
    assert api.http.post(page, headers=buyer.headers).status_code == 404  # cannot be paid now
    assert api.balance(buyer) == 0


def test_a_checkout_paid_meanwhile_cannot_be_abandoned(api: ApiClient) -> None:
    buyer = api.register("race")
    session_id = start(api, buyer, {"packageId": "starter"})
    purchase_id = purchase_for(session_id).id
    complete(session_id)  # paid at Stripe; the webhook has not arrived yet

    response = api.http.post(f"/api/credits/purchases/{purchase_id}/abandon", headers=buyer.headers)

    assert_error(response, 409, "purchase_not_pending")
    assert purchase_for(session_id).status == "pending"  # the webhook will credit it


def test_only_the_buyer_resumes_or_abandons_an_org_checkout(api: ApiClient) -> None:
    owner, admin = api.register("own"), api.register("adm")
    org_id = int(api.create_org(owner)["id"])
    api.add_member(owner, org_id, admin, "admin")
    purchase_id = purchase_for(start(api, admin, {"credits": 900}, org_id)).id
    base = f"/api/orgs/{org_id}/credits/purchases/{purchase_id}"

    assert_error(api.http.post(f"{base}/abandon", headers=owner.headers), 404, "purchase_not_found")
    [item] = purchases(api, owner, org_id)
    assert (item["status"], item["resumable"]) == ("pending", False)
    assert api.http.post(f"{base}/abandon", headers=admin.headers).status_code == 204


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "1.5", str(2**31)])
def test_bad_purchase_ids_are_4xx(api: ApiClient, bad: str) -> None:
    user = api.register("ids")
    response = api.http.get(f"/api/credits/purchases/{bad}/receipt", headers=user.headers)
    assert 400 <= response.status_code < 500, response.text


def test_with_stripe_configured_a_receipt_without_a_stripe_receipt_url_falls_back_to_ours(
    stripe_api_client: ApiClient,
) -> None:
    """The fake Stripe has no charges to expand, so Stripe cannot give a receipt link."""
    api = stripe_api_client
    buyer = api.register("fallback")
    session_id = start(api, buyer, {"credits": 1_500})
    assert signed("checkout.session.completed", complete(session_id)).post(api.http).is_success
    purchase_id = purchase_for(session_id).id

    response = api.http.get(f"/api/credits/purchases/{purchase_id}/receipt", headers=buyer.headers)

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


def test_display_status_covers_every_state() -> None:
    now = utcnow()

    def status(**fields: Any) -> str:
        base = dict(status="fulfilled", refunded_minor=0, dispute_status=None, created_at=now)
        return display_status(Purchase.model_construct(**(base | fields)), now)

    assert status() == "paid"
    assert status(refunded_minor=100) == "refunded"
    assert status(dispute_status="open") == "disputed"
    assert status(dispute_status="lost") == "disputed"
    assert status(dispute_status="won") == "paid"
    assert status(status="pending") == "pending"
    assert status(status="pending", created_at=now - timedelta(hours=25)) == "expired"
    assert status(status="failed") == "failed"
    assert status(status="expired") == "expired"


def test_purchases_are_listed_newest_first(api: ApiClient) -> None:
    buyer = api.register("order")
    sessions = [start(api, buyer, {"credits": n}) for n in (100, 200, 300)]
    with unit_of_work() as db:
        ids = db.exec(
            select(Purchase.id).where(col(Purchase.stripe_session_id).in_(sessions))
        ).all()
    assert [item["id"] for item in purchases(api, buyer)] == sorted(ids, reverse=True)


def test_purchases_page_by_cursor_with_nothing_repeated_or_skipped(api: ApiClient) -> None:
    """Two purchases share a created_at (the keyset's tie-break is the id); 7 at limit 3 is
    pages of 3, 3 and 1, the last without a nextCursor."""
    buyer = api.register("pages")
    sessions = [start(api, buyer, {"credits": 100 + n}) for n in range(7)]
    with unit_of_work() as db:
        rows = db.exec(select(Purchase).where(col(Purchase.stripe_session_id).in_(sessions))).all()
        same_moment = utcnow() - timedelta(minutes=5)
        for row in rows[2:4]:
            row.created_at = same_moment
            db.add(row)
    seen: list[int] = []
    cursor: str | None = None
    sizes = []
    while True:
        params = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
        response = api.http.get("/api/credits/purchases", params=params, headers=buyer.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        sizes.append(len(page["items"]))
        seen += [item["id"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert sizes == [3, 3, 1]
    assert sorted(seen) == sorted(r.id for r in rows) and len(set(seen)) == 7
    assert seen == [item["id"] for item in purchases(api, buyer)]  # one page: the same order


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": "0"}, "invalid_argument"),
        ({"limit": "101"}, "invalid_argument"),
        ({"cursor": "not-a-cursor"}, "invalid_cursor"),
    ],
)
def test_a_bad_purchases_limit_or_cursor_is_400(
    api: ApiClient, params: dict[str, str], code: str
) -> None:
    buyer = api.register("badpage")
    response = api.http.get("/api/credits/purchases", params=params, headers=buyer.headers)
    assert_error(response, 400, code)
