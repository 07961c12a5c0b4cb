"""A small typed client for the REST API, so tests read as scenarios rather than HTTP plumbing."""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

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
