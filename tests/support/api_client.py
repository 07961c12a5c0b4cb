"""A small typed client for the REST API, so tests read as scenarios rather than HTTP plumbing."""

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx
import simplejson

from credits_app.credits import credit_service

SERVICE_KEY = "test-service-key"
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class ApiUser:
    """A registered user and their bearer token."""

    id: int
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class ApiClient:
    """Thin helpers over an httpx client bound to the running app."""

    http: httpx.Client

    def register(self, name: str = "user") -> ApiUser:
        """A new user with a unique email (and an empty personal wallet)."""
        email = f"{name}-{uuid.uuid4().hex[:12]}@example.com"
        response = self.http.post(
            "/api/auth/register", json={"email": email, "name": name.title(), "password": PASSWORD}
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return ApiUser(body["user"]["id"], email, body["token"])

    def create_org(self, owner: ApiUser, name: str = "Org") -> dict[str, Any]:
        slug = f"{name.lower()}-{uuid.uuid4().hex[:12]}"
        response = self.http.post(
            "/api/orgs", json={"name": name, "slug": slug}, headers=owner.headers
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def add_member(self, actor: ApiUser, org_id: int, user: ApiUser, role: str) -> None:
        response = self.http.post(
            f"/api/orgs/{org_id}/members",
            json={"email": user.email, "role": role},
            headers=actor.headers,
        )
        assert response.status_code == 201, response.text

    def service_deduct(
        self, body: dict[str, Any], idempotency_key: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {SERVICE_KEY}"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return self.http.post("/api/internal/credits/deduct", json=body, headers=headers)

    def balance(self, user: ApiUser, org_id: int | None = None) -> Decimal:
        """The wallet balance as the API reports it, parsed exactly."""
        path = "/api/credits" if org_id is None else f"/api/orgs/{org_id}/credits"
        response = self.http.get(path, headers=user.headers)
        assert response.status_code == 200, response.text
        return Decimal(str(response.json()["balance"]))


def fund_user(user: ApiUser, amount: str) -> None:
    """Test setup: grant credits through the service (there is no public grant endpoint)."""
    credit_service.grant_personal_credits(user.id, amount, description="test funding")


def fund_org(org_id: int, amount: str) -> None:
    credit_service.grant_org_credits(org_id, amount, description="test funding")


class _RefuseAllCookies(DefaultCookiePolicy):
    """Never store a cookie a response sets."""

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False


def no_cookie_jar() -> CookieJar:
    """A jar for `httpx.Client(cookies=...)` that keeps nothing, so every request carries exactly
    the credentials the test gives it (register/login set session cookies that would otherwise
    silently authenticate later "anonymous" requests)."""
    return CookieJar(policy=_RefuseAllCookies())


def exact_json(body: Any) -> bytes:
    """A JSON body whose Decimals are written as exact numbers (`json=` refuses Decimal).

    Send it with `content=exact_json(body), headers=JSON_HEADERS`.
    """
    text: str = simplejson.dumps(body, use_decimal=True, allow_nan=False)
    return text.encode()


JSON_HEADERS = {"Content-Type": "application/json"}


def decoded(response: httpx.Response) -> Any:
    """The response body with every fractional number parsed as an exact Decimal."""
    return json.loads(response.text, parse_float=Decimal)


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Check the DESIGN §4 error body `{"error": {"code", "message"[, "details"]}}`; return it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = decoded(response)
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert {"code", "message"} <= set(error) <= {"code", "message", "details"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    if "details" in error:
        assert isinstance(error["details"], dict), error
    return error
