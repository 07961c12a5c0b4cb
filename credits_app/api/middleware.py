"""Per-request bookkeeping for every HTTP request the app serves (API and Reflex alike):
a request id (echoed in `X-Request-ID`), one structured access-log line, the latency
histogram by route template, and the outcome counters of deductions and Stripe webhooks.

A pure ASGI middleware rather than BaseHTTPMiddleware, so streamed responses (SSE chat)
pass through untouched and websockets are not wrapped at all.
"""

import json
import logging
import time
from typing import Any

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from credits_app.observability import metrics
from credits_app.observability.logs import REQUEST_ID_HEADER, request_id_from, request_id_var

access_log = logging.getLogger("credits_app.access")

API_PREFIX = "/api"
DEDUCT_ROUTE = "/api/internal/credits/deduct"
WEBHOOK_ROUTE = "/api/stripe/webhook"
QUIET_ROUTES = frozenset({"/metrics", "/api/health", "/api/health/ready", "/api/health/live"})
_ERROR_BODY_LIMIT = 4096  # error bodies are small; never buffer a large success body


class RequestObservation:
    """ASGI middleware: see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = request_id_from(headers.get(REQUEST_ID_HEADER.lower().encode(), b"").decode())
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        response: dict[str, Any] = {"status": 500, "body": b""}

        async def observing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER.lower().encode(), request_id.encode()),
                ]
            elif (
                message["type"] == "http.response.body"
                and response["status"] >= 400
                and len(response["body"]) < _ERROR_BODY_LIMIT
            ):
                response["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, receive, observing_send)
        finally:
            _record(scope, response, time.perf_counter() - started)
            request_id_var.reset(token)


def route_label(scope: Scope) -> str:
    """The route template (`/api/orgs/{orgId}/credits`), never the raw path, so the
    number of label values stays small."""
    route = scope.get("route")
    if isinstance(route, Mount):
        return "reflex" if route.path == "" else f"{route.path}/*"
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return "unmatched"
    # Routers are included under API_PREFIX and FastAPI keeps their routes' own paths.
    if scope.get("path", "").startswith(API_PREFIX + "/") and not path.startswith(API_PREFIX):
        return API_PREFIX + path
    return path


def _record(scope: Scope, response: dict[str, Any], seconds: float) -> None:
    route = route_label(scope)
    status = int(response["status"])
    method = scope.get("method", "")
    metrics.REQUEST_SECONDS.labels(method, route, str(status)).observe(seconds)
    outcome = "ok" if status < 400 else _error_code(response["body"]) or str(status)
    if route == DEDUCT_ROUTE:
        metrics.DEDUCTIONS.labels(outcome).inc()
    elif route == WEBHOOK_ROUTE:
        metrics.WEBHOOKS.labels(outcome, str(status)).inc()
    if status == 503 and outcome in ("busy", "unavailable"):
        metrics.DATABASE_FAILURES.labels(outcome).inc()
    level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
    access_log.log(
        level,
        "request",
        extra={
            "method": method,
            "path": scope.get("path", ""),
            "route": route,
            "status": status,
            "outcome": outcome,
            "duration_ms": round(seconds * 1000, 2),
        },
    )


def _error_code(body: bytes) -> str | None:
    """The `error.code` of our error shape, if the body is one."""
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if isinstance(code, str) else None
