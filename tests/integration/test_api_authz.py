"""Who may call what: the org role matrix, missing and bad tokens, and wallet isolation.

Each cell of the matrix is its own test id (`-k "member and settings"` runs one). Outsiders must
learn nothing: their 404 is byte-for-byte the answer for an org that does not exist.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from credits_app.auth.sessions import start_session
from credits_app.clock import frozen_at
from credits_app.db import use_engine
from tests.support.api_client import (
    SERVICE_KEY,
    ApiClient,
    ApiUser,
    assert_error,
    decoded,
    fund_org,
    fund_user,
    no_cookie_jar,
)
from tests.support.app_server import RunningApp

NO_SUCH_ORG = 2**31 - 1  # the largest id the path accepts; never reached by the tests' orgs


@dataclass(frozen=True)
class OrgWorld:
    """One org with a user in every role, plus an outsider."""

    org_id: int
    users: dict[str, ApiUser]


@dataclass(frozen=True)
class Endpoint:
    """An org endpoint: how to call it and whether it changes anything."""

    name: str
    method: str
    path: str  # with {org}, and {target} for endpoints about one member or invitation
    writes: bool
    managers_only: bool = False  # a read that members may not make either (invitations)

    def call(
        self, api: ApiClient, user: ApiUser, org_id: int, attempt: "Attempt | None" = None
    ) -> httpx.Response:
        target = attempt.target.id if attempt and attempt.target else 0
        if attempt and attempt.path_id is not None:
            target = attempt.path_id
        url = self.path.format(org=org_id, target=target)
        body = attempt.body if attempt else None
        return api.http.request(self.method, url, json=body, headers=user.headers)


ORG_ENDPOINTS = [
    Endpoint("balance", "GET", "/api/orgs/{org}/credits", writes=False),
    Endpoint("history", "GET", "/api/orgs/{org}/credits/history", writes=False),
    Endpoint("usage", "GET", "/api/orgs/{org}/credits/usage", writes=False),
    Endpoint("lots", "GET", "/api/orgs/{org}/credits/lots", writes=False),
    Endpoint("settings", "PATCH", "/api/orgs/{org}/credits/settings", writes=True),
    Endpoint("members", "POST", "/api/orgs/{org}/members", writes=True),
    Endpoint("member-list", "GET", "/api/orgs/{org}/members", writes=False),
    Endpoint("member-role", "PATCH", "/api/orgs/{org}/members/{target}", writes=True),
    Endpoint("member-remove", "DELETE", "/api/orgs/{org}/members/{target}", writes=True),
    Endpoint(
        "invitation-list", "GET", "/api/orgs/{org}/invitations", writes=False, managers_only=True
    ),
    Endpoint("invite", "POST", "/api/orgs/{org}/invitations", writes=True),
    Endpoint(
        "entry-lots", "GET", "/api/orgs/{org}/credits/transactions/{target}/lots", writes=False
    ),
    Endpoint("invitation-revoke", "DELETE", "/api/orgs/{org}/invitations/{target}", writes=True),
]
ONE_MEMBER_ENDPOINTS = {"member-role", "member-remove"}
READ_KEYS = {
    "balance": {
        "balance",
        "status",
        "lowThreshold",
        "criticalThreshold",
        "usedThisMonth",
        "monthlyLimit",
        "held",
        "available",
        "expiring",
    },
    "history": {"items", "nextCursor"},
    "usage": {"days", "totalUsed", "byCategory", "daily", "ai"},
    "lots": {"items"},
    "member-list": {"items"},
    "invitation-list": {"items"},
    "entry-lots": {"items"},
}
ROLES = ["outsider", "member", "admin", "owner"]


@pytest.fixture(scope="module")
def world(api_server: RunningApp, api_database_engine: Engine) -> Iterator[OrgWorld]:
    use_engine(api_database_engine)
    with httpx.Client(base_url=api_server.base_url, timeout=30, cookies=no_cookie_jar()) as http:
        client = ApiClient(http)
        users = {role: client.register(role) for role in ROLES}
        org_id = int(client.create_org(users["owner"], "Matrix")["id"])
        client.add_member(users["owner"], org_id, users["admin"], "admin")
        client.add_member(users["owner"], org_id, users["member"], "member")
        fund_org(org_id, "25")
        yield OrgWorld(org_id, users)


# Each manager sets different values, so neither cell can pass on the other's change.
MANAGER_SETTINGS = {
    "admin": {"monthlyLimit": None, "lowThreshold": 10, "criticalThreshold": 3},
    "owner": {"monthlyLimit": None, "lowThreshold": 12, "criticalThreshold": 4},
}
REFUSED_SETTINGS = {"monthlyLimit": 999, "lowThreshold": 998}  # never set by an allowed call


@dataclass(frozen=True)
class Attempt:
    """The body a test sends, and the registered user it is about (added, re-roled, removed)
    with the roles that user holds in the org while nothing has changed."""

    body: dict[str, Any] | None
    target: ApiUser | None = None
    target_roles: tuple[str, ...] = ()
    path_id: int | None = None  # the {target} when it is no user: an invitation, an entry
    invited_email: str | None = None  # pending before the call (revoke) or not (invite)


def attempt_for(api: ApiClient, world: OrgWorld, endpoint: Endpoint, role: str) -> Attempt:
    """A valid body, so a refusal can only come from the caller's role."""
    if endpoint.name == "members":
        target = api.register("target")
        return Attempt({"email": target.email, "role": "member"}, target)
    if endpoint.name in ONE_MEMBER_ENDPOINTS:
        target = api.register("target")
        api.add_member(world.users["owner"], world.org_id, target, "member")
        body = {"role": "admin"} if endpoint.name == "member-role" else None
        return Attempt(body, target, ("member",))
    if endpoint.name == "settings":
        change = dict(MANAGER_SETTINGS.get(role, REFUSED_SETTINGS))
        return Attempt(change)
    if endpoint.name == "invite":
        return Attempt({"email": fresh_email(), "role": "member"})
    if endpoint.name == "entry-lots":  # the org's funding grant: a credit, it used no lots
        owner = world.users["owner"]
        history = decoded(
            api.http.get(f"/api/orgs/{world.org_id}/credits/history", headers=owner.headers)
        )
        return Attempt(None, path_id=int(history["items"][-1]["id"]))
    if endpoint.name == "invitation-revoke":
        email = fresh_email()
        response = api.http.post(
            f"/api/orgs/{world.org_id}/invitations",
            json={"email": email, "role": "member"},
            headers=world.users["owner"].headers,
        )
        assert response.status_code == 201, response.text
        return Attempt(None, path_id=int(response.json()["id"]), invited_email=email)
    return Attempt(None)


