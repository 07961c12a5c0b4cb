"""The shape of every REST endpoint served today (DESIGN §4), checked over real HTTP.

Exact status codes, exact camelCase key sets, value types, and exact numbers: bodies are parsed
with `decoded` (fractions as Decimal) so a credit amount that lost a unit would show.
"""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.support.api_client import (
    JSON_HEADERS,
    PASSWORD,
    ApiClient,
    ApiUser,
    assert_error,
    decoded,
    exact_json,
    fund_org,
    fund_user,
)

USER_KEYS = {"id", "email", "name"}
ORG_KEYS = {"id", "name", "slug", "role"}
BALANCE_KEYS = {
    "balance",
    "status",
    "lowThreshold",
    "criticalThreshold",
    "usedThisMonth",
    "monthlyLimit",
    "held",
    "available",
    "expiring",
}
SETTINGS_KEYS = {"monthlyLimit", "lowThreshold", "criticalThreshold"}
TOKENS_KEYS = {
    "inputTokens",
    "outputTokens",
    "totalTokens",
    "creditsUsed",
    "periodStart",
    "periodEnd",
    "limit",
    "percentUsed",
    "balance",
}
HISTORY_ITEM_KEYS = {
    "id",
    "type",
    "category",
    "amount",
    "balanceAfter",
    "description",
    "metadata",
    "createdAt",
    "refundableAmount",
    "refundableUntil",
}
USAGE_KEYS = {"days", "totalUsed", "byCategory", "daily", "ai"}
CATEGORIES = {"ai_usage", "marketplace", "premium_feature", "subscription", "transfer", "other"}
AI_FEATURES = {"chat", "image", "tts", "stt"}
PACKAGE_KEYS = {
    "id",
    "name",
    "credits",
    "bonusCredits",
    "priceCents",
    "currency",
    "popular",
    "bonusExpiresInDays",
}


def D(text: str) -> Decimal:
    return Decimal(text)


