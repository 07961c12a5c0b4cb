"""JSON in and out without floats: numbers parse to Decimal, Decimals print exactly.

FastAPI's defaults would turn `0.1` into a float on the way in and a Decimal into a float (or
a string) on the way out; credits must survive the trip to the last unit.
"""

import json
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import simplejson
from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel


class BadJsonText(json.JSONDecodeError):
    """JSON that parses but holds what we never store: NaN/Infinity, NUL or lone surrogates."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "", 0)


class DecimalJSONRequest(Request):
    """A request whose `.json()` keeps numbers exact and refuses text the database cannot hold."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            self._json = json.loads(body, parse_float=Decimal, parse_constant=_refuse_constant)
            _check_text(self._json)
        return self._json


class DecimalJSONRoute(APIRoute):
    """Every API route reads its body through `DecimalJSONRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def exact_json_handler(request: Request) -> Response:
            return await handler(DecimalJSONRequest(request.scope, request.receive))

        return exact_json_handler


class ExactJSONResponse(JSONResponse):
    """Renders Decimals as exact JSON numbers (12.5, not 12.5000 or "12.5") and dates as ISO."""

    def render(self, content: Any) -> bytes:
        if isinstance(content, BaseModel):
            content = content.model_dump(by_alias=True)
        elif isinstance(content, list):
            content = [
                c.model_dump(by_alias=True) if isinstance(c, BaseModel) else c for c in content
            ]
        text: str = simplejson.dumps(
            _tidy_numbers(content), use_decimal=True, default=_iso, separators=(",", ":")
        )
        return text.encode()


def respond(content: Any, status_code: int = 200) -> ExactJSONResponse:
    """The one way routes answer with a body."""
    return ExactJSONResponse(content, status_code=status_code)


def _tidy_numbers(value: Any) -> Any:
    """12.5000 -> 12.5 and 4000.0000 -> 4000, recursively; other values unchanged."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value.normalize()
    if isinstance(value, dict):
        return {key: _tidy_numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_tidy_numbers(item) for item in value]
    return value


def _iso(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _refuse_constant(name: str) -> Any:
    raise BadJsonText(f"{name} is not a number this API accepts.")


def _check_text(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value or _has_surrogate(value):
            raise BadJsonText("Text must be valid Unicode without NUL characters.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
