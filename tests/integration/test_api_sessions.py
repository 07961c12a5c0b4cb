"""Browser sessions over HTTP: the cookies, CSRF double-submit, cookie logout, login throttling.

Cookies are read from the raw `Set-Cookie` headers and sent back by hand (the `api` client keeps
none), so each request carries exactly the credentials the test means it to.
"""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.api_client import PASSWORD, ApiClient, ApiUser, assert_error, decoded

SESSION = "uc_session"
CSRF = "uc_csrf"
THIRTY_DAYS = 30 * 24 * 3600


@dataclass(frozen=True)
class SetCookie:
    """One parsed `Set-Cookie` header: value and attributes (names lower-cased)."""

    name: str
    value: str
    attributes: dict[str, str | None]

    @classmethod
    def parse(cls, header: str) -> "SetCookie":
        pair, *parts = (part.strip() for part in header.split(";"))
        name, _, value = pair.partition("=")
        attributes: dict[str, str | None] = {}
        for part in parts:
            key, has_value, attribute = part.partition("=")
            attributes[key.strip().lower()] = attribute.strip() if has_value else None
        return cls(name, value.strip('"'), attributes)


def set_cookies(response: httpx.Response) -> dict[str, SetCookie]:
    cookies = [SetCookie.parse(h) for h in response.headers.get_list("set-cookie")]
    return {cookie.name: cookie for cookie in cookies}


@dataclass(frozen=True)
class Browser:
    """What a browser holds after signing in: the two cookies (and the body's user id)."""

    user_id: int
    session: str
    csrf: str

    def cookie_header(self) -> dict[str, str]:
        return {"Cookie": f"{SESSION}={self.session}; {CSRF}={self.csrf}"}

    def with_csrf(self, value: str | None = None) -> dict[str, str]:
        return self.cookie_header() | {"X-CSRF-Token": self.csrf if value is None else value}


