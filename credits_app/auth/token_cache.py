"""Checked tokens remembered for a few seconds, so an authenticated request costs no token query.

Every request carries a token; looking it up was a query (and a commit) per request. A worker
remembers the answer for `TOKEN_CACHE_SECONDS`, keyed by the token's SHA-256 digest (the
secret itself is never kept), never past the session's own expiry.

Revocation must still win at once: every sign-out, password change, "sign out everywhere",
API-token revocation (and a profile change, since the answer carries the name) bumps a
revocation counter *after its commit*, and a cached answer is used
only while the counter still reads what it read *before* the answer was looked up. So a lookup
that raced a revocation is never trusted. The counter is the length of a small append-only
file next to the database's other per-machine files (one byte per revocation; an `os.stat` per
request, no query): every worker process and every instance on the machine shares it. An
instance on another machine sees the sign-out when its cached answer ages out (at most
`TOKEN_CACHE_SECONDS`, 3 s by default; 0 turns the cache off). A signed token with a revocation
list would need the same per-request check, so the cache is the simpler way to the same cost.
"""

import hashlib
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import event
from sqlmodel import Session

from credits_app.auth.accounts import UserInfo
from credits_app.clock import utcnow
from credits_app.settings import get_settings

MAX_ENTRIES = 10_000  # a flood of distinct tokens empties the cache instead of growing it


@dataclass(frozen=True)
class _Entry:
    user: UserInfo
    epoch: int
    fresh_until: float  # time.monotonic()
    expires_at: datetime | None  # the session's own end


_entries: dict[str, _Entry] = {}
_lock = threading.Lock()


def revocation_file() -> Path:
    """The machine-wide counter for this database (TOKEN_REVOCATION_FILE overrides it)."""
    settings = get_settings()
    if settings.token_revocation_file:
        return Path(settings.token_revocation_file)
    database = hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"credits-token-revocations-{database}"


def epoch() -> int:
    """How many revocations this machine has seen (0 before the first)."""
    try:
        return os.stat(revocation_file()).st_size
    except FileNotFoundError:
        return 0


def cached_user(digest: str) -> UserInfo | None:
    """The user of a recently checked, still valid token, else None (look it up)."""
    entry = _entries.get(digest)
    if entry is None:
        return None
    if (
        entry.fresh_until <= time.monotonic()
        or (entry.expires_at is not None and entry.expires_at <= utcnow())
        or entry.epoch != epoch()
    ):
        _entries.pop(digest, None)
        return None
    return entry.user


def remember(digest: str, user: UserInfo, expires_at: datetime | None, seen_epoch: int) -> None:
    """Keep a lookup's answer; `seen_epoch` is `epoch()` as read before the lookup."""
    seconds = get_settings().token_cache_seconds
    if seconds <= 0:
        return
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[digest] = _Entry(user, seen_epoch, time.monotonic() + seconds, expires_at)


def revoked(db: Session | None = None) -> None:
    """Tokens were revoked: drop every cached answer here, and in every worker on the machine
    once `db` (the revoking transaction, if any) has committed."""
    _bump()
    if db is not None:
        event.listen(db, "after_commit", lambda _session: _bump(), once=True)


def _bump() -> None:
    with _lock:
        _entries.clear()
    path = revocation_file()
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, b".")
    finally:
        os.close(descriptor)


def clear() -> None:
    """Forget every cached answer in this process (tests)."""
    with _lock:
        _entries.clear()
