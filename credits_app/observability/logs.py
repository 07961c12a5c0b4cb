"""Structured logs: one JSON object per line, carrying the id of the request being served.

The request id comes from the `X-Request-ID` header (HAProxy sets one) or is made here; the
API middleware puts it in `request_id_var`, so every log line written while serving that
request names it, and the response echoes it, so a client's report finds the server's lines.
"""

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from credits_app.settings import Settings

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_STANDARD_RECORD_KEYS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_configured = False


def request_id_from(header_value: str | None) -> str:
    """The caller's request id when it is a sane token, else a fresh one (never log junk)."""
    if header_value and _ACCEPTABLE_REQUEST_ID.match(header_value):
        return header_value
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line; `extra={...}` fields become top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        entry |= {k: v for k, v in vars(record).items() if k not in _STANDARD_RECORD_KEYS}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(settings: Settings) -> None:
    """Send the app's logs (`credits_app.*`) to stderr, as JSON unless LOG_FORMAT=text.

    Only our own logger tree is configured, so Reflex's console output and pytest's log
    capture are left as they are. Idempotent: workers import the app more than once.
    """
    global _configured
    if _configured:
        return
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    app_logger = logging.getLogger("credits_app")
    app_logger.addHandler(handler)
    app_logger.setLevel(logging.INFO)
    app_logger.propagate = False
    _configured = True
