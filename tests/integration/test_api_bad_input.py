"""Bad input over real HTTP: always a 4xx with the error body of DESIGN §4, never a 5xx, and
never a side effect.

Every row of the table is sent to the running app on behalf of one funded "victim" (a user with
an org, both wallets holding credits, and spending settings in place), so a request that slipped
through validation would show up as a moved balance, a new ledger row, changed settings or a new
organization or membership. Each row asserts the status, the error shape, the code decided for
that input, and that the victim's whole observable state is unchanged afterwards.
"""

import base64
import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from credits_app.api import create_api
from credits_app.credits import credit_service, wallet_settings
from credits_app.credits.owners import WalletOwner
from credits_app.db import use_engine
from credits_app.settings import get_settings
from tests.support.api_client import PASSWORD, SERVICE_KEY, ApiClient, ApiUser
from tests.support.app_server import RunningApp

DEDUCT = "/api/internal/credits/deduct"
USER_WALLET = '{"type":"user","id":@USER@}'
ORG_WALLET = '{"type":"org","id":@ORG@}'
FUNDED = Decimal("100")
Auth = Literal["user", "service", "none", "wrong-service", "user-as-service"]


@dataclass(frozen=True)
class Victim:
    """The funded user (with an org) every bad request is aimed at, plus a would-be member."""

    user: ApiUser
    org_id: int
    other: ApiUser


@dataclass(frozen=True)
class Bad:
    """One bad request and the error it must produce.

    `body` and `path` are templates over the victim's ids (@USER@, @ORG@, @OTHER_EMAIL@) and
    an unused email (@FRESH_EMAIL@), filled by `fill`; bytes are sent as they are.
    """

    id: str
    method: str
    path: str
    body: str | bytes | None
    status: int
    code: str
    auth: Auth = "user"
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = "application/json"
    marks: tuple[pytest.MarkDecorator, ...] = ()


def deduct(
    amount: str = "1",
    *,
    wallet: str = USER_WALLET,
    category: str = '"ai_usage"',
    extra: str = "",
) -> str:
    """The raw JSON text of an internal deduction, every part replaceable with bad text."""
    return f'{{"wallet":{wallet},"amount":{amount},"category":{category}{extra}}}'


def b64(value: Any) -> str:
    """A cursor-looking token: URL-safe base64 of the JSON of `value`, unpadded."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def fill(template: str, victim: "Victim", fresh_email: str = "") -> str:
    """Put the victim's ids (and an unused email) into a path or body template."""
    return (
        template.replace("@USER@", str(victim.user.id))
        .replace("@ORG@", str(victim.org_id))
        .replace("@OTHER_EMAIL@", victim.other.email)
        .replace("@FRESH_EMAIL@", fresh_email)
    )


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


