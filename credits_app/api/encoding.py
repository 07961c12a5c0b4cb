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
from fastapi import HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

MAX_JSON_DEPTH = 64


MAX_BODY_BYTES = 64 * 1024


class BadJsonText(json.JSONDecodeError):
    """JSON we refuse: NaN/Infinity, a key repeated in one object, NUL or lone surrogates,
    nesting deeper than MAX_JSON_DEPTH, integers too long to convert, or bytes that are not
    UTF-8/16/32 at all.

    Being a `JSONDecodeError`, FastAPI turns it into the 400 `invalid_json` of `errors.py`.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, "", 0)


class DecimalJSONRequest(Request):
    """A request whose `.json()` keeps numbers exact and refuses text the database cannot hold."""

    async def body(self) -> bytes:
        """The body, refused with a JSON 413 as soon as it passes MAX_BODY_BYTES (streamed too)."""
        if not hasattr(self, "_body"):
            declared = self.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
                raise _too_large()
            chunks, size = [], 0
            async for chunk in self.stream():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _too_large()
                chunks.append(chunk)
            self._body = b"".join(chunks)
        return self._body

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = _parse_exact(await self.body())
        return self._json


def _too_large() -> HTTPException:
    """413, closing the connection: the unread rest of the body must not be taken for the
    client's next request on a kept-alive connection."""
    return HTTPException(
        413,
        f"The request body is larger than {MAX_BODY_BYTES} bytes.",
        headers={"Connection": "close"},
    )


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


def _parse_exact(body: bytes) -> Any:
    """Parse with exact numbers, turning every failure of the parser into `BadJsonText`.

    `json.loads` raises more than `JSONDecodeError`: `ValueError` for an integer longer than
    Python's 4,300-digit conversion limit and for undecodable bytes, `RecursionError` for very
    deep nesting. Left alone these became a generic 400 (or, for nesting the parser survives but
    later recursive code does not, a 500), so they are all reported as invalid JSON here.
    """
    try:
        value = json.loads(
            body,
            parse_float=Decimal,
            parse_constant=_refuse_constant,
            object_pairs_hook=_object_without_duplicates,
        )
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as error:
        raise BadJsonText(str(error) or type(error).__name__) from None
    _check_text(value)
    return value


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused when a key repeats: `{"amount": 1, "amount": 1000}` would
    otherwise mean the last one, while a proxy or log in front of us may read the first."""
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise BadJsonText(f"The key {json.dumps(key)} appears more than once in an object.")
        obj[key] = value
    return obj


def _refuse_constant(name: str) -> Any:
    raise BadJsonText(f"{name} is not a number this API accepts.")


def _check_text(value: Any, depth: int = 0) -> None:
    """Refuse NUL and lone surrogates anywhere, and nesting deeper than `MAX_JSON_DEPTH`.

    The depth cap keeps every later recursive walk of the body (validators, canonical JSON,
    the database driver) far from Python's recursion limit, which a 64 KiB body can otherwise
    reach with `[[[[...]]]]` and turn into a 500.
    """
    if isinstance(value, str):
        if "\x00" in value or _has_surrogate(value):
            raise BadJsonText("Text must be valid Unicode without NUL characters.")
    elif isinstance(value, dict | list):
        if depth >= MAX_JSON_DEPTH:
            raise BadJsonText(f"JSON may nest at most {MAX_JSON_DEPTH} levels deep.")
        items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
        for key, item in items:
            _check_text(key, depth + 1)
            _check_text(item, depth + 1)


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
