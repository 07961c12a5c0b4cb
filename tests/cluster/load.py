"""Deductions through HAProxy as a platform service makes them: every logical request has its
own Idempotency-Key and is retried with that key until it gets a final answer (2xx or 402).

Retryable on the way: a transport error or a 502/503/504 (an instance died mid-request,
the database is busy or restarting). A 500 is never retried: it is recorded as a failure.
"""

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import text

from credits_app.db import get_engine
from tests.support.api_client import SERVICE_KEY, ApiUser

RETRYABLE = {502, 503, 504}
GIVE_UP_SECONDS = 120


@dataclass
class LoadResult:
    """What the clients saw: final answers, every intermediate status, the ids they got."""

    final: Counter[int] = field(default_factory=Counter)
    seen: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    transaction_ids: list[int] = field(default_factory=list)
    unfinished: int = 0


def spend(
    base_url: str,
    user: ApiUser,
    requests: int,
    *,
    amount: str = "1",
    clients: int = 8,
    chaos: Callable[[], None] | None = None,
    chaos_after: int = 0,
) -> LoadResult:
    """Run `requests` deductions with `clients` threads; call `chaos()` once `chaos_after`
    of them have finished (while the rest are in flight)."""
    result = LoadResult()
    lock = threading.Lock()
    finished = threading.Semaphore(0)
    local = threading.local()

    def client() -> httpx.Client:
        if not hasattr(local, "http"):
            local.http = httpx.Client(base_url=base_url, timeout=30)
        http: httpx.Client = local.http
        return http

    def one(_: int) -> None:
        key = uuid.uuid4().hex
        body = {
            "wallet": {"type": "user", "id": user.id},
            "amount": amount,
            "category": "marketplace",
            "description": "cluster load",
        }
        headers = {"Authorization": f"Bearer {SERVICE_KEY}", "Idempotency-Key": key}
        deadline = time.monotonic() + GIVE_UP_SECONDS
        try:
            while time.monotonic() < deadline:
                try:
                    response = client().post(
                        "/api/internal/credits/deduct", json=body, headers=headers
                    )
                except httpx.TransportError:
                    with lock:
                        result.transport_errors += 1
                    time.sleep(0.2)
                    continue
                with lock:
                    result.seen[response.status_code] += 1
                if response.status_code in RETRYABLE:
                    time.sleep(min(float(response.headers.get("Retry-After", "0.2")), 1.0))
                    continue
                with lock:
                    result.final[response.status_code] += 1
                    if response.status_code == 200:
                        result.transaction_ids.append(int(response.json()["transactionId"]))
                return
            with lock:
                result.unfinished += 1
        finally:
            finished.release()

    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(one, i) for i in range(requests)]
        if chaos is not None:
            for _ in range(chaos_after):
                finished.acquire()
            chaos()
        for future in futures:
            future.result()
    return result


def usage_entry_ids(user: ApiUser) -> list[int]:
    """The ids of the wallet's usage entries, straight from the ledger table."""
    with get_engine().connect() as connection:
        rows = connection.execute(
            text(
                "SELECT e.id FROM ledger_entries e JOIN wallets w ON w.id = e.wallet_id"
                " WHERE w.owner_kind = 'user' AND w.owner_id = :id AND e.type = 'usage'"
            ),
            {"id": user.id},
        ).all()
    return [int(row[0]) for row in rows]


def summary(result: LoadResult) -> dict[str, Any]:
    """For failure messages and the test log."""
    return {
        "final": dict(result.final),
        "seen": dict(result.seen),
        "transport_errors": result.transport_errors,
        "unfinished": result.unfinished,
    }