def fresh_email() -> str:
    """An address nobody has registered (an invitation is for people without an account)."""
    return f"invitee-{uuid.uuid4().hex[:12]}@example.com"


def pending_invitations(api: ApiClient, world: OrgWorld) -> set[str]:
    owner = world.users["owner"]
    body = decoded(api.http.get(f"/api/orgs/{world.org_id}/invitations", headers=owner.headers))
    return {item["email"] for item in body["items"]}


def org_settings(api: ApiClient, world: OrgWorld) -> dict[str, Any]:
    owner = world.users["owner"]
    body: dict[str, Any] = decoded(
        api.http.get(f"/api/orgs/{world.org_id}/credits", headers=owner.headers)
    )
    return {k: body[k] for k in ("monthlyLimit", "lowThreshold", "criticalThreshold")}


def assert_nothing_changed(api: ApiClient, world: OrgWorld, attempt: Attempt) -> None:
    assert org_settings(api, world)["monthlyLimit"] is None
    if attempt.target is not None:
        assert roles_in_org(api, attempt.target, world) == list(attempt.target_roles)
    if attempt.invited_email is not None:  # a revoke refused: still pending
        assert attempt.invited_email in pending_invitations(api, world)
    if attempt.body and "email" in attempt.body and attempt.target is None:  # invite refused
        assert attempt.body["email"] not in pending_invitations(api, world)