SERVICE_CASES = [
    # --- amounts -------------------------------------------------------------------------
    Bad("amount-negative", "POST", DEDUCT, deduct("-1"), 400, "invalid_amount", "service"),
    Bad("amount-zero", "POST", DEDUCT, deduct("0"), 400, "invalid_amount", "service"),
    Bad(
        "org-wallet-amount-negative",
        "POST",
        DEDUCT,
        deduct("-1", wallet=ORG_WALLET),
        400,
        "invalid_amount",
        "service",
    ),
    Bad("amount-negative-zero", "POST", DEDUCT, deduct("-0.0"), 400, "invalid_amount", "service"),
    Bad("amount-raw-NaN", "POST", DEDUCT, deduct("NaN"), 400, "invalid_json", "service"),
    Bad("amount-string-NaN", "POST", DEDUCT, deduct('"NaN"'), 400, "invalid_amount", "service"),
    Bad("amount-string-sNaN", "POST", DEDUCT, deduct('"sNaN"'), 400, "invalid_amount", "service"),
    Bad("amount-raw-Infinity", "POST", DEDUCT, deduct("Infinity"), 400, "invalid_json", "service"),
    Bad(
        "amount-raw-minus-Inf", "POST", DEDUCT, deduct("-Infinity"), 400, "invalid_json", "service"
    ),
    Bad(
        "amount-str-Infinity",
        "POST",
        DEDUCT,
        deduct('"Infinity"'),
        400,
        "invalid_amount",
        "service",
    ),
    Bad("amount-1e400", "POST", DEDUCT, deduct("1e400"), 400, "invalid_amount", "service"),
    Bad("amount-10-pow-13", "POST", DEDUCT, deduct(str(10**13)), 400, "invalid_amount", "service"),
    Bad("amount-abc", "POST", DEDUCT, deduct('"abc"'), 400, "invalid_amount", "service"),
    Bad("amount-hex-string", "POST", DEDUCT, deduct('"0x10"'), 400, "invalid_amount", "service"),
    Bad("amount-true", "POST", DEDUCT, deduct("true"), 400, "invalid_amount", "service"),
    Bad("amount-null", "POST", DEDUCT, deduct("null"), 400, "invalid_amount", "service"),
    Bad("amount-list", "POST", DEDUCT, deduct("[]"), 400, "invalid_amount", "service"),
    Bad("amount-object", "POST", DEDUCT, deduct("{}"), 400, "invalid_amount", "service"),
    Bad("amount-5-decimals", "POST", DEDUCT, deduct("0.00001"), 400, "invalid_amount", "service"),
    Bad("amount-string-1e-5", "POST", DEDUCT, deduct('"1e-5"'), 400, "invalid_amount", "service"),
    Bad("amount-1e-400", "POST", DEDUCT, deduct("1e-400"), 400, "invalid_amount", "service"),
    Bad(
        "amount-5000-digit-integer",
        "POST",
        DEDUCT,
        deduct("9" * 5000),
        400,
        "invalid_json",
        "service",
    ),
    Bad(
        "amount-exponent-below-decimal-range",
        "POST",
        DEDUCT,
        deduct('"1e-999999999999"'),
        400,
        "invalid_amount",
        "service",
    ),
    Bad(
        "amount-missing",
        "POST",
        DEDUCT,
        '{"wallet":' + USER_WALLET + ',"category":"ai_usage"}',
        422,
        "validation_error",
        "service",
    ),
    # --- category ------------------------------------------------------------------------
    Bad(
        "category-unknown",
        "POST",
        DEDUCT,
        deduct(category='"nope"'),
        400,
        "invalid_category",
        "service",
    ),
    Bad(
        "category-empty", "POST", DEDUCT, deduct(category='""'), 400, "invalid_category", "service"
    ),
    Bad(
        "category-number", "POST", DEDUCT, deduct(category="5"), 422, "validation_error", "service"
    ),
    Bad(
        "category-too-long",
        "POST",
        DEDUCT,
        deduct(category='"' + "a" * 33 + '"'),
        422,
        "validation_error",
        "service",
    ),
    Bad(
        "category-missing",
        "POST",
        DEDUCT,
        '{"wallet":' + USER_WALLET + ',"amount":1}',
        422,
        "validation_error",
        "service",
    ),
    # --- wallet --------------------------------------------------------------------------
    Bad(
        "wallet-type-team",
        "POST",
        DEDUCT,
        deduct(wallet='{"type":"team","id":@USER@}'),
        422,
        "validation_error",
        "service",
    ),
    *(
        Bad(
            f"wallet-id-{name}",
            "POST",
            DEDUCT,
            deduct(wallet='{"type":"user","id":' + value + "}"),
            422,
            "validation_error",
            "service",
        )
        for name, value in [
            ("0", "0"),
            ("minus-1", "-1"),
            ("2-pow-40", str(2**40)),
            ("string", '"x"'),
            ("fraction", "1.5"),
            ("null", "null"),
        ]
    ),
    Bad("wallet-string", "POST", DEDUCT, deduct(wallet='"x"'), 422, "validation_error", "service"),
    Bad(
        "wallet-missing",
        "POST",
        DEDUCT,
        '{"amount":1,"category":"ai_usage"}',
        422,
        "validation_error",
        "service",
    ),
    Bad(
        "wallet-of-nobody",
        "POST",
        DEDUCT,
        deduct(wallet=f'{{"type":"org","id":{2**31 - 1}}}'),
        404,
        "wallet_not_found",
        "service",
    ),
    # --- the body as a whole -------------------------------------------------------------
    Bad("body-not-json", "POST", DEDUCT, "not json", 400, "invalid_json", "service"),
    Bad("body-truncated-json", "POST", DEDUCT, '{"wallet":', 400, "invalid_json", "service"),
    Bad(
        "body-json-array", "POST", DEDUCT, "[" + deduct() + "]", 422, "validation_error", "service"
    ),
    Bad("body-json-string", "POST", DEDUCT, '"hello"', 422, "validation_error", "service"),
    Bad("body-empty", "POST", DEDUCT, "", 422, "validation_error", "service"),
    Bad("body-empty-object", "POST", DEDUCT, "{}", 422, "validation_error", "service"),
    Bad("body-not-utf8", "POST", DEDUCT, b'\xff\xfe{"a":\xff}', 400, "invalid_json", "service"),
    Bad(
        "body-over-64KiB-with-content-length",
        "POST",
        DEDUCT,
        deduct(extra=',"description":"' + "x" * 70_000 + '"'),
        413,
        "payload_too_large",
        "service",
    ),
    Bad(
        "metadata-nested-900-deep",
        "POST",
        DEDUCT,
        deduct(extra=',"metadata":{"a":' + nested(900) + "}"),
        400,
        "invalid_json",
        "service",
    ),
    Bad(
        "metadata-nested-30000-deep",
        "POST",
        DEDUCT,
        deduct(extra=',"metadata":{"a":' + nested(30_000) + "}"),
        400,
        "invalid_json",
        "service",
    ),
    Bad(
        "content-type-text-plain",
        "POST",
        DEDUCT,
        deduct(),
        422,
        "validation_error",
        "service",
        content_type="text/plain",
    ),
    Bad(
        "content-type-missing",
        "POST",
        DEDUCT,
        deduct(),
        422,
        "validation_error",
        "service",
        content_type=None,
    ),
    # --- text the database must never see ------------------------------------------------
    Bad(
        "description-NUL",
        "POST",
        DEDUCT,
        deduct(extra=',"description":"a\\u0000b"'),
        400,
        "invalid_json",
        "service",
    ),
    Bad(
        "description-lone-surrogate",
        "POST",
        DEDUCT,
        deduct(extra=',"description":"a\\ud800b"'),
        400,
        "invalid_json",
        "service",
    ),
    Bad(
        "metadata-value-NUL",
        "POST",
        DEDUCT,
        deduct(extra=',"metadata":{"k":"\\u0000"}'),
        400,
        "invalid_json",
        "service",
    ),
    Bad(
        "metadata-key-NUL",
        "POST",
        DEDUCT,
        deduct(extra=',"metadata":{"\\u0000":1}'),
        400,
        "invalid_json",
        "service",
    ),
    Bad(
        "metadata-nested-lone-surrogate",
        "POST",
        DEDUCT,
        deduct(extra=',"metadata":{"k":["ok",{"deep":"\\udfff"}]}'),
        400,
        "invalid_json",
        "service",
    ),
    Bad(
        "metadata-raw-NaN",
        "POST",
        DEDUCT,
        deduct(extra=',"metadata":{"x":NaN}'),
        400,
        "invalid_json",
        "service",
    ),
    # --- description and metadata --------------------------------------------------------
    Bad(
        "description-501-chars",
        "POST",
        DEDUCT,
        deduct(extra=',"description":"' + "d" * 501 + '"'),
        422,
        "validation_error",
        "service",
    ),
    Bad(
        "description-number",
        "POST",
        DEDUCT,
        deduct(extra=',"description":5'),
        422,
        "validation_error",
        "service",
    ),
    *(
        Bad(
            f"metadata-{name}",
            "POST",
            DEDUCT,
            deduct(extra=',"metadata":' + value),
            422,
            "validation_error",
            "service",
        )
        for name, value in [("list", "[]"), ("string", '"x"'), ("null", "null"), ("number", "1")]
    ),
    Bad(
        "metadata-over-16KiB",
        "POST",
        DEDUCT,
        deduct(extra=',"metadata":{"x":"' + "m" * 17_000 + '"}'),
        400,
        "invalid_argument",
        "service",
    ),
    Bad(
        "metadata-1e400",
        "POST",
        DEDUCT,
        deduct(extra=',"metadata":{"x":1e400}'),
        400,
        "invalid_argument",
        "service",
    ),
    *(
        Bad(
            f"metadata-ai-{name}",
            "POST",
            DEDUCT,
            deduct(extra=',"metadata":' + value),
            400,
            "invalid_argument",
            "service",
        )
        for name, value in [
            ("inputTokens-string", '{"inputTokens":"x"}'),
            ("inputTokens-negative", '{"inputTokens":-1}'),
            ("inputTokens-fraction", '{"inputTokens":1.5}'),
            ("inputTokens-bool", '{"inputTokens":true}'),
            ("outputTokens-over-1e12", f'{{"outputTokens":{10**12 + 1}}}'),
            ("feature-video", '{"feature":"video"}'),
            ("model-empty", '{"model":""}'),
            ("model-number", '{"model":7}'),
        ]
    ),
    # --- headers -------------------------------------------------------------------------
    Bad(
        "idempotency-key-201-chars",
        "POST",
        DEDUCT,
        deduct(),
        422,
        "validation_error",
        "service",
        headers={"Idempotency-Key": "k" * 201},
    ),
    Bad(
        "idempotency-key-empty",
        "POST",
        DEDUCT,
        deduct(),
        422,
        "validation_error",
        "service",
        headers={"Idempotency-Key": ""},
    ),
    # --- the service key -----------------------------------------------------------------
    Bad("service-key-missing", "POST", DEDUCT, deduct(), 401, "invalid_service_key", "none"),
    Bad("service-key-wrong", "POST", DEDUCT, deduct(), 401, "invalid_service_key", "wrong-service"),
    Bad(
        "service-key-is-a-user-token",
        "POST",
        DEDUCT,
        deduct(),
        401,
        "invalid_service_key",
        "user-as-service",
    ),
    Bad(
        "service-key-basic-scheme",
        "POST",
        DEDUCT,
        deduct(),
        401,
        "invalid_service_key",
        "none",
        headers={"Authorization": "Basic " + base64.b64encode(SERVICE_KEY.encode()).decode()},
    ),
]

