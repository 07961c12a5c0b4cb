"""The API process's own CPU per request, without HTTP: an ASGI call loop on the app.

Run from the project root:

    .venv/bin/python bench/asgi_bench.py \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--requests 2000]

It migrates a scratch Postgres database, builds the app exactly as the API process does
(`api_server.create_app()`, with its lifespan), and calls it directly with ASGI messages, one
request at a time, for three requests: a service deduction, a Stripe webhook's first delivery
(which credits the purchase) and a duplicate delivery of the same event. Each row is the
calling process's CPU (and wall time) per request over `--requests` calls after a warm-up.
No socket, no Granian, no HAProxy: what remains is FastAPI, the middleware, the service and
the database driver, which is the part of `api_bench.py`'s CPU per request this repository
can change. See bench/README.md.
"""

import argparse
import asyncio
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:  # `python bench/asgi_bench.py` puts bench/ first, not us
    sys.path.insert(0, str(PROJECT_ROOT))

SERVICE_KEY = "asgi-bench-" + uuid.uuid4().hex
WEBHOOK_SECRET = "whsec_asgi_bench_" + uuid.uuid4().hex
# The simulator, never real Stripe, and this process's settings before they are first read.
for _name in ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR"):
    os.environ.pop(_name, None)
os.environ |= {
    "PROCESS_ROLE": "api",
    "STRIPE_SIMULATOR": "true",
    "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "SERVICE_API_KEY": SERVICE_KEY,
}

from bench.ledger_bench import build_schema  # noqa: E402  (after the sys.path fix)
from tests.support.databases import scratch_postgres_database  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
WARMUP = 100
Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Row:
    name: str
    requests: int
    cpu_ms: float
    wall_ms: float


async def call(app: Asgi, request: Request) -> int:
    """One request through the app; its status."""
    headers = [(k.lower().encode(), v.encode()) for k, v in request.headers.items()]
    headers += [(b"host", b"bench"), (b"content-length", str(len(request.body)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": request.path,
        "raw_path": request.path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("bench", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": request.body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"])


async def timed(app: Asgi, name: str, requests: list[Request]) -> Row:
    cpu, wall = time.process_time(), time.perf_counter()
    for request in requests:
        status = await call(app, request)
        if status != 200:
            raise SystemExit(f"{name}: HTTP {status}")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return Row(name, len(requests), 1000 * cpu / len(requests), 1000 * wall / len(requests))


def deductions(user_id: int, count: int) -> list[Request]:
    body = {"wallet": {"type": "user", "id": user_id}, "amount": "0.0001", "category": "other"}
    return [
        Request(
            "/api/internal/credits/deduct",
            json.dumps(body).encode(),
            {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {SERVICE_KEY}",
                "Idempotency-Key": f"asgi-{uuid.uuid4().hex}",
            },
        )
        for _ in range(count)
    ]


def webhook_events(count: int) -> list[Request]:
    """Paid purchases of new buyers, one signed checkout.session.completed each."""
    from credits_app.auth.accounts import create_user
    from credits_app.billing.checkout import start_checkout
    from credits_app.billing.packages import list_active_packages
    from credits_app.billing.stripe_simulator import complete_session, signed_event
    from credits_app.credits.owners import WalletOwner

    package = list_active_packages()[0].id
    tag = uuid.uuid4().hex[:8]
    events = []
    for n in range(count):
        buyer = create_user(f"asgi-{tag}-{n}@example.com", f"Buyer {n}").id
        started = start_checkout(buyer, WalletOwner.user(buyer), package, return_path="/credits")
        paid = complete_session(started.session_id)
        payload, signature = signed_event("checkout.session.completed", paid, WEBHOOK_SECRET)
        headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
        events.append(Request("/api/stripe/webhook", payload, headers))
    return events


@contextmanager
def served_database(admin_url: str) -> Iterator[None]:
    """A migrated scratch database (the migrations seed the packages), as this process's engine."""
    with scratch_postgres_database(admin_url, prefix="asgi_bench") as url:
        build_schema(make_url(url))
        from credits_app.db import make_engine, use_engine

        engine = make_engine(url)  # the app's own engine settings: pool, recycle, UTC
        use_engine(engine)
        try:
            yield
        finally:
            engine.dispose()


async def measure(count: int) -> list[Row]:
    from credits_app.api_server import create_app
    from credits_app.auth.accounts import create_user
    from credits_app.credits.owners import WalletOwner
    from credits_app.credits.service_deductions import grant_for_service

    spender = create_user(f"asgi-spender-{uuid.uuid4().hex[:8]}@example.com", "Spender").id
    grant_for_service(WalletOwner.user(spender), "1000000", reason="asgi bench")
    events = webhook_events(count + WARMUP)
    app = create_app()
    quiet = open(os.devnull, "w")  # noqa: SIM115  (open for the whole run)
    for handler in logging.getLogger("credits_app").handlers:  # each line still formatted
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(quiet)
    async with app.router.lifespan_context(app):
        await timed(app, "warm-up", deductions(spender, WARMUP) + events[:WARMUP])
        return [
            await timed(app, "service deduction", deductions(spender, count)),
            await timed(app, "webhook, first delivery", events[WARMUP:]),
            await timed(app, "webhook, duplicate delivery", events[WARMUP:]),
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    with served_database(args.database_url):
        rows = asyncio.run(measure(args.requests))
    print("| request | requests | CPU ms/request | wall ms/request |")
    print("|---|---:|---:|---:|")
    for row in rows:
        print(f"| {row.name} | {row.requests:,} | {row.cpu_ms:.2f} | {row.wall_ms:.2f} |")


if __name__ == "__main__":
    main()