def roles_in_org(api: ApiClient, user: ApiUser, world: OrgWorld) -> list[str]:
    """The roles the user holds in the world's org, as their own /api/me reports it."""
    me = decoded(api.http.get("/api/me", headers=user.headers))
    return [org["role"] for org in me["orgs"] if org["id"] == world.org_id]


# --- the role matrix ------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ORG_ENDPOINTS, ids=lambda e: e.name)
def test_outsider_gets_the_same_404_as_for_an_org_that_does_not_exist(
    api: ApiClient, world: OrgWorld, endpoint: Endpoint
) -> None:
    outsider = world.users["outsider"]
    attempt = attempt_for(api, world, endpoint, "outsider")
    real = endpoint.call(api, outsider, world.org_id, attempt)
    missing = endpoint.call(api, outsider, NO_SUCH_ORG, attempt)
    assert_error(real, 404, "org_not_found")
    assert (real.status_code, real.content) == (missing.status_code, missing.content)
    assert_nothing_changed(api, world, attempt)


@pytest.mark.parametrize("endpoint", ORG_ENDPOINTS, ids=lambda e: e.name)
def test_member_may_read_but_not_change_settings_or_members(
    api: ApiClient, world: OrgWorld, endpoint: Endpoint
) -> None:
    attempt = attempt_for(api, world, endpoint, "member")
    response = endpoint.call(api, world.users["member"], world.org_id, attempt)
    if endpoint.writes or endpoint.managers_only:
        error = assert_error(response, 403, "forbidden")
        assert error["details"] == {"role": "member"}
        assert_nothing_changed(api, world, attempt)
    else:
        assert response.status_code == 200, response.text
        assert set(decoded(response)) == READ_KEYS[endpoint.name]


@pytest.mark.parametrize("endpoint", ORG_ENDPOINTS, ids=lambda e: e.name)
@pytest.mark.parametrize("role", ["admin", "owner"])
def test_admins_and_owners_may_read_and_manage(
    api: ApiClient, world: OrgWorld, role: str, endpoint: Endpoint
) -> None:
    attempt = attempt_for(api, world, endpoint, role)
    response = endpoint.call(api, world.users[role], world.org_id, attempt)
    expected_status = {
        "members": 201,
        "member-remove": 204,
        "invite": 201,
        "invitation-revoke": 204,
    }.get(endpoint.name, 200)
    assert response.status_code == expected_status, response.text
    body = decoded(response) if response.content else None
    if endpoint.name == "balance":
        assert (set(body), body["balance"]) == (READ_KEYS["balance"], 25)
    elif endpoint.name == "history":
        assert [(i["type"], i["amount"]) for i in body["items"]] == [("grant", 25)]
    elif endpoint.name == "usage":
        assert (set(body), body["totalUsed"]) == (READ_KEYS["usage"], 0)
    elif endpoint.name == "lots":
        assert [(lot["source"], lot["remaining"]) for lot in body["items"]] == [("grant", 25)]
    elif endpoint.name == "settings":
        assert body == MANAGER_SETTINGS[role]
        assert org_settings(api, world) == MANAGER_SETTINGS[role]
    elif endpoint.name == "member-list":
        people = {item["userId"]: item["role"] for item in body["items"]}
        for who in ("owner", "admin", "member"):
            assert people[world.users[who].id] == who
        assert world.users["outsider"].id not in people
    elif endpoint.name == "member-role":
        assert attempt.target is not None
        assert (body["userId"], body["role"]) == (attempt.target.id, "admin")
        assert roles_in_org(api, attempt.target, world) == ["admin"]
    elif endpoint.name == "member-remove":
        assert attempt.target is not None
        assert roles_in_org(api, attempt.target, world) == []
    elif endpoint.name == "invitation-list":
        assert set(body) == READ_KEYS["invitation-list"]
        assert all(item["role"] in {"admin", "member"} for item in body["items"])
    elif endpoint.name == "invite":
        assert attempt.body is not None
        assert (body["email"], body["role"]) == (attempt.body["email"], "member")
        assert body["invitedBy"] == {"id": world.users[role].id, "name": role.title()}
        assert attempt.body["email"] in pending_invitations(api, world)
    elif endpoint.name == "invitation-revoke":
        assert attempt.invited_email not in pending_invitations(api, world)
    elif endpoint.name == "entry-lots":
        assert body == {"items": []}
    else:
        assert attempt.target is not None
        assert body == {"userId": attempt.target.id, "role": "member"}
        assert roles_in_org(api, attempt.target, world) == ["member"]