HISTORY = "/api/credits/history"
ORG_HISTORY = "/api/orgs/@ORG@/credits/history"
USER_CASES = [
    # --- history filters and paging ------------------------------------------------------
    Bad("history-type-unknown", "GET", HISTORY + "?type=bogus", None, 400, "invalid_type"),
    Bad("history-type-NUL", "GET", HISTORY + "?type=%00", None, 400, "invalid_type"),
    Bad(
        "history-type-33-chars", "GET", HISTORY + "?type=" + "t" * 33, None, 422, "validation_error"
    ),
    Bad(
        "history-category-unknown",
        "GET",
        HISTORY + "?category=bogus",
        None,
        400,
        "invalid_category",
    ),
    Bad("org-history-type-unknown", "GET", ORG_HISTORY + "?type=bogus", None, 400, "invalid_type"),
    Bad(
        "org-history-category-unknown",
        "GET",
        ORG_HISTORY + "?category=bogus",
        None,
        400,
        "invalid_category",
    ),
    *(
        Bad(
            f"history-cursor-{name}",
            "GET",
            HISTORY + "?cursor=" + cursor,
            None,
            400,
            "invalid_cursor",
        )
        for name, cursor in [
            ("random-text", "not-a-cursor"),
            ("punctuation", "!!!"),
            ("percent-encoded-NUL", "%00"),
            ("invalid-utf8", "%FF%FE"),
            ("base64-of-junk", base64.urlsafe_b64encode(b"\x00\xffjunk\x01").decode()),
            ("base64-of-a-string", b64("hello")),
            ("base64-of-object", b64({"id": 1})),
            ("huge-id", b64(["2024-01-01T00:00:00+00:00", 2**63])),
            ("huge-id-10-pow-30", b64(["2024-01-01T00:00:00+00:00", 10**30])),
            ("zero-id", b64(["2024-01-01T00:00:00+00:00", 0])),
            ("bool-id", b64(["2024-01-01T00:00:00+00:00", True])),
            ("naive-timestamp", b64(["2024-01-01T00:00:00", 5])),
            ("bad-timestamp", b64(["yesterday", 5])),
            ("three-items", b64(["2024-01-01T00:00:00+00:00", 5, 6])),
        ]
    ),
    Bad(
        "org-history-cursor-junk",
        "GET",
        ORG_HISTORY + "?cursor=junk",
        None,
        400,
        "invalid_cursor",
    ),
    Bad(
        "history-cursor-201-chars",
        "GET",
        HISTORY + "?cursor=" + "c" * 201,
        None,
        422,
        "validation_error",
    ),
    *(
        Bad(
            f"history-limit-{name}",
            "GET",
            f"{HISTORY}?limit={value}",
            None,
            400,
            "invalid_argument",
        )
        for name, value in [
            ("0", "0"),
            ("101", "101"),
            ("minus-1", "-1"),
            ("10-pow-30", str(10**30)),
        ]
    ),
    *(
        Bad(
            f"history-limit-{name}",
            "GET",
            f"{HISTORY}?limit={value}",
            None,
            422,
            "validation_error",
        )
        for name, value in [("x", "x"), ("fraction", "1.5"), ("exponent", "1e2"), ("empty", "")]
    ),
    Bad("org-history-limit-0", "GET", ORG_HISTORY + "?limit=0", None, 400, "invalid_argument"),
    # --- usage window --------------------------------------------------------------------
    *(
        Bad(
            f"usage-days-{name}",
            "GET",
            f"/api/credits/usage?days={value}",
            None,
            400,
            "invalid_argument",
        )
        for name, value in [("0", "0"), ("367", "367"), ("minus-1", "-1")]
    ),
    Bad("usage-days-x", "GET", "/api/credits/usage?days=x", None, 422, "validation_error"),
    Bad(
        "org-usage-days-367",
        "GET",
        "/api/orgs/@ORG@/credits/usage?days=367",
        None,
        400,
        "invalid_argument",
    ),
    # --- org ids in the path -------------------------------------------------------------
    *(
        Bad(f"org-id-{name}", "GET", f"/api/orgs/{value}/credits", None, 422, "validation_error")
        for name, value in [("0", "0"), ("minus-1", "-1"), ("2-pow-40", str(2**40)), ("x", "x")]
    ),
    # --- paths and methods the API does not have ----------------------------------------
    Bad("api-path-unknown", "GET", "/api/no-such-endpoint", None, 404, "not_found"),
    Bad("api-path-unknown-post", "POST", "/api/credits/nope", "{}", 404, "not_found"),
    Bad("method-delete-on-balance", "DELETE", "/api/credits", None, 405, "method_not_allowed"),
    Bad("method-put-on-settings", "PUT", "/api/credits/settings", "{}", 405, "method_not_allowed"),
    Bad("method-get-on-deduct", "GET", DEDUCT, None, 405, "method_not_allowed", "service"),
    Bad(
        "method-post-on-org-history",
        "POST",
        ORG_HISTORY,
        "{}",
        405,
        "method_not_allowed",
    ),
    # --- spending settings ---------------------------------------------------------------
    *(
        Bad(f"settings-{name}", "PATCH", "/api/credits/settings", body, 400, "invalid_amount")
        for name, body in [
            ("monthlyLimit-negative", '{"monthlyLimit":-1}'),
            ("monthlyLimit-zero", '{"monthlyLimit":0}'),
            ("monthlyLimit-string-NaN", '{"monthlyLimit":"NaN"}'),
            ("monthlyLimit-true", '{"monthlyLimit":true}'),
            ("monthlyLimit-abc", '{"monthlyLimit":"abc"}'),
            ("monthlyLimit-10-pow-13", f'{{"monthlyLimit":{10**13}}}'),
            ("lowThreshold-5-decimals", '{"lowThreshold":"0.00001"}'),
            ("lowThreshold-5-decimals-number", '{"lowThreshold":0.00001}'),
            ("criticalThreshold-negative", '{"criticalThreshold":-5}'),
            ("valid-limit-with-bad-threshold", '{"monthlyLimit":5,"lowThreshold":0}'),
        ]
    ),
    Bad(
        "settings-monthlyLimit-raw-NaN",
        "PATCH",
        "/api/credits/settings",
        '{"monthlyLimit":NaN}',
        400,
        "invalid_json",
    ),
    Bad(
        "settings-critical-above-low",
        "PATCH",
        "/api/credits/settings",
        '{"lowThreshold":5,"criticalThreshold":10}',
        400,
        "invalid_argument",
    ),
    Bad(
        "settings-critical-alone-above-stored-low",
        "PATCH",
        "/api/credits/settings",
        '{"criticalThreshold":60}',
        400,
        "invalid_argument",
    ),
    Bad(
        "settings-low-alone-below-stored-critical",
        "PATCH",
        "/api/credits/settings",
        '{"lowThreshold":5}',
        400,
        "invalid_argument",
    ),
    Bad("settings-body-array", "PATCH", "/api/credits/settings", "[]", 422, "validation_error"),
    Bad(
        "org-settings-monthlyLimit-zero",
        "PATCH",
        "/api/orgs/@ORG@/credits/settings",
        '{"monthlyLimit":0}',
        400,
        "invalid_amount",
    ),
    Bad(
        "org-settings-critical-above-low",
        "PATCH",
        "/api/orgs/@ORG@/credits/settings",
        '{"lowThreshold":"1.5","criticalThreshold":"1.5001"}',
        400,
        "invalid_argument",
    ),
    # --- organizations and members -------------------------------------------------------
    Bad("org-name-empty", "POST", "/api/orgs", '{"name":""}', 422, "validation_error"),
    Bad("org-name-blank", "POST", "/api/orgs", '{"name":"   "}', 400, "invalid_argument"),
    Bad(
        "org-name-201-chars",
        "POST",
        "/api/orgs",
        '{"name":"' + "n" * 201 + '"}',
        422,
        "validation_error",
    ),
    Bad("org-name-NUL", "POST", "/api/orgs", '{"name":"a\\u0000b"}', 400, "invalid_json"),
    Bad("org-name-lone-surrogate", "POST", "/api/orgs", '{"name":"\\ud800"}', 400, "invalid_json"),
    Bad(
        "org-slug-bad",
        "POST",
        "/api/orgs",
        '{"name":"Fine","slug":"Bad Slug!"}',
        400,
        "invalid_argument",
    ),
    Bad(
        "org-slug-empty", "POST", "/api/orgs", '{"name":"Fine","slug":""}', 422, "validation_error"
    ),
    Bad(
        "org-slug-double-hyphen",
        "POST",
        "/api/orgs",
        '{"name":"Fine","slug":"a--b"}',
        400,
        "invalid_argument",
    ),
    Bad("org-name-missing", "POST", "/api/orgs", "{}", 422, "validation_error"),
    *(
        Bad(
            f"member-role-{role}",
            "POST",
            "/api/orgs/@ORG@/members",
            '{"email":"@OTHER_EMAIL@","role":"' + role + '"}',
            422,
            "validation_error",
        )
        for role in ["owner", "superuser", ""]
    ),
    Bad(
        "member-email-missing",
        "POST",
        "/api/orgs/@ORG@/members",
        '{"role":"member"}',
        422,
        "validation_error",
    ),
    Bad(
        "member-email-NUL",
        "POST",
        "/api/orgs/@ORG@/members",
        '{"email":"@OTHER_EMAIL@\\u0000","role":"member"}',
        400,
        "invalid_json",
    ),
]