def ok_json(response: httpx.Response, status: int = 200) -> Any:
    """The decoded body of a successful JSON response."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return decoded(response)


def is_number(value: object) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def deduct(
    api: ApiClient,
    wallet: dict[str, Any],
    amount: str,
    category: str = "marketplace",
    metadata: dict[str, Any] | None = None,
    description: str = "",
) -> httpx.Response:
    """A service deduction whose amount goes out as an exact JSON number."""
    body = {
        "wallet": wallet,
        "amount": D(amount),
        "category": category,
        "description": description,
        "metadata": metadata or {},
    }
    return api.http.post(
        "/api/internal/credits/deduct",
        content=exact_json(body),
        headers=JSON_HEADERS | {"Authorization": "Bearer test-service-key"},
    )


def personal(user: ApiUser) -> dict[str, Any]:
    return {"type": "user", "id": user.id}


def balance_of(api: ApiClient, user: ApiUser, path: str = "/api/credits") -> dict[str, Any]:
    body: dict[str, Any] = ok_json(api.http.get(path, headers=user.headers))
    assert set(body) == BALANCE_KEYS
    return body


def patch_settings(
    api: ApiClient, user: ApiUser, change: dict[str, Any], path: str = "/api/credits/settings"
) -> dict[str, Any]:
    response = api.http.patch(path, content=exact_json(change), headers=JSON_HEADERS | user.headers)
    body: dict[str, Any] = ok_json(response)
    assert set(body) == SETTINGS_KEYS
    return body


def history(api: ApiClient, user: ApiUser, **query: Any) -> dict[str, Any]:
    response = api.http.get("/api/credits/history", params=query, headers=user.headers)
    body: dict[str, Any] = ok_json(response)
    assert set(body) == {"items", "nextCursor"}
    return body


# --- auth -----------------------------------------------------------------------------------


def test_register_answers_201_with_the_user_and_a_working_token(api: ApiClient) -> None:
    email = f"New.Person-{uuid.uuid4().hex[:10]}@Example.com"
    response = api.http.post(
        "/api/auth/register", json={"email": email, "name": "New Person", "password": PASSWORD}
    )
    body = ok_json(response, 201)
    assert set(body) == {"user", "token"}
    assert set(body["user"]) == USER_KEYS
    assert isinstance(body["user"]["id"], int) and body["user"]["id"] >= 1
    assert body["user"]["email"] == email.lower()
    assert body["user"]["name"] == "New Person"
    assert isinstance(body["token"], str) and len(body["token"]) >= 32
    me = ok_json(api.http.get("/api/me", headers={"Authorization": f"Bearer {body['token']}"}))
    assert me == {"user": body["user"], "orgs": []}


def test_register_with_a_taken_email_is_409_already_exists(api: ApiClient) -> None:
    user = api.register()
    response = api.http.post(
        "/api/auth/register",
        json={"email": user.email.upper(), "name": "Twin", "password": PASSWORD},
    )
    assert_error(response, 409, "already_exists")


def test_login_returns_the_user_and_a_new_token_alongside_the_old_one(api: ApiClient) -> None:
    user = api.register("login")
    response = api.http.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    body = ok_json(response)
    assert set(body) == {"user", "token"}
    assert body["user"] == {"id": user.id, "email": user.email, "name": "Login"}
    assert isinstance(body["token"], str) and body["token"] != user.token
    for token in (body["token"], user.token):
        me = api.http.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert ok_json(me)["user"]["id"] == user.id


def test_login_with_a_wrong_password_is_401_invalid_credentials(api: ApiClient) -> None:
    user = api.register()
    response = api.http.post("/api/auth/login", json={"email": user.email, "password": "nope" * 3})
    error = assert_error(response, 401, "invalid_credentials")
    assert "token" not in response.text
    assert error.get("details") is None


def test_logout_answers_204_and_then_that_token_is_rejected(api: ApiClient) -> None:
    user = api.register()
    other = ok_json(
        api.http.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    )["token"]
    response = api.http.post("/api/auth/logout", headers=user.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert_error(api.http.get("/api/me", headers=user.headers), 401, "not_authenticated")
    assert_error(api.http.post("/api/auth/logout", headers=user.headers), 401, "not_authenticated")
    # Only that session ended: the user's other session still works.
    still = api.http.get("/api/me", headers={"Authorization": f"Bearer {other}"})
    assert ok_json(still)["user"]["id"] == user.id


# --- me, orgs, members ----------------------------------------------------------------------


def test_me_lists_every_org_of_the_user_with_the_users_role_in_it(api: ApiClient) -> None:
    user, boss = api.register("me"), api.register("boss")
    own = api.create_org(user, "Mine")
    theirs = api.create_org(boss, "Theirs")
    api.add_member(boss, theirs["id"], user, "admin")
    body = ok_json(api.http.get("/api/me", headers=user.headers))
    assert set(body) == {"user", "orgs"}
    assert body["user"] == {"id": user.id, "email": user.email, "name": "Me"}
    assert all(set(org) == ORG_KEYS for org in body["orgs"])
    assert body["orgs"] == [
        {"id": own["id"], "name": "Mine", "slug": own["slug"], "role": "owner"},
        {"id": theirs["id"], "name": "Theirs", "slug": theirs["slug"], "role": "admin"},
    ]


def test_create_org_answers_201_with_the_creator_as_owner(api: ApiClient) -> None:
    user = api.register()
    slug = f"acme-{uuid.uuid4().hex[:8]}"
    response = api.http.post(
        "/api/orgs", json={"name": "Acme Robotics", "slug": slug}, headers=user.headers
    )
    body = ok_json(response, 201)
    assert set(body) == ORG_KEYS
    assert isinstance(body["id"], int)
    assert body == {"id": body["id"], "name": "Acme Robotics", "slug": slug, "role": "owner"}


def test_create_org_without_a_slug_derives_it_from_the_name(api: ApiClient) -> None:
    user = api.register()
    tag = uuid.uuid4().hex[:8]
    response = api.http.post(
        "/api/orgs", json={"name": f"Big Co, Inc. {tag}"}, headers=user.headers
    )
    assert ok_json(response, 201)["slug"] == f"big-co-inc-{tag}"


def test_create_org_with_a_taken_slug_is_409_already_exists(api: ApiClient) -> None:
    user = api.register()
    org = api.create_org(user)
    response = api.http.post(
        "/api/orgs", json={"name": "Copy", "slug": org["slug"]}, headers=user.headers
    )
    assert_error(response, 409, "already_exists")


def test_add_member_answers_201_with_user_id_and_role(api: ApiClient) -> None:
    owner, newcomer = api.register("owner"), api.register("newcomer")
    org = api.create_org(owner)
    response = api.http.post(
        f"/api/orgs/{org['id']}/members",
        json={"email": newcomer.email.upper(), "role": "member"},
        headers=owner.headers,
    )
    body = ok_json(response, 201)
    assert body == {"userId": newcomer.id, "role": "member"}
    orgs = ok_json(api.http.get("/api/me", headers=newcomer.headers))["orgs"]
    assert [(o["id"], o["role"]) for o in orgs] == [(org["id"], "member")]


def test_add_member_errors_unknown_email_duplicate_and_owner_role(api: ApiClient) -> None:
    owner, member = api.register(), api.register()
    org = api.create_org(owner)
    path = f"/api/orgs/{org['id']}/members"
    unknown = api.http.post(
        path, json={"email": "nobody-x@example.com", "role": "member"}, headers=owner.headers
    )
    assert_error(unknown, 404, "user_not_found")
    api.add_member(owner, org["id"], member, "member")
    again = api.http.post(
        path, json={"email": member.email, "role": "admin"}, headers=owner.headers
    )
    assert_error(again, 409, "already_exists")
    as_owner = api.http.post(
        path, json={"email": api.register().email, "role": "owner"}, headers=owner.headers
    )
    assert_error(as_owner, 422, "validation_error")


# --- balance and settings --------------------------------------------------------------------


def test_new_wallet_balance_is_zero_critical_with_no_settings(api: ApiClient) -> None:
    user = api.register()
    assert balance_of(api, user) == {
        "balance": 0,
        "status": "critical",
        "lowThreshold": None,
        "criticalThreshold": None,
        "usedThisMonth": 0,
        "monthlyLimit": None,
        "held": 0,
        "available": 0,
        "expiring": [],
    }


def test_balance_status_follows_thresholds_and_spending(api: ApiClient) -> None:
    user = api.register()
    fund_user(user, "100")
    assert balance_of(api, user)["status"] == "ok"
    patch_settings(api, user, {"lowThreshold": D("50"), "criticalThreshold": D("20")})
    first = balance_of(api, user)
    assert first == {
        "balance": 100,
        "status": "ok",
        "lowThreshold": 50,
        "criticalThreshold": 20,
        "usedThisMonth": 0,
        "monthlyLimit": None,
        "held": 0,
        "available": 100,
        "expiring": [],
    }
    assert ok_json(deduct(api, personal(user), "50"))["newBalance"] == 50
    assert balance_of(api, user)["status"] == "low"  # at the low threshold counts as low
    deduct(api, personal(user), "29.9999")
    assert balance_of(api, user)["status"] == "low"  # 20.0001 is still above critical
    deduct(api, personal(user), "0.0001")
    after = balance_of(api, user)
    assert (after["balance"], after["status"], after["usedThisMonth"]) == (20, "critical", 80)
    patch_settings(api, user, {"criticalThreshold": D("10")})
    assert balance_of(api, user)["status"] == "low"
    patch_settings(api, user, {"lowThreshold": D("19.9999")})
    assert balance_of(api, user)["status"] == "ok"


def test_settings_patch_returns_settings_null_clears_and_absent_keys_stay(
    api: ApiClient,
) -> None:
    user = api.register()
    full = {"monthlyLimit": D("500.5"), "lowThreshold": D("100"), "criticalThreshold": D("0.0001")}
    assert patch_settings(api, user, full) == full
    assert patch_settings(api, user, {"lowThreshold": None}) == full | {"lowThreshold": None}
    assert patch_settings(api, user, {}) == full | {"lowThreshold": None}
    assert patch_settings(api, user, {"monthlyLimit": None, "lowThreshold": D("7")}) == {
        "monthlyLimit": None,
        "lowThreshold": 7,
        "criticalThreshold": D("0.0001"),
    }
    balance = balance_of(api, user)
    assert (balance["monthlyLimit"], balance["lowThreshold"], balance["criticalThreshold"]) == (
        None,
        7,
        D("0.0001"),
    )
    assert '"criticalThreshold":0.0001' in api.http.get("/api/credits", headers=user.headers).text


# --- service deductions ---------------------------------------------------------------------


def test_internal_deduct_returns_transaction_id_and_exact_new_balance(api: ApiClient) -> None:
    user = api.register()
    fund_user(user, "1")
    response = deduct(api, personal(user), "0.0001", description="one unit")
    body = ok_json(response)
    assert set(body) == {"transactionId", "newBalance"}
    assert isinstance(body["transactionId"], int)
    assert body["newBalance"] == D("0.9999")
    assert '"newBalance":0.9999' in response.text
    newest = history(api, user)["items"][0]
    assert (newest["id"], newest["amount"], newest["balanceAfter"]) == (
        body["transactionId"],
        D("-0.0001"),
        D("0.9999"),
    )


def test_smallest_unit_survives_the_round_trip_as_a_json_number(api: ApiClient) -> None:
    user = api.register()
    fund_user(user, "0.0001")
    response = api.http.get("/api/credits", headers=user.headers)
    assert '"balance":0.0001' in response.text
    assert decoded(response)["balance"] == D("0.0001")


def test_org_wallet_deduction_moves_only_the_org_balance(api: ApiClient) -> None:
    owner = api.register()
    org = api.create_org(owner)
    fund_org(org["id"], "12.5")
    fund_user(owner, "3")
    body = ok_json(deduct(api, {"type": "org", "id": org["id"]}, "2.25"))
    assert body["newBalance"] == D("10.25")
    assert api.balance(owner, org["id"]) == D("10.25")
    assert api.balance(owner) == 3


def test_deduction_past_the_monthly_limit_is_402_and_changes_nothing(api: ApiClient) -> None:
    user = api.register()
    fund_user(user, "100")
    patch_settings(api, user, {"monthlyLimit": D("10")})
    assert ok_json(deduct(api, personal(user), "6"))["newBalance"] == 94
    error = assert_error(deduct(api, personal(user), "4.0001"), 402, "monthly_limit_reached")
    assert error["details"] == {"required": D("4.0001"), "monthlyLimit": 10, "usedThisMonth": 6}
    balance = balance_of(api, user)
    assert (balance["balance"], balance["usedThisMonth"], balance["monthlyLimit"]) == (94, 6, 10)
    assert len(history(api, user, type="usage")["items"]) == 1
    # Spending exactly up to the limit is allowed.
    assert ok_json(deduct(api, personal(user), "4"))["newBalance"] == 90
    assert balance_of(api, user)["usedThisMonth"] == 10


def test_insufficient_credits_is_402_with_required_and_available(api: ApiClient) -> None:
    user = api.register()
    fund_user(user, "3.5")
    error = assert_error(deduct(api, personal(user), "3.5001"), 402, "insufficient_credits")
    assert error["details"] == {"required": D("3.5001"), "available": D("3.5")}
    assert api.balance(user) == D("3.5")
    assert history(api, user, type="usage")["items"] == []


# --- AI tokens widget ------------------------------------------------------------------------


def test_tokens_widget_sums_this_months_ai_usage(api: ApiClient) -> None:
    user = api.register()
    fund_user(user, "100")
    chat = {"model": "gpt-test", "feature": "chat", "inputTokens": 1200, "outputTokens": 300}
    image = {"model": "img-test", "feature": "image", "inputTokens": 34, "outputTokens": 0}
    deduct(api, personal(user), "2.5", "ai_usage", chat)
    deduct(api, personal(user), "1.5", "ai_usage", image)
    deduct(api, personal(user), "10", "marketplace", {"inputTokens": 999})  # not AI: ignored
    body = ok_json(api.http.get("/api/credits/tokens", headers=user.headers))
    assert set(body) == TOKENS_KEYS
    now = datetime.now(UTC)
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    end = (start + timedelta(days=32)).replace(day=1)
    assert datetime.fromisoformat(body.pop("periodStart")) == start
    assert datetime.fromisoformat(body.pop("periodEnd")) == end
    assert body == {
        "inputTokens": 1234,
        "outputTokens": 300,
        "totalTokens": 1534,
        "creditsUsed": 4,
        "limit": None,
        "percentUsed": D("4.44"),  # 4 / (4 + 86) without a limit
        "balance": 86,
    }
    patch_settings(api, user, {"monthlyLimit": D("50")})
    limited = ok_json(api.http.get("/api/credits/tokens", headers=user.headers))
    assert (limited["limit"], limited["percentUsed"], limited["creditsUsed"]) == (50, 8, 4)


def test_tokens_widget_of_a_new_wallet_is_all_zero(api: ApiClient) -> None:
    user = api.register()
    body = ok_json(api.http.get("/api/credits/tokens", headers=user.headers))
    zeros = {k: body[k] for k in TOKENS_KEYS - {"periodStart", "periodEnd", "limit"}}
    assert zeros == dict.fromkeys(zeros, 0)
    assert body["limit"] is None


# --- history --------------------------------------------------------------------------------


def test_history_items_have_the_contract_keys_and_values(api: ApiClient) -> None:
    user = api.register()
    fund_user(user, "20")
    metadata = {"orderId": "A-1", "qty": 2, "price": D("1.25"), "tags": ["x"]}
    deduct(api, personal(user), "2.5", "marketplace", metadata, description="Sticker pack")
    body = history(api, user)
    assert body["nextCursor"] is None
    assert all(set(item) == HISTORY_ITEM_KEYS for item in body["items"])
    spend, grant = body["items"]
    assert spend["refundableAmount"] == D("2.5") and spend["refundableUntil"]
    assert grant["refundableAmount"] is None and grant["refundableUntil"] is None
    ignored = {"id", "createdAt", "refundableAmount", "refundableUntil"}
    assert {k: spend[k] for k in HISTORY_ITEM_KEYS - ignored} == {
        "type": "usage",
        "category": "marketplace",
        "amount": D("-2.5"),
        "balanceAfter": D("17.5"),
        "description": "Sticker pack",
        "metadata": metadata,
    }
    assert (grant["type"], grant["category"], grant["amount"], grant["balanceAfter"]) == (
        "grant",
        None,
        20,
        20,
    )
    assert isinstance(spend["id"], int) and spend["id"] > grant["id"]
    created = datetime.fromisoformat(spend["createdAt"])
    assert created.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=5)


def test_history_filters_by_type_and_category(api: ApiClient) -> None:
    user = api.register()
    fund_user(user, "50")
    fund_user(user, "5")
    deduct(api, personal(user), "1", "ai_usage", {"model": "m", "feature": "chat"})
    deduct(api, personal(user), "2", "ai_usage", {"model": "m", "feature": "tts"})
    deduct(api, personal(user), "3", "marketplace")

    def amounts(**query: str) -> list[Decimal]:
        return [item["amount"] for item in history(api, user, **query)["items"]]

    assert amounts(type="usage") == [-3, -2, -1]
    assert amounts(type="grant") == [5, 50]
    assert amounts(category="ai_usage") == [-2, -1]
    assert amounts(type="usage", category="marketplace") == [-3]
    assert amounts(category="subscription") == []
    assert amounts() == [-3, -2, -1, 5, 50]


def test_history_cursor_walks_every_entry_once_newest_first(api: ApiClient) -> None:
    user = api.register()
    for amount in range(1, 13):
        fund_user(user, str(amount))
        if amount % 4 == 0:
            deduct(api, personal(user), "0.5")
    everything = history(api, user, limit=100)["items"]
    assert len(everything) == 15

    def walk(limit: int, **query: str) -> tuple[list[dict[str, Any]], list[int]]:
        items: list[dict[str, Any]] = []
        sizes: list[int] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": limit, **query}
            if cursor is not None:
                params["cursor"] = cursor
            page = history(api, user, **params)
            items += page["items"]
            sizes.append(len(page["items"]))
            cursor = page["nextCursor"]
            if cursor is None:
                return items, sizes
            assert isinstance(cursor, str) and cursor
            assert len(sizes) < 20, "the cursor walk does not end"

    items, sizes = walk(4)
    assert sizes == [4, 4, 4, 3]
    assert items == everything  # same rows, same order: no duplicates, no gaps
    keys = [(datetime.fromisoformat(i["createdAt"]), i["id"]) for i in items]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == 15
    grants, grant_sizes = walk(5, type="grant")
    assert grant_sizes == [5, 5, 2]
    assert [g["amount"] for g in grants] == list(range(12, 0, -1))
    exact, exact_sizes = walk(15)
    assert exact_sizes == [15] and exact == everything  # a full last page has no cursor


# --- usage ----------------------------------------------------------------------------------


def test_usage_report_totals_by_category_day_model_and_feature(api: ApiClient) -> None:
    user = api.register()
    fund_user(user, "100")
    deduct(api, personal(user), "2.5", "ai_usage", {"model": "m-one", "feature": "chat"})
    deduct(api, personal(user), "1.25", "ai_usage", {"model": "m-two", "feature": "image"})
    deduct(api, personal(user), "0.0001", "ai_usage", {"feature": "stt"})
    deduct(api, personal(user), "3", "premium_feature")
    body = ok_json(api.http.get("/api/credits/usage", params={"days": 7}, headers=user.headers))
    assert set(body) == USAGE_KEYS
    assert body["days"] == 7
    assert body["totalUsed"] == D("6.7501")
    assert body["byCategory"] == dict.fromkeys(CATEGORIES, 0) | {
        "ai_usage": D("3.7501"),
        "premium_feature": 3,
    }
    daily = body["daily"]
    assert len(daily) == 7 and all(set(day) == {"date", "total", "byCategory"} for day in daily)
    dates = [date.fromisoformat(day["date"]) for day in daily]
    today = datetime.now(UTC).date()
    assert dates == [today - timedelta(days=n) for n in range(6, -1, -1)]
    assert daily[-1]["total"] == D("6.7501")
    assert daily[-1]["byCategory"] == body["byCategory"]
    assert all(day["total"] == 0 for day in daily[:-1])
    assert set(body["ai"]) == {"byModel", "byFeature"}
    assert body["ai"]["byModel"] == {"m-one": D("2.5"), "m-two": D("1.25"), "unknown": D("0.0001")}
    assert body["ai"]["byFeature"] == {
        "chat": D("2.5"),
        "image": D("1.25"),
        "tts": 0,
        "stt": D("0.0001"),
    }


def test_usage_defaults_to_thirty_days(api: ApiClient) -> None:
    user = api.register()
    body = ok_json(api.http.get("/api/credits/usage", headers=user.headers))
    assert (body["days"], len(body["daily"]), body["totalUsed"]) == (30, 30, 0)
    assert body["ai"] == {"byModel": {}, "byFeature": dict.fromkeys(AI_FEATURES, 0)}


# --- org wallets ----------------------------------------------------------------------------


def test_org_wallet_endpoints_have_the_personal_shapes(api: ApiClient) -> None:
    owner = api.register()
    org = api.create_org(owner)
    base = f"/api/orgs/{org['id']}/credits"
    fund_org(org["id"], "40")
    deduct(api, {"type": "org", "id": org["id"]}, "1.5", "subscription")
    settings = patch_settings(api, owner, {"lowThreshold": D("50")}, path=f"{base}/settings")
    assert settings == {"monthlyLimit": None, "lowThreshold": 50, "criticalThreshold": None}
    balance = balance_of(api, owner, base)
    assert (balance["balance"], balance["status"], balance["usedThisMonth"]) == (
        D("38.5"),
        "low",
        D("1.5"),
    )
    page = ok_json(api.http.get(f"{base}/history", headers=owner.headers))
    assert set(page) == {"items", "nextCursor"}
    assert [(i["type"], i["amount"]) for i in page["items"]] == [
        ("usage", D("-1.5")),
        ("grant", 40),
    ]
    usage = ok_json(api.http.get(f"{base}/usage", params={"days": 1}, headers=owner.headers))
    assert set(usage) == USAGE_KEYS
    assert (usage["days"], usage["totalUsed"], usage["byCategory"]["subscription"]) == (
        1,
        D("1.5"),
        D("1.5"),
    )
    # The owner's personal wallet was not touched.
    assert balance_of(api, owner)["balance"] == 0


# --- packages -------------------------------------------------------------------------------


def test_packages_are_public_with_the_contract_keys(api: ApiClient) -> None:
    packages = ok_json(api.http.get("/api/credits/packages"))
    assert isinstance(packages, list) and packages
    for package in packages:
        assert set(package) == PACKAGE_KEYS
        assert isinstance(package["id"], str) and package["id"]
        assert isinstance(package["name"], str) and package["name"]
        assert is_number(package["credits"]) and package["credits"] > 0
        assert is_number(package["bonusCredits"]) and package["bonusCredits"] >= 0
        assert type(package["priceCents"]) is int and package["priceCents"] > 0
        assert isinstance(package["currency"], str) and package["currency"]
        assert isinstance(package["popular"], bool)
    assert len({p["id"] for p in packages}) == len(packages)


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/nope", 404, "not_found"),
        ("GET", "/api/credits/nope", 404, "not_found"),
        ("DELETE", "/api/credits", 405, "method_not_allowed"),
        ("PUT", "/api/me", 405, "method_not_allowed"),
    ],
)
def test_unrouted_api_requests_answer_in_the_error_shape(
    api: ApiClient, method: str, path: str, status: int, code: str
) -> None:
    assert_error(api.http.request(method, path), status, code)