# --- no token, bad tokens -------------------------------------------------------------------

USER_ENDPOINTS = [
    ("POST", "/api/auth/logout", None),
    ("GET", "/api/me", None),
    ("POST", "/api/orgs", {"name": "Nope"}),
    ("POST", "/api/orgs/{org}/members", {"email": "x@example.com", "role": "member"}),
    ("GET", "/api/orgs/{org}/members", None),
    ("PATCH", "/api/orgs/{org}/members/1", {"role": "admin"}),
    ("DELETE", "/api/orgs/{org}/members/1", None),
    ("GET", "/api/orgs/{org}/invitations", None),
    ("GET", "/api/credits/transactions/1/lots", None),
    ("GET", "/api/orgs/{org}/credits/transactions/1/lots", None),
    ("POST", "/api/orgs/{org}/invitations", {"email": "x@example.com", "role": "member"}),
    ("DELETE", "/api/orgs/{org}/invitations/1", None),
    ("GET", "/api/credits", None),
    ("GET", "/api/credits/tokens", None),
    ("GET", "/api/credits/history", None),
    ("GET", "/api/credits/usage", None),
    ("PATCH", "/api/credits/settings", {"lowThreshold": 1}),
    ("GET", "/api/orgs/{org}/credits", None),
    ("GET", "/api/orgs/{org}/credits/history", None),
    ("GET", "/api/orgs/{org}/credits/usage", None),
    ("PATCH", "/api/orgs/{org}/credits/settings", {"lowThreshold": 1}),
    ("POST", "/api/credits/transfers", {"to": {"type": "user", "email": "x@e.com"}, "amount": 1}),
    ("POST", "/api/orgs/{org}/credits/transfers", {"to": {"type": "user", "id": 1}, "amount": 1}),
    ("POST", "/api/credits/transactions/1/refund", {}),
    ("POST", "/api/orgs/{org}/credits/transactions/1/refund", {}),
]
USER_ENDPOINT_IDS = [f"{method} {path}" for method, path, _ in USER_ENDPOINTS]


@pytest.fixture(scope="module")
def bad_tokens(world: OrgWorld, api_server: RunningApp) -> dict[str, str]:
    """Tokens that must never authenticate: garbage, expired, revoked, the service key."""
    owner = world.users["owner"]
    with frozen_at(datetime.now(UTC) - timedelta(days=31)):
        expired = start_session(owner.id).token  # a 30-day session that ended yesterday
    with httpx.Client(base_url=api_server.base_url, cookies=no_cookie_jar()) as http:
        login = http.post(
            "/api/auth/login", json={"email": owner.email, "password": "correct horse battery"}
        )
        revoked = login.json()["token"]
        assert (
            http.post(
                "/api/auth/logout", headers={"Authorization": f"Bearer {revoked}"}
            ).status_code
            == 204
        )
    return {
        "garbage": "uc_this-is-not-a-token",
        "expired": expired,
        "revoked": revoked,
        "service-key": SERVICE_KEY,
    }