REGISTER = "/api/auth/register"
ANONYMOUS_CASES = [
    Bad(
        "register-short-password",
        "POST",
        REGISTER,
        '{"email":"@FRESH_EMAIL@","name":"N","password":"short"}',
        400,
        "invalid_argument",
        "none",
    ),
    *(
        Bad(
            f"register-email-{name}",
            "POST",
            REGISTER,
            '{"email":"' + email + '","name":"N","password":"' + PASSWORD + '"}',
            400,
            "invalid_argument",
            "none",
        )
        for name, email in [
            ("no-at", "bad-email"),
            ("no-domain-dot", "a@b"),
            ("spaces", "a b@c.de"),
        ]
    ),
    Bad(
        "register-email-NUL",
        "POST",
        REGISTER,
        '{"email":"a\\u0000@example.com","name":"N","password":"' + PASSWORD + '"}',
        400,
        "invalid_json",
        "none",
    ),
    Bad(
        "register-name-NUL",
        "POST",
        REGISTER,
        '{"email":"@FRESH_EMAIL@","name":"\\u0000","password":"' + PASSWORD + '"}',
        400,
        "invalid_json",
        "none",
    ),
    Bad(
        "register-name-lone-surrogate",
        "POST",
        REGISTER,
        '{"email":"@FRESH_EMAIL@","name":"x\\udbff","password":"' + PASSWORD + '"}',
        400,
        "invalid_json",
        "none",
    ),
    Bad(
        "register-email-lone-surrogate",
        "POST",
        REGISTER,
        '{"email":"\\ud800@example.com","name":"N","password":"' + PASSWORD + '"}',
        400,
        "invalid_json",
        "none",
    ),
    Bad(
        "register-name-empty",
        "POST",
        REGISTER,
        '{"email":"@FRESH_EMAIL@","name":"","password":"' + PASSWORD + '"}',
        422,
        "validation_error",
        "none",
    ),
    Bad(
        "register-password-missing",
        "POST",
        REGISTER,
        '{"email":"@FRESH_EMAIL@","name":"N"}',
        422,
        "validation_error",
        "none",
    ),
    Bad(
        "register-password-number",
        "POST",
        REGISTER,
        '{"email":"@FRESH_EMAIL@","name":"N","password":12345678}',
        422,
        "validation_error",
        "none",
    ),
    Bad("register-body-array", "POST", REGISTER, "[]", 422, "validation_error", "none"),
    Bad("register-not-json", "POST", REGISTER, "email=a@b.c", 400, "invalid_json", "none"),
]

