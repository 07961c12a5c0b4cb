"""Idempotency and concurrency of POST /api/internal/credits/deduct over real HTTP (DESIGN §3).

Same key + same request = the same answer, applied once; same key + a different request = 409
and nothing changes. Concurrent requests run in threads, each with its own HTTP client (its
own connection), against the one app process on Postgres, released together by a barrier.
"""

import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.support.api_client import SERVICE_KEY, ApiClient, ApiUser, fund_org, fund_user

DEDUCT = "/api/internal/credits/deduct"


def exact(response: httpx.Response) -> Any:
    """The JSON body with numbers parsed exactly."""
    return response.json(parse_float=Decimal)


def deduct_body(user: ApiUser, amount: str | int = "1", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "wallet": {"type": "user", "id": user.id},
        "amount": amount,
        "category": "marketplace",
        "description": "Sticker pack",
        "metadata": {"item": "stickers", "qty": 3},
    }
    return body | changes


def ledger(api: ApiClient, user: ApiUser, org_id: int | None = None) -> list[dict[str, Any]]:
    """Every ledger entry of the wallet, newest first, following the cursor to the end."""
    path = "/api/credits/history" if org_id is None else f"/api/orgs/{org_id}/credits/history"
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        response = api.http.get(path, params=params, headers=user.headers)
        assert response.status_code == 200, response.text
        page = exact(response)
        items.extend(page["items"])
        if page["nextCursor"] is None:
            return items
        params["cursor"] = page["nextCursor"]


