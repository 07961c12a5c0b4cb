"""Transfers and refunds of spending over HTTP (DESIGN §4b): the contract rows, idempotency
replay and conflict, authorization (outsider 404, member 403) and bad input, against the real
app process (`api_server`)."""

from decimal import Decimal as D
from typing import Any

import httpx
import pytest

from credits_app.credits.owners import WalletOwner
from tests.support.api_client import (
    SERVICE_KEY,
    ApiClient,
    ApiUser,
    assert_error,
    decoded,
    fund_org,
    fund_user,
)
from tests.support.lots import assert_lots_match_ledger

TRANSFER_KEYS = {"transferId", "amount", "from", "to", "newBalance"}
REFUND_KEYS = {"refundId", "refundedAmount", "remainingRefundable", "newBalance"}


def send(
    api: ApiClient, user: ApiUser, body: Any, key: str | None = None, org: int | None = None
) -> httpx.Response:
    headers = dict(user.headers) | ({"Idempotency-Key": key} if key else {})
    path = "/api/credits/transfers" if org is None else f"/api/orgs/{org}/credits/transfers"
    return api.http.post(path, json=body, headers=headers)


def refund(
    api: ApiClient,
    user: ApiUser,
    entry: int,
    body: Any,
    key: str | None = None,
    org: int | None = None,
) -> httpx.Response:
    headers = dict(user.headers) | ({"Idempotency-Key": key} if key else {})
    base = "/api/credits" if org is None else f"/api/orgs/{org}/credits"
    return api.http.post(f"{base}/transactions/{entry}/refund", json=body, headers=headers)


def marketplace_spend(api: ApiClient, wallet: dict[str, Any], amount: str) -> int:
    response = api.service_deduct(
        {"wallet": wallet, "amount": amount, "category": "marketplace", "description": "Sticker"}
    )
    assert response.status_code == 200, response.text
    entry: int = response.json()["transactionId"]
    return entry


def test_personal_transfer_by_email_answers_201_with_both_wallets(api: ApiClient) -> None:
    sender, receiver = api.register("sender"), api.register("receiver")
    fund_user(sender, "10")
    response = send(api, sender, {"to": {"type": "user", "email": receiver.email}, "amount": "2.5"})
    assert response.status_code == 201, response.text
    body = decoded(response)
    assert set(body) == TRANSFER_KEYS
    assert body["amount"] == D("2.5") and body["newBalance"] == D("7.5")
    assert body["from"] == {"type": "user", "id": sender.id}
    assert body["to"] == {"type": "user", "id": receiver.id}
    assert api.balance(receiver) == D("2.5")
    history = decoded(api.http.get("/api/credits/history", headers=receiver.headers))["items"]
    assert history[0]["type"] == "transfer_in"
    assert history[0]["metadata"]["transferId"] == body["transferId"]
    assert_lots_match_ledger(WalletOwner.user(sender.id))
    assert_lots_match_ledger(WalletOwner.user(receiver.id))


def test_transfer_errors_follow_the_contract(api: ApiClient) -> None:
    sender, receiver = api.register("sender"), api.register("receiver")
    fund_user(sender, "1")
    to = {"type": "user", "email": receiver.email}
    assert_error(send(api, sender, {"to": to, "amount": "5"}), 402, "insufficient_credits")
    me = {"type": "user", "email": sender.email}
    assert_error(send(api, sender, {"to": me, "amount": "1"}), 400, "self_transfer")
    nobody = {"type": "user", "email": "nobody-at-all@example.com"}
    assert_error(send(api, sender, {"to": nobody, "amount": "1"}), 404, "recipient_not_found")
    assert_error(
        send(api, sender, {"to": {"type": "org", "id": 999999}, "amount": "1"}),
        404,
        "recipient_not_found",
    )
    assert api.balance(sender) == 1 and api.balance(receiver) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"to": {"type": "user", "email": "x@example.com"}, "amount": "0"},
        {"to": {"type": "user", "email": "x@example.com"}, "amount": "-1"},
        {"to": {"type": "user", "email": "x@example.com"}, "amount": "1.00001"},
        {"to": {"type": "user", "email": "x@example.com"}, "amount": True},
        {"to": {"type": "user", "email": "x@example.com"}, "amount": "1e3"},
        {"to": {"type": "bank", "email": "x@example.com"}, "amount": "1"},
        {"to": {"type": "org", "id": "7"}, "amount": "1"},
        {"to": {"type": "org", "id": True}, "amount": "1"},
        {"to": {"type": "user"}, "amount": "1"},
        {"amount": "1"},
        {"to": {"type": "user", "email": "x@example.com"}, "amount": "1", "note": "n" * 501},
        [],
    ],
)
def test_bad_transfer_bodies_are_4xx_and_move_nothing(api: ApiClient, body: Any) -> None:
    sender = api.register("sender")
    fund_user(sender, "5")
    response = send(api, sender, body)
    assert response.status_code in (400, 422), response.text
    assert_error(response, response.status_code, decoded(response)["error"]["code"])
    assert api.balance(sender) == 5