@pytest.mark.parametrize(("method", "path", "body"), USER_ENDPOINTS, ids=USER_ENDPOINT_IDS)
def test_no_token_is_401_on_every_user_endpoint(
    api: ApiClient, world: OrgWorld, method: str, path: str, body: Any
) -> None:
    response = api.http.request(method, path.format(org=world.org_id), json=body)
    assert_error(response, 401, "not_authenticated")


@pytest.mark.parametrize(("method", "path", "body"), USER_ENDPOINTS, ids=USER_ENDPOINT_IDS)
@pytest.mark.parametrize("kind", ["garbage", "expired", "revoked", "service-key"])
def test_bad_token_is_401_on_every_user_endpoint(
    api: ApiClient,
    world: OrgWorld,
    bad_tokens: dict[str, str],
    kind: str,
    method: str,
    path: str,
    body: Any,
) -> None:
    headers = {"Authorization": f"Bearer {bad_tokens[kind]}"}
    response = api.http.request(method, path.format(org=world.org_id), json=body, headers=headers)
    assert_error(response, 401, "not_authenticated")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Token abc", "uc_abc"])
def test_malformed_authorization_header_is_401(api: ApiClient, header: str) -> None:
    assert_error(
        api.http.get("/api/me", headers={"Authorization": header}), 401, "not_authenticated"
    )


def test_the_owners_good_token_still_works_next_to_the_bad_ones(
    api: ApiClient, world: OrgWorld, bad_tokens: dict[str, str]
) -> None:
    """Guards the bad-token tests against passing because the owner cannot sign in at all."""
    owner = world.users["owner"]
    response = api.http.get("/api/me", headers=owner.headers)
    assert response.status_code == 200
    assert response.json()["user"]["id"] == owner.id


# --- isolation between users ----------------------------------------------------------------


def test_personal_endpoints_always_show_the_callers_own_wallet(api: ApiClient) -> None:
    alice, bob = api.register("alice"), api.register("bob")
    fund_user(alice, "7")
    fund_user(bob, "11")
    api.service_deduct(
        {
            "wallet": {"type": "user", "id": bob.id},
            "amount": 1,
            "category": "ai_usage",
            "metadata": {"model": "bob-model", "feature": "chat", "inputTokens": 5},
        }
    ).raise_for_status()
    sneaky_queries: list[dict[str, int]] = [{}, {"userId": bob.id}, {"user_id": bob.id}]
    for sneaky in sneaky_queries:
        balance = api.http.get("/api/credits", params=sneaky, headers=alice.headers)
        assert decoded(balance)["balance"] == 7
        page = api.http.get("/api/credits/history", params=sneaky, headers=alice.headers)
        assert [i["amount"] for i in decoded(page)["items"]] == [7]
        usage = api.http.get("/api/credits/usage", params=sneaky, headers=alice.headers)
        assert decoded(usage)["ai"]["byModel"] == {}
        tokens = api.http.get("/api/credits/tokens", params=sneaky, headers=alice.headers)
        assert (decoded(tokens)["inputTokens"], decoded(tokens)["balance"]) == (0, 7)
    assert api.balance(bob) == 10


def test_a_cursor_from_another_users_history_shows_only_the_callers_entries(
    api: ApiClient,
) -> None:
    alice, bob = api.register("alice"), api.register("bob")
    fund_user(alice, "1")
    for amount in ("2", "3", "4"):
        fund_user(bob, amount)
    bob_page = decoded(
        api.http.get("/api/credits/history", params={"limit": 1}, headers=bob.headers)
    )
    cursor = bob_page["nextCursor"]
    assert isinstance(cursor, str)
    page = api.http.get("/api/credits/history", params={"cursor": cursor}, headers=alice.headers)
    assert [i["amount"] for i in decoded(page)["items"]] == [1]


