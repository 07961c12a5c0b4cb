"""Property-based fuzzing of the whole REST API from its own OpenAPI document (schemathesis).

For every operation of the document, schemathesis generates requests, valid and invalid, and
sends them to the running app. Whatever it sends, the app must never answer with a server error,
and every answer must match the response schema the document declares for its status.

The operations are collected at import time from `create_api().openapi()`, the same document
the app serves at /api/openapi.json (asserted below), because pytest 9 removed the node
attribute that schemathesis' lazy `from_fixture` loader relies on.

Auth hooks sign every request: the service key for /api/internal/*, else the bearer token of a
user registered for this module (who owns a funded org). Excluded operations:
- POST /api/auth/logout would revoke that token mid-run (its behaviour is covered elsewhere);
- POST /api/auth/login: failed logins count against the client address (20 per 15 minutes)
  and every test of the session calls from 127.0.0.1, so fuzzing it would lock the others out.
"""

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from requests.structures import CaseInsensitiveDict
from schemathesis import AuthContext
from schemathesis import Case as GenericCase
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import Engine

from credits_app.api import create_api
from credits_app.db import use_engine
from tests.support.api_client import SERVICE_KEY, ApiClient, fund_org, fund_user
from tests.support.app_server import RunningApp

INTERNAL = r"^/api/internal/"
EXCLUDED = ["/api/auth/logout", "/api/auth/login"]
MAX_EXAMPLES = 40
Case = GenericCase[Any]
STATUSES: dict[str, set[int]] = defaultdict(set)  # operation label -> statuses the app answered


@dataclass
class FuzzTarget:
    """Where the app runs and who the generated requests act as (set by `fuzz_target`)."""

    base_url: str = ""
    token: str = ""
    user_id: int = 0
    org_id: int = 0


TARGET = FuzzTarget()
DOCUMENT: dict[str, Any] = json.loads(json.dumps(create_api().openapi()))
schema = schemathesis.openapi.from_dict(DOCUMENT).exclude(path=EXCLUDED)


def _bearer(case: Case, token: str) -> None:
    headers = CaseInsensitiveDict(case.headers or {})
    headers["Authorization"] = f"Bearer {token}"
    case.headers = headers


@schema.auth(refresh_interval=None).apply_to(path_regex=INTERNAL)
class ServiceKey:
    """Platform services authenticate with SERVICE_API_KEY."""

    def get(self, case: Case, ctx: AuthContext) -> str:
        return SERVICE_KEY

    def set(self, case: Case, data: str, ctx: AuthContext) -> None:
        _bearer(case, data)


@schema.auth(refresh_interval=None).skip_for(path_regex=INTERNAL)
class UserToken:
    """Everything else acts as the fuzz user.

    Schemathesis also generates (and signs) its coverage-phase cases while pytest collects,
    before any fixture has run; those get a placeholder, and the test signs every case again
    just before sending it (`sign`), when the fuzz user exists.
    """

    def get(self, case: Case, ctx: AuthContext) -> str:
        return TARGET.token or "not-signed-in-yet"

    def set(self, case: Case, data: str, ctx: AuthContext) -> None:
        _bearer(case, data)


@pytest.fixture(scope="module")
def fuzz_target(api_server: RunningApp, api_database_engine: Engine) -> Iterator[FuzzTarget]:
    """Register the fuzz user with a funded wallet and a funded org."""
    use_engine(api_database_engine)
    with httpx.Client(base_url=api_server.base_url, timeout=30) as http:
        client = ApiClient(http)
        user = client.register("fuzzer")
        org_id = int(client.create_org(user, "Fuzz")["id"])
    fund_user(user, "1000")
    fund_org(org_id, "1000")
    TARGET.base_url, TARGET.token = api_server.base_url, user.token
    TARGET.user_id, TARGET.org_id = user.id, org_id
    yield TARGET
    TARGET.base_url = TARGET.token = ""


def test_the_fuzzed_document_is_the_one_the_app_serves(api_server: RunningApp) -> None:
    served = httpx.get(f"{api_server.base_url}/api/openapi.json", timeout=30)
    assert served.status_code == 200
    assert served.json() == DOCUMENT
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) >= 15, [op.label for op in operations]
    assert not any(op.path in EXCLUDED for op in operations)


def sign(case: Case) -> None:
    """Run the auth hooks on the case now that the fuzz user's token is known."""
    assert TARGET.token, "the fuzz_target fixture has not run"
    schema.auth.set(case, AuthContext(operation=case.operation, app=None))
    assert case.headers is not None and case.headers["Authorization"].startswith("Bearer ")


def aim_at_real_wallets(case: Case, target: FuzzTarget) -> None:
    """Point well-formed ids at the fuzz user's own org and wallets, so generated requests
    reach the ledger (successes, 402s, limits) instead of stopping at 404; bad ids stay bad."""
    if isinstance(case.path_parameters, dict) and _is_plain_id(case.path_parameters.get("orgId")):
        case.path_parameters["orgId"] = target.org_id
    if case.path == "/api/internal/credits/deduct" and isinstance(case.body, dict):
        wallet: Any = case.body.get("wallet")
        if isinstance(wallet, dict) and _is_plain_id(wallet.get("id")):
            if wallet.get("type") == "user":
                wallet["id"] = target.user_id
            elif wallet.get("type") == "org":
                wallet["id"] = target.org_id


def _is_plain_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 2**31


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    database=None,
)
def test_no_generated_request_gets_a_server_error_or_an_undeclared_response(
    case: Case, fuzz_target: FuzzTarget
) -> None:
    sign(case)
    aim_at_real_wallets(case, fuzz_target)
    response = case.call_and_validate(
        base_url=fuzz_target.base_url,
        checks=[not_a_server_error, response_schema_conformance],
        timeout=30,
    )
    STATUSES[f"{case.method} {case.path}"].add(response.status_code)


def test_the_fuzzing_got_past_validation_into_the_handlers() -> None:
    """Guards the fuzz test against passing vacuously (everything a 401, 404 or 422): reads
    answered 200 and generated deductions reached the ledger (200, or 402 when it refused)."""
    if not STATUSES:
        pytest.skip("runs after the fuzz test, in the same session")
    reads = [
        "/api/credits",
        "/api/credits/history",
        "/api/credits/usage",
        "/api/me",
        "/api/orgs/{orgId}/credits",
        "/api/orgs/{orgId}/credits/history",
    ]
    for path in reads:
        assert 200 in STATUSES[f"GET {path}"], (path, STATUSES[f"GET {path}"])
    assert 200 in STATUSES["PATCH /api/credits/settings"], STATUSES
    assert STATUSES["POST /api/internal/credits/deduct"] & {200, 402}, STATUSES
    assert 201 in STATUSES["POST /api/orgs"], STATUSES