CHAT = "/api/2bot-ai/chat"
CHAT_MESSAGES = '"messages":[{"role":"user","content":"hi"}]'


def loose_amount(case_id: str, amount: str) -> Bad:
    """An amount string that Python's Decimal would read but the wire format refuses."""
    return Bad(case_id, "POST", DEDUCT, deduct(amount), 400, "invalid_amount", "service")


# Issue 11, finding 4: booleans are never ids or amounts, numeric strings are ASCII
# `-?[0-9]+(\.[0-9]+)?` only, ids are JSON integers only, and duplicate keys are refused.
LOOSE_CASES = [
    Bad(
        "wallet-id-true",
        "POST",
        DEDUCT,
        deduct(wallet='{"type":"user","id":true}'),
        422,
        "validation_error",
        "service",
    ),
    Bad(
        "wallet-id-false",
        "POST",
        DEDUCT,
        deduct(wallet='{"type":"org","id":false}'),
        422,
        "validation_error",
        "service",
    ),
    Bad(
        "wallet-id-numeric-string",
        "POST",
        DEDUCT,
        deduct(wallet='{"type":"user","id":"@USER@"}'),
        422,
        "validation_error",
        "service",
    ),
    Bad(
        "wallet-id-fraction-zero",
        "POST",
        DEDUCT,
        deduct(wallet='{"type":"user","id":@USER@.0}'),
        422,
        "validation_error",
        "service",
    ),
    Bad(
        "chat-org-id-true",
        "POST",
        CHAT,
        "{" + CHAT_MESSAGES + ',"orgId":true}',
        422,
        "validation_error",
    ),
    Bad(
        "chat-org-id-string",
        "POST",
        CHAT,
        "{" + CHAT_MESSAGES + ',"orgId":"@ORG@"}',
        422,
        "validation_error",
    ),
    loose_amount("amount-arabic-indic-digit", '"\u0663"'),
    loose_amount("amount-fullwidth-digits", '"\uff11\uff12"'),
    loose_amount("amount-underscore", '"1_000"'),
    loose_amount("amount-plus-sign", '"+1"'),
    loose_amount("amount-padded-string", '" 1 "'),
    loose_amount("amount-string-exponent", '"1e1"'),
    loose_amount("amount-string-leading-dot", '".5"'),
    loose_amount("amount-string-trailing-dot", '"5."'),
    Bad(
        "settings-threshold-true",
        "PATCH",
        "/api/credits/settings",
        '{"lowThreshold":true}',
        400,
        "invalid_amount",
    ),
    Bad(
        "duplicate-amount-key",
        "POST",
        DEDUCT,
        deduct("1", extra=',"amount":2'),
        400,
        "invalid_json",
        "service",
    ),
    Bad(
        "duplicate-nested-wallet-id",
        "POST",
        DEDUCT,
        deduct(wallet='{"type":"user","id":@USER@,"id":@USER@}'),
        400,
        "invalid_json",
        "service",
    ),
    Bad(
        "duplicate-key-in-metadata",
        "POST",
        DEDUCT,
        deduct(extra=',"metadata":{"a":1,"a":1}'),
        400,
        "invalid_json",
        "service",
    ),
    # Path and query integers: ASCII digits only (pydantic alone reads "0_5" as 5, "+5" too).
    *(
        Bad(f"org-id-{name}", "GET", f"/api/orgs/{value}/credits", None, 422, "validation_error")
        for name, value in [
            ("underscore", "0_@ORG@"),
            ("plus", "%2B@ORG@"),
            ("padded", "%20@ORG@"),
            ("fullwidth", "%EF%BC%91"),
        ]
    ),
    *(
        Bad(f"query-{name}", "GET", path, None, 422, "validation_error")
        for name, path in [
            ("limit-underscore", HISTORY + "?limit=1_0"),
            ("limit-plus", HISTORY + "?limit=%2B10"),
            ("days-underscore", "/api/credits/usage?days=3_0"),
            ("days-arabic-indic", "/api/credits/usage?days=%D9%A3"),
        ]
    ),
    Bad(
        "settings-duplicate-key",
        "PATCH",
        "/api/credits/settings",
        '{"lowThreshold":5,"lowThreshold":6}',
        400,
        "invalid_json",
    ),
]

