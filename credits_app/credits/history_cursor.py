"""Opaque keyset cursors: the (created_at, id) of the last row served (ledger history, the
Billing page's purchases)."""

import base64
import json
from datetime import datetime

from credits_app.credits.errors import InvalidCursor


def encode_cursor(created_at: datetime, entry_id: int) -> str:
    """A URL-safe token pointing just after the given row."""
    raw = json.dumps([created_at.isoformat(), entry_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (created_at, id) inside a cursor, or `InvalidCursor` for anything we did not issue."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at_text, entry_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        created_at = datetime.fromisoformat(created_at_text)
    except (ValueError, TypeError, UnicodeError):
        raise InvalidCursor() from None
    if type(entry_id) is not int or not 1 <= entry_id < 2**63 or created_at.tzinfo is None:
        raise InvalidCursor()
    return created_at, entry_id
