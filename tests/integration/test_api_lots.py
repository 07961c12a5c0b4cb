"""Credit lots over HTTP (DESIGN §4b): grants, lots, expiring/held/available, bonus lots.

Against the real app process (`api_server`); setup that has no endpoint (a hold, a package)
calls the services on the same database.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import httpx

from credits_app.billing.packages import upsert_package
from credits_app.credits import credit_holds
from credits_app.credits.owners import WalletOwner
from tests.support.api_client import SERVICE_KEY, ApiClient, ApiUser, assert_error, decoded
from tests.support.lots import assert_lots_match_ledger

LOT_KEYS = {
    "id",
    "source",
    "originalAmount",
    "remaining",
    "held",
    "expiresAt",
    "priority",
    "createdAt",
}


def grant(api: ApiClient, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {SERVICE_KEY}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return api.http.post("/api/internal/credits/grant", json=body, headers=headers)


def lots_of(api: ApiClient, user: ApiUser) -> list[dict[str, Any]]:
    response = api.http.get("/api/credits/lots", headers=user.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = decoded(response)["items"]
    return items


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_grant_creates_a_lot_with_its_expiry_and_priority(api: ApiClient) -> None:
    user = api.register()
    expires = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)
    body = {
        "wallet": {"type": "user", "id": user.id},
        "amount": "25.5",
        "reason": "Signup bonus",
        "source": "promotion",
        "expiresAt": iso(expires),
        "priority": 20,
        "metadata": {"campaign": "welcome"},
    }
    response = grant(api, body, key="signup-1")
    assert response.status_code == 201, response.text
    created = decoded(response)
    assert set(created) == {"transactionId", "lotId", "newBalance"}
    assert created["newBalance"] == D("25.5")
    [lot] = lots_of(api, user)
    assert set(lot) == LOT_KEYS
    assert (lot["id"], lot["source"], lot["originalAmount"], lot["remaining"], lot["priority"]) == (
        created["lotId"],
        "promotion",
        D("25.5"),
        D("25.5"),
        20,
    )
    assert datetime.fromisoformat(lot["expiresAt"]) == expires

    replay = grant(api, body, key="signup-1")  # same key, same body: the original answer
    assert (replay.status_code, decoded(replay)) == (201, created)
    assert_error(grant(api, body | {"amount": "26"}, key="signup-1"), 409, "idempotency_conflict")
    assert api.balance(user) == D("25.5")
    assert_lots_match_ledger(WalletOwner.user(user.id))


def test_grant_with_a_past_or_naive_expiry_is_400_invalid_expiry(api: ApiClient) -> None:
    user = api.register()
    body = {"wallet": {"type": "user", "id": user.id}, "amount": "1", "reason": "late"}
    past = iso(datetime.now(UTC) - timedelta(minutes=1))
    assert_error(grant(api, body | {"expiresAt": past}), 400, "invalid_expiry")
    assert_error(grant(api, body | {"expiresAt": "2030-01-01T00:00:00"}), 400, "invalid_expiry")
    assert api.balance(user) == 0


def test_grant_needs_the_service_key_and_a_known_wallet(api: ApiClient) -> None:
    user = api.register()
    body = {"wallet": {"type": "user", "id": user.id}, "amount": "1", "reason": "x"}
    response = api.http.post("/api/internal/credits/grant", json=body, headers=user.headers)
    assert_error(response, 401, "invalid_service_key")
    missing = body | {"wallet": {"type": "org", "id": 2**31 - 1}}
    assert_error(grant(api, missing), 404, "wallet_not_found")
    assert_error(grant(api, body | {"source": "purchase"}), 422, "validation_error")


def test_balance_shows_held_available_and_what_expires_soon(api: ApiClient) -> None:
    user = api.register()
    soon = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    later = (datetime.now(UTC) + timedelta(days=90)).replace(microsecond=0)
    wallet = {"type": "user", "id": user.id}
    for amount, expires in (("10", soon), ("20", later), ("30", None)):
        body: dict[str, Any] = {"wallet": wallet, "amount": amount, "reason": "r"}
        if expires:
            body["expiresAt"] = iso(expires)
        assert grant(api, body).status_code == 201
    credit_holds.place_hold(WalletOwner.user(user.id), 40_000)  # 4 credits in flight
    balance = decoded(api.http.get("/api/credits", headers=user.headers))
    assert (balance["balance"], balance["held"], balance["available"]) == (60, 4, 56)
    assert [(e["amount"], datetime.fromisoformat(e["expiresAt"])) for e in balance["expiring"]] == [
        (10, soon)
    ]
    # Spent first: the soonest expiry, holding the 4 pinned credits.
    assert [(lot["remaining"], lot["held"]) for lot in lots_of(api, user)] == [
        (10, 4),
        (20, 0),
        (30, 0),
    ]


def test_packages_list_their_bonus_expiry_and_a_purchase_credits_a_bonus_lot(
    api: ApiClient,
) -> None:
    upsert_package(
        "lots-bonus",
        name="Bonus pack",
        credits="100",
        bonus_credits="20",
        price_minor=900,
        bonus_expires_in_days=14,
    )
    packages = {p["id"]: p for p in decoded(api.http.get("/api/credits/packages"))}
    assert packages["lots-bonus"]["bonusExpiresInDays"] == 14
    user = api.register()
    started = api.http.post(
        "/api/credits/purchase", json={"packageId": "lots-bonus"}, headers=user.headers
    )
    assert started.status_code == 200, started.text
    session_id = decoded(started)["sessionId"]
    paid = api.http.post(f"/api/stripe-simulator/checkout/{session_id}/pay", headers=user.headers)
    assert paid.status_code == 303, paid.text
    lots = lots_of(api, user)
    assert [(lot["source"], lot["originalAmount"]) for lot in lots] == [
        ("bonus", 20),
        ("purchase", 100),
    ]
    bonus_expiry = datetime.fromisoformat(lots[0]["expiresAt"])
    assert timedelta(days=13) < bonus_expiry - datetime.now(UTC) <= timedelta(days=14)
    assert lots[1]["expiresAt"] is None
    assert_lots_match_ledger(WalletOwner.user(user.id))