def overview(api: ApiClient, user: ApiUser, org_id: int | None = None) -> dict[str, Any]:
    path = "/api/credits" if org_id is None else f"/api/orgs/{org_id}/credits"
    response = api.http.get(path, headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = exact(response)
    return body


def assert_balance_is_sum_of_ledger(api: ApiClient, user: ApiUser) -> Decimal:
    entries = ledger(api, user)
    balance = Decimal(overview(api, user)["balance"])
    assert balance == sum((Decimal(e["amount"]) for e in entries), Decimal(0))
    assert balance >= 0
    if entries:
        # Ids follow the order entries were applied in (created_at is taken before the row
        # lock is waited for, so under concurrency it need not): the last one ends at balance.
        last = max(entries, key=lambda e: int(e["id"]))
        assert Decimal(last["balanceAfter"]) == balance
    return balance


def run_together(
    base_url: str, requests: Sequence[tuple[dict[str, Any], str | None]]
) -> list[httpx.Response]:
    """Send every (body, idempotency key) at once: one thread and one client per request."""
    barrier = threading.Barrier(len(requests))

    def send(body: dict[str, Any], key: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {SERVICE_KEY}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        with httpx.Client(base_url=base_url, timeout=120) as client:
            client.get("/api/health")  # open the connection before the starting gun
            barrier.wait(timeout=60)
            return client.post(DEDUCT, json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        futures = [pool.submit(send, body, key) for body, key in requests]
        return [future.result() for future in futures]


@pytest.fixture
def funded(api: ApiClient) -> ApiUser:
    user = api.register("payer")
    fund_user(user, "100")
    return user


def test_replayed_key_returns_the_identical_body_and_deducts_once(
    api: ApiClient, funded: ApiUser
) -> None:
    key = f"order-{uuid.uuid4()}"
    body = deduct_body(funded, "12.5")

    first = api.service_deduct(body, key)
    assert first.status_code == 200, first.text
    after_first = (overview(api, funded), ledger(api, funded))
    second = api.service_deduct(body, key)
    third = api.service_deduct(body, key)

    assert second.status_code == third.status_code == 200
    assert second.content == first.content == third.content
    assert exact(first)["newBalance"] == Decimal("87.5")
    assert (overview(api, funded), ledger(api, funded)) == after_first
    assert len(after_first[1]) == 2  # the funding grant and one deduction
    assert after_first[1][0]["id"] == exact(first)["transactionId"]


def test_the_same_request_spelled_differently_is_a_replay_not_a_conflict(
    api: ApiClient, funded: ApiUser
) -> None:
    """Metadata key order and the spelling of the amount (1 vs "1.000") are not the request."""
    key = f"order-{uuid.uuid4()}"
    first = api.service_deduct(deduct_body(funded, amount=1, metadata={"a": 1, "b": [1, 2]}), key)
    again = api.service_deduct(
        deduct_body(funded, amount="1.000", metadata={"b": [1, 2], "a": 1}), key
    )
    assert first.status_code == again.status_code == 200, again.text
    assert again.content == first.content
    assert len(ledger(api, funded)) == 2


CHANGES: list[tuple[str, Callable[[ApiUser, int], dict[str, Any]]]] = [
    ("amount", lambda user, org_id: {"amount": "2"}),
    ("amount-one-unit-more", lambda user, org_id: {"amount": "1.0001"}),
    ("category", lambda user, org_id: {"category": "premium_feature"}),
    ("description", lambda user, org_id: {"description": "Sticker pack!"}),
    ("metadata-value", lambda user, org_id: {"metadata": {"item": "stickers", "qty": 4}}),
    (
        "metadata-extra-key",
        lambda user, org_id: {"metadata": {"item": "stickers", "qty": 3, "x": 1}},
    ),
    ("metadata-empty", lambda user, org_id: {"metadata": {}}),
    ("wallet-org", lambda user, org_id: {"wallet": {"type": "org", "id": org_id}}),
]


@pytest.mark.parametrize("change", [c for _, c in CHANGES], ids=[name for name, _ in CHANGES])
def test_same_key_with_a_different_request_is_409_and_changes_nothing(
    api: ApiClient, funded: ApiUser, change: Callable[[ApiUser, int], dict[str, Any]]
) -> None:
    org_id = int(api.create_org(funded, "Shop")["id"])
    fund_org(org_id, "100")
    key = f"order-{uuid.uuid4()}"
    original = api.service_deduct(deduct_body(funded), key)
    assert original.status_code == 200, original.text
    before = [
        (overview(api, funded), ledger(api, funded)),
        (overview(api, funded, org_id), ledger(api, funded, org_id)),
    ]

    conflicting = api.service_deduct(deduct_body(funded, **change(funded, org_id)), key)

    assert conflicting.status_code == 409, conflicting.text
    error = conflicting.json()["error"]
    assert error["code"] == "idempotency_conflict"
    assert error["details"] == {"idempotencyKey": key}
    after = [
        (overview(api, funded), ledger(api, funded)),
        (overview(api, funded, org_id), ledger(api, funded, org_id)),
    ]
    assert after == before
    # The original request under the key still replays after the conflict.
    assert api.service_deduct(deduct_body(funded), key).content == original.content


def test_a_key_used_on_one_wallet_conflicts_on_another_wallet_even_with_its_own_body(
    api: ApiClient, funded: ApiUser
) -> None:
    """The key is bound to the wallet that used it first, whatever the second body says."""
    other = api.register("other-payer")
    fund_user(other, "100")
    key = f"order-{uuid.uuid4()}"
    assert api.service_deduct(deduct_body(funded), key).status_code == 200
    before = (overview(api, other), ledger(api, other))

    on_other = api.service_deduct(deduct_body(other), key)

    assert on_other.status_code == 409, on_other.text
    assert on_other.json()["error"]["code"] == "idempotency_conflict"
    assert (overview(api, other), ledger(api, other)) == before


def test_a_refused_deduction_does_not_burn_its_key(api: ApiClient) -> None:
    """A 402 posts nothing, so the same key succeeds once the wallet can pay."""
    user = api.register("short")
    fund_user(user, "1")
    key = f"order-{uuid.uuid4()}"
    refused = api.service_deduct(deduct_body(user, "5"), key)
    assert refused.status_code == 402, refused.text
    assert refused.json()["error"]["code"] == "insufficient_credits"
    fund_user(user, "10")
    accepted = api.service_deduct(deduct_body(user, "5"), key)
    assert accepted.status_code == 200, accepted.text
    assert exact(accepted)["newBalance"] == Decimal(6)


def test_ten_concurrent_identical_requests_deduct_once_and_all_get_the_same_answer(
    api: ApiClient, funded: ApiUser
) -> None:
    key = f"order-{uuid.uuid4()}"
    body = deduct_body(funded, "7")

    responses = run_together(str(api.http.base_url), [(body, key)] * 10)

    assert [r.status_code for r in responses] == [200] * 10, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1
    answer = exact(responses[0])
    assert answer["newBalance"] == Decimal(93)
    entries = ledger(api, funded)
    assert [e["type"] for e in entries] == ["usage", "grant"]
    assert entries[0]["id"] == answer["transactionId"]
    assert assert_balance_is_sum_of_ledger(api, funded) == Decimal(93)


def test_ten_concurrent_requests_with_one_key_and_different_amounts_apply_exactly_one(
    api: ApiClient, funded: ApiUser
) -> None:
    key = f"order-{uuid.uuid4()}"
    requests = [(deduct_body(funded, str(amount)), key) for amount in range(1, 11)]

    responses = run_together(str(api.http.base_url), requests)

    statuses = [r.status_code for r in responses]
    assert sorted(statuses) == [200] + [409] * 9, [r.text for r in responses]
    winner = next(i for i, r in enumerate(responses) if r.status_code == 200)
    winning_amount = Decimal(winner + 1)
    for response in responses:
        if response.status_code == 409:
            assert response.json()["error"]["code"] == "idempotency_conflict"
    entries = ledger(api, funded)
    assert len(entries) == 2
    assert Decimal(entries[0]["amount"]) == -winning_amount
    assert assert_balance_is_sum_of_ledger(api, funded) == Decimal(100) - winning_amount


def test_fifty_concurrent_deductions_on_a_wallet_funded_for_twenty_succeed_exactly_twenty_times(
    api: ApiClient,
) -> None:
    user = api.register("crowd")
    fund_user(user, "20")
    requests = [(deduct_body(user, "1", description=f"item {i}"), None) for i in range(50)]

    responses = run_together(str(api.http.base_url), requests)

    succeeded = [exact(r) for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 402]
    assert len(succeeded) == 20 and len(refused) == 30, sorted(r.status_code for r in responses)
    assert {r.json()["error"]["code"] for r in refused} == {"insufficient_credits"}
    # Each success saw a distinct balance: they were applied one after another, none lost.
    assert sorted(Decimal(s["newBalance"]) for s in succeeded) == [Decimal(n) for n in range(20)]
    assert len({s["transactionId"] for s in succeeded}) == 20
    assert assert_balance_is_sum_of_ledger(api, user) == 0
    assert len(ledger(api, user)) == 21


def test_monthly_limit_is_never_exceeded_under_thirty_concurrent_deductions(
    api: ApiClient,
) -> None:
    user = api.register("limited")
    fund_user(user, "100")
    limit = api.http.patch(
        "/api/credits/settings", json={"monthlyLimit": "10"}, headers=user.headers
    )
    assert limit.status_code == 200, limit.text
    requests = [(deduct_body(user, "1", description=f"call {i}"), None) for i in range(30)]

    responses = run_together(str(api.http.base_url), requests)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 10 + [402] * 20, statuses
    codes = {r.json()["error"]["code"] for r in responses if r.status_code == 402}
    assert codes == {"monthly_limit_reached"}
    state = overview(api, user)
    assert Decimal(state["usedThisMonth"]) == Decimal(10) == Decimal(state["monthlyLimit"])
    assert assert_balance_is_sum_of_ledger(api, user) == Decimal(90)