def browser_register(api: ApiClient) -> tuple[Browser, ApiUser]:
    """Register as a browser does; the ApiUser's bearer token is the same session as the cookie."""
    email = f"browser-{uuid.uuid4().hex[:12]}@example.com"
    response = api.http.post(
        "/api/auth/register", json={"email": email, "name": "Browser", "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    cookies = set_cookies(response)
    user = ApiUser(response.json()["user"]["id"], email, response.json()["token"])
    return Browser(user.id, cookies[SESSION].value, cookies[CSRF].value), user


def assert_session_cookies(response: httpx.Response) -> None:
    cookies = set_cookies(response)
    assert set(cookies) == {SESSION, CSRF}
    session, csrf = cookies[SESSION], cookies[CSRF]
    assert session.value == response.json()["token"]
    assert "httponly" in session.attributes
    assert "httponly" not in csrf.attributes  # the page's script must read it
    assert csrf.value and csrf.value != session.value and len(csrf.value) >= 32
    for cookie in (session, csrf):
        assert (cookie.attributes.get("samesite") or "").lower() == "lax"
        assert cookie.attributes.get("path") == "/"
        assert cookie.attributes.get("max-age") == str(THIRTY_DAYS)


def test_register_sets_an_httponly_session_cookie_and_a_readable_csrf_cookie(
    api: ApiClient,
) -> None:
    response = api.http.post(
        "/api/auth/register",
        json={"email": f"cookie-{uuid.uuid4().hex}@example.com", "name": "C", "password": PASSWORD},
    )
    assert response.status_code == 201, response.text
    assert_session_cookies(response)


def test_login_sets_an_httponly_session_cookie_and_a_readable_csrf_cookie(
    api: ApiClient,
) -> None:
    user = api.register()
    response = api.http.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert_session_cookies(response)


def test_failed_login_sets_no_cookie(api: ApiClient) -> None:
    user = api.register()
    response = api.http.post("/api/auth/login", json={"email": user.email, "password": "x" * 9})
    assert_error(response, 401, "invalid_credentials")
    assert response.headers.get_list("set-cookie") == []


def test_the_session_cookie_alone_authenticates_reads(api: ApiClient) -> None:
    browser, _ = browser_register(api)
    only_session = {"Cookie": f"{SESSION}={browser.session}"}
    me = api.http.get("/api/me", headers=only_session)
    assert me.status_code == 200, me.text
    assert me.json()["user"]["id"] == browser.user_id
    credits = api.http.get("/api/credits", headers=only_session)
    assert (credits.status_code, credits.json()["balance"]) == (200, 0)


# --- CSRF -----------------------------------------------------------------------------------

WRITES = [
    ("PATCH", "/api/credits/settings", {"monthlyLimit": 42}),
    ("POST", "/api/orgs", {"name": "Csrf Org"}),
    ("POST", "/api/auth/logout", None),
]


def observable_state(api: ApiClient, user: ApiUser) -> dict[str, Any]:
    """Everything the writes above could change, read with the bearer token."""
    me = api.http.get("/api/me", headers=user.headers)
    assert me.status_code == 200, "the session must still be valid"
    credits = decoded(api.http.get("/api/credits", headers=user.headers))
    return {"orgs": me.json()["orgs"], "monthlyLimit": credits["monthlyLimit"]}


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=[w[1] for w in WRITES])
@pytest.mark.parametrize("header", ["missing", "wrong", "empty"])
def test_cookie_write_without_the_matching_csrf_header_is_403_and_changes_nothing(
    api: ApiClient, header: str, method: str, path: str, body: Any
) -> None:
    browser, user = browser_register(api)
    before = observable_state(api, user)
    headers = {
        "missing": browser.cookie_header(),
        "wrong": browser.with_csrf("not-the-cookie-value"),
        "empty": browser.with_csrf(""),
    }[header]
    response = api.http.request(method, path, json=body, headers=headers)
    assert_error(response, 403, "csrf_failed")
    assert observable_state(api, user) == before


def test_a_csrf_header_without_the_csrf_cookie_is_refused(api: ApiClient) -> None:
    browser, _ = browser_register(api)
    headers = {"Cookie": f"{SESSION}={browser.session}", "X-CSRF-Token": ""}
    response = api.http.patch("/api/credits/settings", json={"monthlyLimit": 1}, headers=headers)
    assert_error(response, 403, "csrf_failed")


def test_cookie_writes_with_the_matching_csrf_header_succeed(api: ApiClient) -> None:
    browser, user = browser_register(api)
    settings = api.http.patch(
        "/api/credits/settings", json={"monthlyLimit": 42}, headers=browser.with_csrf()
    )
    assert settings.status_code == 200, settings.text
    assert decoded(settings)["monthlyLimit"] == 42
    org = api.http.post("/api/orgs", json={"name": "Csrf Ok"}, headers=browser.with_csrf())
    assert org.status_code == 201, org.text
    assert observable_state(api, user) == {"orgs": [org.json()], "monthlyLimit": 42}


def test_bearer_writes_need_no_csrf_header_even_with_a_cookie_present(api: ApiClient) -> None:
    browser, user = browser_register(api)
    bare = api.http.patch("/api/credits/settings", json={"monthlyLimit": 7}, headers=user.headers)
    assert bare.status_code == 200, bare.text
    mixed = api.http.post(
        "/api/orgs", json={"name": "Bearer Org"}, headers=user.headers | browser.cookie_header()
    )
    assert mixed.status_code == 201, mixed.text
    assert observable_state(api, user) == {"orgs": [mixed.json()], "monthlyLimit": 7}


def test_another_origin_may_not_read_cookie_authenticated_responses(api: ApiClient) -> None:
    browser, _ = browser_register(api)
    response = api.http.get(
        "/api/me", headers=browser.cookie_header() | {"Origin": "https://evil.example"}
    )
    assert response.status_code == 200  # the cookie authenticates; the browser must not share
    allowed = response.headers.get("access-control-allow-origin")
    credentials = response.headers.get("access-control-allow-credentials")
    assert not (allowed in {"https://evil.example", "*"} and credentials == "true"), (
        allowed,
        credentials,
    )


# --- logout ---------------------------------------------------------------------------------


def test_cookie_logout_clears_both_cookies_and_revokes_the_session(api: ApiClient) -> None:
    browser, user = browser_register(api)
    login = api.http.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    other = ApiUser(user.id, user.email, login.json()["token"])
    response = api.http.post("/api/auth/logout", headers=browser.with_csrf())
    assert response.status_code == 204, response.text
    cleared = set_cookies(response)
    assert set(cleared) == {SESSION, CSRF}
    for cookie in cleared.values():
        assert cookie.value == ""
        assert cookie.attributes.get("max-age") == "0"
        assert cookie.attributes.get("path") == "/"
    only_session = {"Cookie": f"{SESSION}={browser.session}"}
    assert_error(api.http.get("/api/me", headers=only_session), 401, "not_authenticated")
    revoked = {"Authorization": f"Bearer {browser.session}"}
    assert_error(api.http.get("/api/me", headers=revoked), 401, "not_authenticated")
    # The user's other session (from signing in again) is untouched.
    assert api.http.get("/api/me", headers=other.headers).status_code == 200


# --- login throttling -----------------------------------------------------------------------
# Every test shares 127.0.0.1, whose own limit is 20 failures per 15 minutes: keep this to 5.


def test_sixth_login_after_five_failures_is_429_even_with_the_right_password(
    api: ApiClient,
) -> None:
    victim, bystander = api.register("victim"), api.register("bystander")
    for _ in range(5):
        wrong = api.http.post(
            "/api/auth/login", json={"email": victim.email, "password": "guess-guess"}
        )
        assert_error(wrong, 401, "invalid_credentials")
    right = {"email": victim.email.upper(), "password": PASSWORD}  # same account, any case
    blocked = api.http.post("/api/auth/login", json=right)
    error = assert_error(blocked, 429, "too_many_attempts")
    retry_after = blocked.headers["Retry-After"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 15 * 60
    assert error["details"] == {"retryAfterSeconds": int(retry_after)}
    assert blocked.headers.get_list("set-cookie") == []
    # The same address may still sign in to another account.
    other = api.http.post("/api/auth/login", json={"email": bystander.email, "password": PASSWORD})
    assert other.status_code == 200, other.text
    assert other.json()["user"]["id"] == bystander.id
    # Existing sessions of the throttled account keep working.
    assert api.http.get("/api/me", headers=victim.headers).status_code == 200