ALL_CASES = SERVICE_CASES + USER_CASES + ANONYMOUS_CASES + LOOSE_CASES


@pytest.fixture(scope="module")
def http(api_server: RunningApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_server.base_url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def victim(http: httpx.Client, api_database_engine: Engine) -> Victim:
    """A user and their org, both funded, with a limit and thresholds set on both wallets."""
    use_engine(api_database_engine)
    client = ApiClient(http)
    user = client.register("victim")
    org_id = int(client.create_org(user, "Victims")["id"])
    other = client.register("bystander")
    credit_service.grant_personal_credits(user.id, FUNDED, description="test funding")
    credit_service.grant_org_credits(org_id, FUNDED, description="test funding")
    change: wallet_settings.SettingsChange = {
        "monthly_limit": "1000",
        "low_threshold": "50",
        "critical_threshold": "10",
    }
    wallet_settings.update_wallet_settings(WalletOwner.user(user.id), change)
    wallet_settings.update_wallet_settings(WalletOwner.org(org_id), change)
    return Victim(user, org_id, other)


def observable_state(http: httpx.Client, victim: Victim) -> dict[str, Any]:
    """Everything a slipped-through request could change, as the API reports it."""
    user_headers = victim.user.headers
    state: dict[str, Any] = {}
    for name, prefix in (("user", "/api"), ("org", f"/api/orgs/{victim.org_id}")):
        balance = http.get(f"{prefix}/credits", headers=user_headers)
        history = http.get(f"{prefix}/credits/history", params={"limit": 100}, headers=user_headers)
        assert balance.status_code == 200, balance.text
        assert history.status_code == 200, history.text
        state[f"{name}.balance"] = balance.json(parse_float=Decimal)
        page = history.json(parse_float=Decimal)
        assert page["nextCursor"] is None, "the victim's ledger outgrew one page"
        state[f"{name}.ledger"] = page["items"]
    for who, person in (("user", victim.user), ("other", victim.other)):
        me = http.get("/api/me", headers=person.headers)
        assert me.status_code == 200, me.text
        state[f"{who}.orgs"] = me.json()["orgs"]
    return state


def send(http: httpx.Client, case: Bad, victim: Victim, fresh_email: str) -> httpx.Response:
    headers: dict[str, str] = {}
    if case.content_type is not None:
        headers["Content-Type"] = case.content_type
    match case.auth:
        case "user" | "user-as-service":
            headers |= victim.user.headers
        case "service":
            headers["Authorization"] = f"Bearer {SERVICE_KEY}"
        case "wrong-service":
            headers["Authorization"] = f"Bearer {SERVICE_KEY}-but-wrong"
        case "none":
            pass
    headers |= case.headers
    body = fill(case.body, victim, fresh_email) if isinstance(case.body, str) else case.body
    return http.request(case.method, fill(case.path, victim), content=body, headers=headers)


def assert_error_body(response: httpx.Response, status: int, code: str) -> None:
    """The status and the DESIGN §4 error shape: {"error": {"code", "message", ["details"]}}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) <= {"code", "message", "details"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    if "details" in error:
        assert isinstance(error["details"], dict), error


@pytest.mark.parametrize(
    "case", [pytest.param(case, id=case.id, marks=case.marks) for case in ALL_CASES]
)
def test_bad_input_is_a_4xx_error_with_its_code_and_changes_nothing(
    http: httpx.Client, victim: Victim, case: Bad
) -> None:
    fresh_email = f"fresh-{uuid.uuid4().hex[:12]}@example.com"
    before = observable_state(http, victim)

    response = send(http, case, victim, fresh_email)

    assert response.status_code < 500, f"server error for {case.id}: {response.text}"
    assert_error_body(response, case.status, case.code)
    assert observable_state(http, victim) == before
    if case.path == REGISTER:
        # Nothing was registered under the email the bad request named: it is still free.
        retry = http.post(
            REGISTER, json={"email": fresh_email, "name": "Fresh", "password": PASSWORD}
        )
        assert retry.status_code == 201, retry.text


def test_table_rows_would_have_changed_state_had_they_been_accepted(
    http: httpx.Client, victim: Victim
) -> None:
    """Guards the table against passing vacuously: the same requests with the bad part fixed
    succeed and change what `observable_state` watches, so an accepted bad row would be seen."""
    before = observable_state(http, victim)
    fixed = Bad("fixed-deduct", "POST", DEDUCT, deduct("1"), 200, "", "service")
    deducted = send(http, fixed, victim, "")
    assert deducted.status_code == 200, deducted.text
    after_deduct = observable_state(http, victim)
    assert after_deduct["user.balance"]["balance"] == before["user.balance"]["balance"] - 1
    assert len(after_deduct["user.ledger"]) == len(before["user.ledger"]) + 1

    for low, expected in (("40", Decimal(40)), ("50", Decimal(50))):
        settings = Bad(
            "fixed-settings",
            "PATCH",
            "/api/credits/settings",
            '{"lowThreshold":' + low + "}",
            200,
            "",
        )
        assert send(http, settings, victim, "").status_code == 200
        assert observable_state(http, victim)["user.balance"]["lowThreshold"] == expected
    assert observable_state(http, victim) == after_deduct


def test_wrong_method_names_the_allowed_ones(http: httpx.Client, victim: Victim) -> None:
    response = http.request("DELETE", "/api/credits/settings", headers=victim.user.headers)
    assert_error_body(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "PATCH"


def test_chunked_body_over_64_kib_is_refused_with_413_and_the_error_shape(
    http: httpx.Client, victim: Victim
) -> None:
    """Without a Content-Length the limit trips while the body streams in, inside the app."""
    before = observable_state(http, victim)
    raw = fill(deduct(extra=',"description":"' + "x" * 70_000 + '"'), victim)

    def chunks() -> Iterator[bytes]:
        data = raw.encode()
        for start in range(0, len(data), 8192):
            yield data[start : start + 8192]

    response = http.post(
        DEDUCT,
        content=chunks(),
        headers={"Authorization": f"Bearer {SERVICE_KEY}", "Content-Type": "application/json"},
    )
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_error_body(response, 413, "payload_too_large")
    assert observable_state(http, victim) == before


def test_body_over_64_kib_with_content_length_is_refused_with_413(
    http: httpx.Client, victim: Victim
) -> None:
    """Refused from the Content-Length alone, and the client's next request still works."""
    before = observable_state(http, victim)
    raw = fill(deduct(extra=',"description":"' + "x" * 70_000 + '"'), victim)
    response = http.post(
        DEDUCT,
        content=raw,
        headers={"Authorization": f"Bearer {SERVICE_KEY}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    # Refused before the body was read: the connection must not be reused for the next request.
    assert response.headers.get("connection") == "close"
    assert observable_state(http, victim) == before


def test_metadata_nested_64_levels_is_still_accepted(http: httpx.Client, victim: Victim) -> None:
    """The nesting cap refuses abuse, not ordinary structured metadata."""
    raw = fill(deduct(extra=',"metadata":{"a":' + nested(62) + "}"), victim)
    response = http.post(
        DEDUCT,
        content=raw,
        headers={"Authorization": f"Bearer {SERVICE_KEY}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def settings_without_service_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A process whose settings have no SERVICE_API_KEY (and no .env file to find one in)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SERVICE_API_KEY", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_service_api_is_404_service_api_disabled_when_no_key_is_configured(
    settings_without_service_key: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"wallet": {"type": "user", "id": 1}, "amount": 1, "category": "ai_usage"}
    with TestClient(create_api()) as client:
        for headers in (
            {},
            {"Authorization": f"Bearer {SERVICE_KEY}"},
            {"Authorization": "Bearer "},
        ):
            response = client.post(DEDUCT, json=body, headers=headers)
            assert_error_body(response, 404, "service_api_disabled")

        # The same app answers 401 once a key is configured: the 404 came from the setting.
        monkeypatch.setenv("SERVICE_API_KEY", SERVICE_KEY)
        get_settings.cache_clear()
        response = client.post(DEDUCT, json=body, headers={"Authorization": "Bearer wrong"})
        assert_error_body(response, 401, "invalid_service_key")
