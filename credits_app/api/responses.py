"""What every route may answer besides success, for the OpenAPI document."""

from typing import Any

from fastapi import APIRouter

from credits_app.api.encoding import DecimalJSONRoute
from credits_app.api.schemas import ErrorOut

_ERROR_STATUSES = {
    400: "Bad input (amount, category, type, cursor, JSON)",
    401: "Not signed in, or the token is invalid or expired",
    402: "Insufficient credits or monthly limit reached",
    403: "Signed in but not allowed (role, CSRF)",
    404: "Not found, or not a member of the organization",
    409: "Idempotency conflict or already exists",
    413: "Request body too large",
    415: "Unsupported media type (e.g. an audio format 2Bot does not transcribe)",
    422: "Validation error",
    429: "Too many failed sign-in attempts, or too many AI requests in flight",
    502: "The payment or AI provider failed; nothing was charged",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in _ERROR_STATUSES.items()
}


def api_router(tag: str) -> APIRouter:
    """A router with exact-JSON request parsing and the shared error responses documented."""
    return APIRouter(tags=[tag], route_class=DecimalJSONRoute, responses=ERROR_RESPONSES)