def test_transfer_key_replays_the_original_and_conflicts_on_change(api: ApiClient) -> None:
    sender, receiver = api.register("sender"), api.register("receiver")
    fund_user(sender, "10")
    body = {"to": {"type": "user", "email": receiver.email}, "amount": "3"}
    first = send(api, sender, body, key="t-1")
    again = send(api, sender, body, key="t-1")
    assert first.status_code == again.status_code == 201
    assert decoded(first) == decoded(again)
    assert_error(send(api, sender, body | {"amount": "4"}, key="t-1"), 409, "idempotency_conflict")
    assert api.balance(sender) == 7 and api.balance(receiver) == 3


def test_org_transfers_outsider_404_member_403_manager_201(api: ApiClient) -> None:
    owner, member, outsider = api.register("owner"), api.register("member"), api.register("out")
    org = api.create_org(owner)["id"]
    other = api.create_org(owner, "Other")["id"]
    api.add_member(owner, org, member, "member")
    fund_org(org, "10")
    to_member = {"to": {"type": "user", "id": member.id}, "amount": "1"}
    assert_error(send(api, outsider, to_member, org=org), 404, "org_not_found")
    assert_error(send(api, member, to_member, org=org), 403, "forbidden")
    to_outsider = {"to": {"type": "user", "id": outsider.id}, "amount": "1"}
    assert_error(send(api, owner, to_outsider, org=org), 404, "recipient_not_found")
    assert send(api, owner, to_member, org=org).status_code == 201
    response = send(api, owner, {"to": {"type": "org", "id": other}, "amount": "2"}, org=org)
    assert response.status_code == 201, response.text
    assert decoded(response)["to"] == {"type": "org", "id": other}
    assert api.balance(owner, org) == 7 and api.balance(member) == 1
    assert api.balance(owner, other) == 2


def test_self_service_refund_contract_and_history_fields(api: ApiClient) -> None:
    user = api.register("buyer")
    fund_user(user, "10")
    entry = marketplace_spend(api, {"type": "user", "id": user.id}, "4")
    item = decoded(api.http.get("/api/credits/history", headers=user.headers))["items"][0]
    assert item["id"] == entry and item["refundableAmount"] == 4 and item["refundableUntil"]
    response = refund(api, user, entry, {"amount": "1.5", "reason": "broken"})
    assert response.status_code == 201, response.text
    body = decoded(response)
    assert set(body) == REFUND_KEYS
    assert (body["refundedAmount"], body["remainingRefundable"], body["newBalance"]) == (
        D("1.5"),
        D("2.5"),
        D("7.5"),
    )
    error = assert_error(
        refund(api, user, entry, {"amount": "3"}), 400, "amount_exceeds_refundable"
    )
    assert error["details"]["remainingRefundable"] == D("2.5")
    rest = decoded(refund(api, user, entry, {}))
    assert rest["refundedAmount"] == D("2.5") and rest["remainingRefundable"] == 0
    items = decoded(api.http.get("/api/credits/history", headers=user.headers))["items"]
    assert items[0]["type"] == "refund" and items[0]["metadata"]["refundOf"] == entry
    assert next(i for i in items if i["id"] == entry)["refundableAmount"] is None
    assert_lots_match_ledger(WalletOwner.user(user.id))


def test_refund_refusals_and_other_users_entries(api: ApiClient) -> None:
    user, other = api.register("buyer"), api.register("other")
    fund_user(user, "10")
    ai = api.service_deduct(
        {"wallet": {"type": "user", "id": user.id}, "amount": "1", "category": "ai_usage"}
    )
    assert_error(refund(api, user, ai.json()["transactionId"], {}), 409, "not_refundable")
    entry = marketplace_spend(api, {"type": "user", "id": user.id}, "2")
    assert_error(refund(api, other, entry, {}), 404, "transaction_not_found")
    assert_error(refund(api, user, 2**40, {}), 404, "transaction_not_found")
    for bad in (
        {"amount": "0"},
        {"amount": "-1"},
        {"amount": "x"},
        {"reason": ""},
        {"amount": 1.00001},
    ):
        response = refund(api, user, entry, bad)
        assert response.status_code in (400, 422), (bad, response.text)
    assert api.balance(user) == 7