def test_settings_patch_changes_only_the_callers_wallet(api: ApiClient) -> None:
    alice, bob = api.register("alice"), api.register("bob")
    response = api.http.patch(
        "/api/credits/settings", json={"monthlyLimit": 5}, headers=alice.headers
    )
    assert response.status_code == 200
    assert decoded(api.http.get("/api/credits", headers=alice.headers))["monthlyLimit"] == 5
    assert decoded(api.http.get("/api/credits", headers=bob.headers))["monthlyLimit"] is None


def test_a_user_cannot_reach_another_users_org(api: ApiClient) -> None:
    alice, bob = api.register("alice"), api.register("bob")
    org = api.create_org(bob, "Bobs")
    fund_org(org["id"], "9")
    bodies: dict[str, dict[str, Any]] = {
        "members": {"email": alice.email, "role": "admin"},
        "settings": {"lowThreshold": 1},
        "member-role": {"role": "admin"},
        "invite": {"email": "nobody-yet@example.com", "role": "member"},
    }
    for endpoint in ORG_ENDPOINTS:
        attempt = Attempt(bodies.get(endpoint.name), bob)  # about bob, the org's owner
        assert_error(endpoint.call(api, alice, org["id"], attempt), 404, "org_not_found")
    assert decoded(api.http.get("/api/me", headers=alice.headers))["orgs"] == []
    bobs_view = decoded(api.http.get(f"/api/orgs/{org['id']}/credits", headers=bob.headers))
    assert (bobs_view["balance"], bobs_view["lowThreshold"]) == (9, None)


# --- the owner rules ------------------------------------------------------------------------


def test_only_owners_touch_owners_and_the_last_owner_cannot_leave(api: ApiClient) -> None:
    owner, admin, member = api.register("owner"), api.register("admin"), api.register("member")
    org_id = int(api.create_org(owner, "Owners")["id"])
    api.add_member(owner, org_id, admin, "admin")
    api.add_member(owner, org_id, member, "member")
    members = f"/api/orgs/{org_id}/members"

    demote = api.http.patch(f"{members}/{owner.id}", json={"role": "member"}, headers=admin.headers)
    assert_error(demote, 403, "forbidden")
    crown = api.http.patch(f"{members}/{member.id}", json={"role": "owner"}, headers=admin.headers)
    assert_error(crown, 403, "forbidden")
    assert_error(api.http.delete(f"{members}/{owner.id}", headers=admin.headers), 403, "forbidden")

    leave = api.http.delete(f"{members}/{owner.id}", headers=owner.headers)
    assert_error(leave, 409, "last_owner")
    alone = api.http.patch(f"{members}/{owner.id}", json={"role": "admin"}, headers=owner.headers)
    assert_error(alone, 409, "last_owner")

    promoted = api.http.patch(
        f"{members}/{member.id}", json={"role": "owner"}, headers=owner.headers
    )
    assert promoted.status_code == 200 and decoded(promoted)["role"] == "owner"
    assert api.http.delete(f"{members}/{owner.id}", headers=owner.headers).status_code == 204
    assert decoded(api.http.get("/api/me", headers=owner.headers))["orgs"] == []

    assert api.http.delete(f"{members}/{admin.id}", headers=admin.headers).status_code == 204
    left = decoded(api.http.get(members, headers=member.headers))["items"]
    assert [(item["userId"], item["role"]) for item in left] == [(member.id, "owner")]
    assert_error(
        api.http.delete(f"{members}/{admin.id}", headers=member.headers), 404, "member_not_found"
    )


# --- moving money: transfers and refunds (DESIGN §4b) ---------------------------------------

MONEY_ENDPOINTS = ["transfer-to-member", "transfer-to-org", "refund"]


@dataclass(frozen=True)
class MoneyAttempt:
    """One call that would move the money org's credits, and where they would go."""

    path: str
    body: dict[str, Any]
    receiver: tuple[ApiUser, int | None] | None = None  # (who reads it, org id or personal)


