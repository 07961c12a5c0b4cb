"""The caller's own account over HTTP: name, password, sessions everywhere, API tokens."""

import httpx

from tests.support.api_client import PASSWORD, ApiClient, assert_error, decoded
from tests.support.app_server import RunningApp

NEW_PASSWORD = "a brand new passphrase"


def login(api: ApiClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = api.http.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_changing_the_password_needs_the_current_one_and_ends_the_other_sessions(
    api: ApiClient,
) -> None:
    user = api.register("password")
    laptop, phone = login(api, user.email), login(api, user.email)
    wrong = api.http.post(
        "/api/me/password",
        json={"currentPassword": "not it at all", "newPassword": NEW_PASSWORD},
        headers=laptop,
    )
    assert_error(wrong, 401, "invalid_credentials")
    changed = api.http.post(
        "/api/me/password",
        json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
        headers=laptop,
    )
    assert changed.status_code == 204, changed.text
    assert api.http.get("/api/me", headers=laptop).status_code == 200, "this session stays"
    assert_error(api.http.get("/api/me", headers=phone), 401, "not_authenticated")
    assert_error(api.http.get("/api/me", headers=user.headers), 401, "not_authenticated")
    login(api, user.email, NEW_PASSWORD)


def test_sign_out_everywhere_ends_every_session_but_not_api_tokens(api: ApiClient) -> None:
    user = api.register("everywhere")
    other = login(api, user.email)
    token = decoded(api.http.post("/api/me/tokens", json={"name": "cron"}, headers=other))
    assert api.http.post("/api/auth/logout-all", headers=user.headers).status_code == 204
    for headers in (user.headers, other):
        assert_error(api.http.get("/api/me", headers=headers), 401, "not_authenticated")
    script = {"Authorization": f"Bearer {token['token']}"}
    assert decoded(api.http.get("/api/me", headers=script))["user"]["id"] == user.id


def test_api_tokens_are_shown_once_work_as_bearer_record_use_and_can_be_revoked(
    api: ApiClient, api_server: RunningApp
) -> None:
    user = api.register("tokens")
    made = api.http.post("/api/me/tokens", json={"name": "deploy script"}, headers=user.headers)
    assert made.status_code == 201, made.text
    body = decoded(made)
    assert body["token"].startswith("uc_pat_") and body["lastUsedAt"] is None
    listed = decoded(api.http.get("/api/me/tokens", headers=user.headers))["items"]
    assert [(t["id"], t["name"]) for t in listed] == [(body["id"], "deploy script")]
    assert "token" not in listed[0], "the secret is never shown again"

    with httpx.Client(
        base_url=api_server.base_url
    ) as script:  # a script: no cookies, just the token
        me = script.get("/api/credits", headers={"Authorization": f"Bearer {body['token']}"})
        assert me.status_code == 200, me.text
    used = decoded(api.http.get("/api/me/tokens", headers=user.headers))["items"][0]
    assert used["lastUsedAt"] is not None

    other = api.register("other")
    assert_error(
        api.http.delete(f"/api/me/tokens/{body['id']}", headers=other.headers),
        404,
        "api_token_not_found",
    )
    revoked = api.http.delete(f"/api/me/tokens/{body['id']}", headers=user.headers)
    assert revoked.status_code == 204
    after = api.http.get("/api/credits", headers={"Authorization": f"Bearer {body['token']}"})
    assert_error(after, 401, "not_authenticated")
    assert decoded(api.http.get("/api/me/tokens", headers=user.headers))["items"] == []


def test_the_profile_name_changes(api: ApiClient) -> None:
    user = api.register("profile")
    renamed = api.http.patch("/api/me", json={"name": "  Ada Lovelace "}, headers=user.headers)
    assert decoded(renamed)["name"] == "Ada Lovelace"
    assert decoded(api.http.get("/api/me", headers=user.headers))["user"]["name"] == "Ada Lovelace"
    assert api.http.patch("/api/me", json={"name": ""}, headers=user.headers).status_code == 422