def test_refund_key_replays_and_conflicts(api: ApiClient) -> None:
    user = api.register("buyer")
    fund_user(user, "10")
    entry = marketplace_spend(api, {"type": "user", "id": user.id}, "5")
    first = refund(api, user, entry, {"amount": "1"}, key="r-1")
    again = refund(api, user, entry, {"amount": "1"}, key="r-1")
    assert first.status_code == again.status_code == 201
    assert decoded(first)["refundId"] == decoded(again)["refundId"]
    assert_error(refund(api, user, entry, {"amount": "2"}, key="r-1"), 409, "idempotency_conflict")
    assert api.balance(user) == 6


def test_org_refunds_outsider_404_member_403_admin_201(api: ApiClient) -> None:
    owner, admin, member, outsider = (api.register(n) for n in ("owner", "admin", "mem", "out"))
    org = api.create_org(owner)["id"]
    api.add_member(owner, org, admin, "admin")
    api.add_member(owner, org, member, "member")
    fund_org(org, "10")
    entry = marketplace_spend(api, {"type": "org", "id": org}, "3")
    assert_error(refund(api, outsider, entry, {}, org=org), 404, "org_not_found")
    assert_error(refund(api, member, entry, {}, org=org), 403, "forbidden")
    assert refund(api, admin, entry, {"amount": "1"}, org=org).status_code == 201
    # The org's entry is not the admin's personal one.
    assert_error(refund(api, admin, entry, {}), 404, "transaction_not_found")


def test_service_refund_takes_any_usage_entry(api: ApiClient) -> None:
    user = api.register("buyer")
    fund_user(user, "10")
    ai = api.service_deduct(
        {"wallet": {"type": "user", "id": user.id}, "amount": "2", "category": "ai_usage"}
    )
    headers = {"Authorization": f"Bearer {SERVICE_KEY}", "Idempotency-Key": "svc-1"}
    body = {"transactionId": ai.json()["transactionId"], "reason": "model failed"}
    response = api.http.post("/api/internal/credits/refund", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert decoded(response)["newBalance"] == 10
    again = api.http.post("/api/internal/credits/refund", json=body, headers=headers)
    assert decoded(again) == decoded(response)
    no_key = api.http.post("/api/internal/credits/refund", json=body, headers=user.headers)
    assert_error(no_key, 401, "invalid_service_key")
    missing = api.http.post(
        "/api/internal/credits/refund",
        json={"transactionId": ai.json()["transactionId"]},
        headers={"Authorization": f"Bearer {SERVICE_KEY}"},
    )
    assert_error(missing, 422, "validation_error")


def test_new_endpoints_are_in_openapi(api: ApiClient) -> None:
    paths = api.http.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/credits/transfers",
        "/api/orgs/{orgId}/credits/transfers",
        "/api/credits/transactions/{id}/refund",
        "/api/orgs/{orgId}/credits/transactions/{id}/refund",
        "/api/internal/credits/refund",
    ):
        assert "post" in paths[path] and "201" in paths[path]["post"]["responses"], path


@pytest.mark.parametrize("kind", ["transfers", "refund"])
def test_outsiders_get_the_same_404_as_for_an_org_that_does_not_exist(
    api: ApiClient, kind: str
) -> None:
    owner, outsider = api.register("owner"), api.register("outsider")
    org = api.create_org(owner)["id"]
    fund_org(org, "5")
    entry = marketplace_spend(api, {"type": "org", "id": org}, "1")

    def call(org_id: int) -> httpx.Response:
        if kind == "transfers":
            body = {"to": {"type": "user", "id": outsider.id}, "amount": "1"}
            return send(api, outsider, body, org=org_id)
        return refund(api, outsider, entry, {}, org=org_id)

    real, missing = call(org), call(2**31 - 1)
    assert_error(real, 404, "org_not_found")
    assert (real.status_code, real.content) == (missing.status_code, missing.content)
    assert api.balance(owner, org) == 4
