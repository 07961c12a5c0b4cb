"""One place that turns every failure into `{"error": {"code", "message", "details"}}`.

Domain errors carry a machine-readable `code`; the status for each code is decided here and
nowhere else. Anything unexpected is logged and answered with a bare 500.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.routing import Match, Mount
from starlette.types import Receive, Scope, Send

from credits_app.api.encoding import ExactJSONResponse, respond
from credits_app.auth.errors import TooManyAttempts
from credits_app.credits.errors import CreditsError
from credits_app.db import database_failure
from credits_app.settings import get_settings

logger = logging.getLogger(__name__)

STATUS_BY_CODE = {
    "not_authenticated": 401,
    "invalid_credentials": 401,
    "invalid_service_key": 401,
    "insufficient_credits": 402,
    "monthly_limit_reached": 402,
    "forbidden": 403,
    "csrf_failed": 403,
    "wallet_not_found": 404,
    "org_not_found": 404,
    "user_not_found": 404,
    "member_not_found": 404,
    "invitation_not_found": 404,
    "api_token_not_found": 404,
    "package_not_found": 404,
    "pricing_tier_not_found": 404,
    "purchase_not_found": 404,
    "notification_not_found": 404,
    "webhook_endpoint_not_found": 404,
    "invalid_unsubscribe_token": 404,
    "service_api_disabled": 404,
    "recipient_not_found": 404,
    "transaction_not_found": 404,
    "conversation_not_found": 404,
    "payment_method_not_found": 404,
    "not_refundable": 409,
    "idempotency_conflict": 409,
    "idempotency_key_in_use": 409,
    "already_exists": 409,
    "account_exists": 409,
    "last_owner": 409,
    "purchase_mismatch": 409,
    "purchase_not_pending": 409,
    "receipt_not_available": 409,
    "pricing_unavailable": 503,
    "too_many_attempts": 429,
    "too_many_ai_requests": 429,
    "unsupported_audio_type": 415,
    "payload_too_large": 413,
    "rate_limited": 429,
    "payment_provider_error": 502,
    "ai_provider_error": 502,
    "stripe_not_configured": 503,
    "payments_not_configured": 503,
    "pricing_not_configured": 503,
}
CODE_BY_HTTP_STATUS = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def install_error_handlers(api: FastAPI) -> None:
    """Register the handlers on the API app; call it after every router is included."""
    api.add_exception_handler(CreditsError, _domain_error)  # type: ignore[arg-type]
    api.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    api.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    api.add_exception_handler(SQLAlchemyError, _database_error)  # type: ignore[arg-type]
    api.add_exception_handler(Exception, _unexpected_error)
    api.router.routes.append(Mount("/api", app=UnmatchedApiPath(api)))


class UnmatchedApiPath:
    """The last route under /api: a JSON 404 `not_found`, or 405 `method_not_allowed` with
    `Allow` when the path exists under other methods.

    Reflex mounts its own backend at "" *behind* the API routes, so without this an unknown
    /api path, or a known one with the wrong method, fell through to Reflex and got a
    text/plain "Not Found" 404: not the error shape of DESIGN §4, and never the 405.
    An ASGI app behind a Mount (not a Route) so it answers every method, even unusual ones.
    """

    def __init__(self, api: FastAPI) -> None:
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Inside our Mount, root_path ends in "/api"; the API routes match from the app's root.
        app_scope = {**scope, "root_path": scope.get("root_path", "").removesuffix("/api")}
        allowed = [m for m in _METHODS if self._routes_accept({**app_scope, "method": m})]
        if allowed:
            response = error_response(
                405, "method_not_allowed", f"{scope['method']} is not allowed here."
            )
            response.headers["Allow"] = ", ".join(allowed)
        else:
            response = error_response(404, "not_found", "There is no such API endpoint.")
        await response(scope, receive, send)

    def _routes_accept(self, scope: Scope) -> bool:
        """Whether an API route (not a mount: ours, or Reflex's catch-all) takes this request."""
        return any(
            route.matches(scope)[0] is Match.FULL
            for route in self.api.router.routes
            if not isinstance(route, Mount)
        )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> ExactJSONResponse:
    """The error body of DESIGN §4."""
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return respond({"error": body}, status_code=status)


async def _domain_error(request: Request, error: CreditsError) -> ExactJSONResponse:
    response = error_response(
        STATUS_BY_CODE.get(error.code, 400), error.code, error.message, error.details
    )
    retry_after = getattr(error, "retry_after_seconds", None)
    if isinstance(error, TooManyAttempts) or isinstance(retry_after, int):
        response.headers["Retry-After"] = str(retry_after)
    return response


async def _validation_error(request: Request, error: RequestValidationError) -> ExactJSONResponse:
    problems = error.errors()
    if any(problem.get("type") == "json_invalid" for problem in problems):
        message = next(str(p.get("ctx", {}).get("error", "")) for p in problems)
        return error_response(400, "invalid_json", f"The body is not valid JSON: {message}")
    fields = [
        {
            "field": ".".join(str(part) for part in problem.get("loc", ())),
            "message": problem.get("msg", ""),
        }
        for problem in problems
    ]
    return error_response(422, "validation_error", _summary(fields), {"fields": fields})


async def _http_error(request: Request, error: HTTPException) -> ExactJSONResponse:
    code = CODE_BY_HTTP_STATUS.get(error.status_code, "http_error")
    response = error_response(error.status_code, code, str(error.detail))
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response


DATABASE_FAILURE_MESSAGES = {
    "busy": "The service is busy right now; retry with the same Idempotency-Key.",
    "unavailable": "The database is unavailable right now; retry with the same Idempotency-Key.",
}


async def _database_error(request: Request, error: SQLAlchemyError) -> ExactJSONResponse:
    """A transient database failure is a 503 with Retry-After, never a 500: the transaction
    rolled back, so the client may retry (its idempotency key makes that apply once)."""
    failure = database_failure(error)
    if failure is None:
        return await _unexpected_error(request, error)
    logger.warning("Database %s on %s %s: %s", failure, request.method, request.url.path, error)
    settings = get_settings()
    retry_after = (
        settings.retry_after_busy_seconds
        if failure == "busy"
        else settings.retry_after_unavailable_seconds
    )
    response = error_response(503, failure, DATABASE_FAILURE_MESSAGES[failure])
    response.headers["Retry-After"] = str(retry_after)
    return response


async def _unexpected_error(request: Request, error: Exception) -> ExactJSONResponse:
    logger.exception("Unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "Something went wrong on our side.")


def _summary(fields: list[dict[str, str]]) -> str:
    first = fields[0] if fields else {"field": "request", "message": "is not valid"}
    more = f" (and {len(fields) - 1} more)" if len(fields) > 1 else ""
    return f"{first['field']}: {first['message']}{more}"