@pytest.fixture(scope="module")
def money_org(api_server: RunningApp, world: OrgWorld) -> int:
    """A second org with the same people in the same roles, funded for the money matrix (the
    Matrix org's balance stays 25 for the read cells above)."""
    users = world.users
    with httpx.Client(base_url=api_server.base_url, timeout=30, cookies=no_cookie_jar()) as http:
        client = ApiClient(http)
        org_id = int(client.create_org(users["owner"], "Money")["id"])
        client.add_member(users["owner"], org_id, users["admin"], "admin")
        client.add_member(users["owner"], org_id, users["member"], "member")
    fund_org(org_id, "100")
    return org_id


def marketplace_spend(api: ApiClient, wallet: dict[str, Any], amount: str = "1") -> int:
    response = api.service_deduct(
        {"wallet": wallet, "amount": amount, "category": "marketplace", "description": "Bot"}
    )
    assert response.status_code == 200, response.text
    entry: int = response.json()["transactionId"]
    return entry


def money_attempt(
    api: ApiClient, world: OrgWorld, org_id: int, endpoint: str, role: str
) -> MoneyAttempt:
    """A valid request, so a refusal can only come from the caller's role."""
    if endpoint == "refund":
        entry = marketplace_spend(api, {"type": "org", "id": org_id})
        return MoneyAttempt(f"/api/orgs/{{org}}/credits/transactions/{entry}/refund", {})
    path = "/api/orgs/{org}/credits/transfers"
    if endpoint == "transfer-to-member":
        member = world.users["member"]
        body = {"to": {"type": "user", "id": member.id}, "amount": "1"}
        return MoneyAttempt(path, body, (member, None))
    caller = world.users[role]
    # Another org the caller owns (outsiders and members own one too: still refused).
    other = int(api.create_org(caller, f"{role}-side")["id"])
    return MoneyAttempt(path, {"to": {"type": "org", "id": other}, "amount": "1"}, (caller, other))


def call_money(api: ApiClient, user: ApiUser, org_id: int, attempt: MoneyAttempt) -> httpx.Response:
    path = attempt.path.format(org=org_id)
    return api.http.post(path, json=attempt.body, headers=user.headers)


def balances(api: ApiClient, world: OrgWorld, org_id: int, attempt: MoneyAttempt) -> list[Any]:
    owner = world.users["owner"]
    seen = [api.balance(owner, org_id)]
    if attempt.receiver is not None:
        seen.append(api.balance(*attempt.receiver))
    return seen


@pytest.mark.parametrize("endpoint", MONEY_ENDPOINTS)
def test_outsider_gets_the_same_404_on_money_endpoints_and_nothing_moves(
    api: ApiClient, world: OrgWorld, money_org: int, endpoint: str
) -> None:
    outsider = world.users["outsider"]
    attempt = money_attempt(api, world, money_org, endpoint, "outsider")
    before = balances(api, world, money_org, attempt)
    real = call_money(api, outsider, money_org, attempt)
    missing = call_money(api, outsider, NO_SUCH_ORG, attempt)
    assert_error(real, 404, "org_not_found")
    assert (real.status_code, real.content) == (missing.status_code, missing.content)
    assert balances(api, world, money_org, attempt) == before


@pytest.mark.parametrize("endpoint", MONEY_ENDPOINTS)
def test_member_is_403_on_money_endpoints_and_nothing_moves(
    api: ApiClient, world: OrgWorld, money_org: int, endpoint: str
) -> None:
    attempt = money_attempt(api, world, money_org, endpoint, "member")
    before = balances(api, world, money_org, attempt)
    response = call_money(api, world.users["member"], money_org, attempt)
    error = assert_error(response, 403, "forbidden")
    assert error["details"] == {"role": "member"}
    assert balances(api, world, money_org, attempt) == before


@pytest.mark.parametrize("endpoint", MONEY_ENDPOINTS)
@pytest.mark.parametrize("role", ["admin", "owner"])
def test_admins_and_owners_move_the_org_wallets_credits(
    api: ApiClient, world: OrgWorld, money_org: int, role: str, endpoint: str
) -> None:
    attempt = money_attempt(api, world, money_org, endpoint, role)
    org_before, *receiver_before = balances(api, world, money_org, attempt)
    response = call_money(api, world.users[role], money_org, attempt)
    assert response.status_code == 201, response.text
    org_after, *receiver_after = balances(api, world, money_org, attempt)
    if endpoint == "refund":
        assert decoded(response)["refundedAmount"] == 1
        assert org_after == org_before + 1
    else:
        assert decoded(response)["from"] == {"type": "org", "id": money_org}
        assert org_after == org_before - 1
        assert receiver_after == [receiver_before[0] + 1]


def test_service_refund_refuses_every_users_token(
    api: ApiClient, world: OrgWorld, money_org: int
) -> None:
    entry = marketplace_spend(api, {"type": "org", "id": money_org})
    body = {"transactionId": entry, "reason": "trying"}
    for role in ROLES:
        response = api.http.post(
            "/api/internal/credits/refund", json=body, headers=world.users[role].headers
        )
        assert_error(response, 401, "invalid_service_key")
    owner = world.users["owner"]
    history = decoded(api.http.get(f"/api/orgs/{money_org}/credits/history", headers=owner.headers))
    spend = next(item for item in history["items"] if item["id"] == entry)
    assert spend["refundableAmount"] == 1  # nothing was refunded


def test_a_user_never_refunds_another_users_entries(api: ApiClient) -> None:
    alice, bob = api.register("alice"), api.register("bob")
    fund_user(alice, "5")
    fund_user(bob, "5")
    entry = marketplace_spend(api, {"type": "user", "id": bob.id}, "2")
    alices_org = int(api.create_org(alice, "Alices")["id"])
    fund_org(alices_org, "5")
    for path in (
        f"/api/credits/transactions/{entry}/refund",
        f"/api/orgs/{alices_org}/credits/transactions/{entry}/refund",
    ):
        response = api.http.post(path, json={}, headers=alice.headers)
        assert_error(response, 404, "transaction_not_found")
    assert (api.balance(alice), api.balance(bob), api.balance(alice, alices_org)) == (5, 3, 5)
    bobs = decoded(api.http.get("/api/credits/history", headers=bob.headers))["items"]
    assert next(item for item in bobs if item["id"] == entry)["refundableAmount"] == 2


def test_a_transfer_always_comes_from_the_callers_own_wallet(api: ApiClient) -> None:
    alice, bob, carol = api.register("alice"), api.register("bob"), api.register("carol")
    fund_user(alice, "5")
    fund_user(bob, "5")
    bobs_org = int(api.create_org(bob, "Bobs")["id"])
    fund_org(bobs_org, "5")
    to_carol = {"to": {"type": "user", "email": carol.email}, "amount": "1"}
    sneaky = api.http.post(
        "/api/credits/transfers",
        json=to_carol,
        params={"userId": bob.id, "orgId": bobs_org},
        headers=alice.headers,
    )
    assert sneaky.status_code == 201, sneaky.text
    assert decoded(sneaky)["from"] == {"type": "user", "id": alice.id}
    # Bob's org is not Alice's to send from, nor to send to.
    to_bobs_org = {"to": {"type": "org", "id": bobs_org}, "amount": "1"}
    from_bobs = api.http.post(
        f"/api/orgs/{bobs_org}/credits/transfers", json=to_carol, headers=alice.headers
    )
    assert_error(from_bobs, 404, "org_not_found")
    into_bobs = api.http.post("/api/credits/transfers", json=to_bobs_org, headers=alice.headers)
    assert_error(into_bobs, 404, "recipient_not_found")
    assert (api.balance(alice), api.balance(bob), api.balance(carol)) == (4, 5, 1)
    assert api.balance(bob, bobs_org) == 5
