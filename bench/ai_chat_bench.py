"""2Bot AI benchmarks: the credit path's added latency per feature, and a slow provider's reach.

Run from the project root:

    .venv/bin/python bench/ai_chat_bench.py latency \\
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] \\
        [--requests 300] [--warmup 30] [--backends postgres,sqlite]

    .venv/bin/python bench/ai_chat_bench.py slow-provider [--app-dir DIR] \\
        [--provider-delay 20] [--chats 60] [--chat-users 15] [--database-url ...]

**latency.** For each backend (a scratch Postgres database next to `--database-url`, dropped
afterwards, and a SQLite file; both built by the Alembic migrations) it funds one user through
the real services and times, interleaved request by request, on one event loop:

- **credited** `<feature>`: the service (`chat`, `generate_image`, `text_to_speech`,
  `speech_to_text`): validate, take a request slot, hold (one transaction), the provider call
  over HTTP, settle (one transaction: the ledger entry + release);
- **plain** `<feature>`: the same `OpenAICompatibleProvider` call with crediting left out.

The provider is the fake OpenAI-compatible server of the tests (tests/support/fake_openai.py) on
127.0.0.1, answering at once; it runs in this process (threads), so its own Python time is in both
figures alike. Printed: p50/p99 per path, the added latency (credited - plain) and the ratio; then
the ledger is checked (balance == sum of entries, nothing held, one `ai_usage` entry per credited
call) and the bench exits non-zero if that fails.

**slow-provider.** Starts the app (`reflex run --env prod --backend-only`) from `--app-dir`
(default: this checkout; give a `git worktree` of an older commit to measure "before") on a
scratch Postgres database, with AI_BASE_URL at the fake provider answering after
`--provider-delay` seconds. It times unrelated deductions (`POST /api/internal/credits/deduct`
for another user), sent open-loop every `--interval` s for `--window` s, first with no AI
traffic (the ceiling of the same run), then while `--chats` chats from `--chat-users` users
wait on the provider, and prints p50/p99/max of both and the ratio. Every process it starts
is stopped at the end.
See bench/README.md for the figures.
"""

import argparse
import asyncio
import math
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:  # `python bench/ai_chat_bench.py` puts bench/ first
    sys.path.insert(0, str(PROJECT_ROOT))

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from credits_app.ai.chat import MAX_OUTPUT_TOKENS, chat  # noqa: E402
from credits_app.ai.media import generate_image, speech_to_text, text_to_speech  # noqa: E402
from credits_app.ai.providers import (  # noqa: E402
    ChatMessage,
    ImageRequest,
    OpenAICompatibleProvider,
)
from credits_app.auth.accounts import create_user  # noqa: E402
from credits_app.credits.credit_service import grant_personal_credits  # noqa: E402
from credits_app.credits.wallet_service import WalletOwner, entries, require_wallet  # noqa: E402
from credits_app.db import make_engine, unit_of_work, use_engine  # noqa: E402
from credits_app.migrations import upgrade_to_head  # noqa: E402
from tests.support.app_server import running_app  # noqa: E402
from tests.support.databases import scratch_postgres_database  # noqa: E402
from tests.support.fake_openai import FAKE_API_KEY, running_fake_openai, wav_of  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MODEL = "gpt-4o-mini"
USAGE = (250, 120)  # what the fake reports: a short question and answer
MESSAGES = [
    ChatMessage("system", "You are 2Bot, a helpful assistant."),
    ChatMessage("user", "In one sentence: what is a credit hold?"),
]
SPEECH_TEXT = "A credit hold reserves the worst case before the model is asked."
RECORDING = wav_of(5)
FUNDS = "100000000"  # far more than the bench can spend, so no call is refused
FEATURES = ("chat", "image", "tts", "stt")
SERVICE_KEY = "bench-service-key"
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Timings:
    """Latencies of one path, in seconds."""

    samples: list[float]

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile (p in 0..100)."""
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


# --- latency -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackendResult:
    backend: str
    timings: dict[str, Timings]  # "credited chat", "plain chat", ...
    ai_entries: int


def calls_for(
    user_id: int, provider: OpenAICompatibleProvider
) -> dict[str, Callable[[], Awaitable[object]]]:
    """Credited and plain calls of every feature."""
    image = ImageRequest("A lighthouse", "dall-e-3", "1024x1024", "standard", 1)
    return {
        "credited chat": lambda: chat(user_id, MESSAGES, model=MODEL, provider=provider),
        "plain chat": lambda: provider.complete(MESSAGES, MODEL, MAX_OUTPUT_TOKENS),
        "credited image": lambda: generate_image(user_id, image.prompt, provider=provider),
        "plain image": lambda: provider.generate_images(image),
        "credited tts": lambda: text_to_speech(user_id, SPEECH_TEXT, provider=provider),
        "plain tts": lambda: provider.speak(SPEECH_TEXT, "tts-1", "alloy"),
        "credited stt": lambda: speech_to_text(
            user_id, RECORDING, filename="a.wav", content_type="audio/wav", provider=provider
        ),
        "plain stt": lambda: provider.transcribe(RECORDING, "a.wav", "audio/wav", "whisper-1"),
    }


async def time_paths(
    calls: dict[str, Callable[[], Awaitable[object]]], requests: int, warmup: int
) -> dict[str, Timings]:
    paths = list(calls)
    for _ in range(warmup):  # compiled SQL cache, pooled connections, HTTP keep-alive
        for path in paths:
            await calls[path]()
    samples: dict[str, list[float]] = {path: [] for path in paths}
    for index in range(requests):
        # Rotate the order, so slow drift and GC pauses hit every path alike.
        shift = index % len(paths)
        for path in paths[shift:] + paths[:shift]:
            started = time.perf_counter()
            await calls[path]()
            samples[path].append(time.perf_counter() - started)
    return {path: Timings(s) for path, s in samples.items()}


def measure_latency(
    backend: str, database_url: str, base_url: str, requests: int, warmup: int
) -> BackendResult:
    engine = make_engine(database_url)
    upgrade_to_head(engine, log=False)
    use_engine(engine)
    os.environ.update({"AI_BASE_URL": base_url, "AI_API_KEY": FAKE_API_KEY, "AI_MODEL": MODEL})
    from credits_app.settings import get_settings

    get_settings.cache_clear()  # the media services read their models from the settings
    try:
        user = create_user(f"bench-{backend}-{uuid.uuid4().hex[:6]}@example.com", "AI bench")
        grant_personal_credits(user.id, FUNDS, description="Benchmark funding")
        provider = OpenAICompatibleProvider(base_url, FAKE_API_KEY)
        timings = asyncio.run(time_paths(calls_for(user.id, provider), requests, warmup))
        ai_entries = check_ledger(
            WalletOwner.user(user.id), expected=len(FEATURES) * (requests + warmup)
        )
        return BackendResult(backend, timings, ai_entries)
    finally:
        engine.dispose()


def check_ledger(owner: WalletOwner, expected: int) -> int:
    """balance == sum(ledger), nothing held, one ai_usage entry per credited call."""
    with unit_of_work() as db:
        wallet = require_wallet(db, owner)
        total, ai_entries = db.execute(
            select(
                func.coalesce(func.sum(entries.c.amount), 0),
                func.count().filter(entries.c.category == "ai_usage"),
            ).where(entries.c.wallet_id == wallet.id)
        ).one()
    if wallet.balance != total or wallet.held != 0 or ai_entries != expected:
        raise SystemExit(
            f"LEDGER CHECK FAILED: balance {wallet.balance}, sum {total}, held {wallet.held}, "
            f"{ai_entries} ai_usage entries (expected {expected})"
        )
    return int(ai_entries)


def latency_table(results: Sequence[BackendResult]) -> str:
    lines = [
        "| backend | feature | credited p50 ms | plain p50 ms | added p50 ms | credited p99 ms "
        "| plain p99 ms | added p99 ms | ratio p50 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for feature in FEATURES:
            credited = result.timings[f"credited {feature}"]
            plain = result.timings[f"plain {feature}"]
            lines.append(
                f"| {result.backend} | {feature} | {ms(credited.p50)} | {ms(plain.p50)}"
                f" | {ms(credited.p50 - plain.p50)} | {ms(credited.p99)} | {ms(plain.p99)}"
                f" | {ms(credited.p99 - plain.p99)} | {credited.p50 / plain.p50:.2f} |"
            )
    return "\n".join(lines)


def run_latency(args: argparse.Namespace) -> None:
    results: list[BackendResult] = []
    with running_fake_openai() as fake:
        fake.answer_with_usage(*USAGE)
        for backend in args.backends:
            print(f"{backend}: {args.warmup} warm-up + {args.requests} timed calls per path")
            if backend == "postgres":
                with scratch_postgres_database(args.database_url, "credits_aibench") as url:
                    results.append(
                        measure_latency(backend, url, fake.base_url, args.requests, args.warmup)
                    )
            else:
                with tempfile.TemporaryDirectory() as directory:
                    url = f"sqlite:///{Path(directory) / 'bench.db'}"
                    results.append(
                        measure_latency(backend, url, fake.base_url, args.requests, args.warmup)
                    )
            print(f"  ledger ok: {results[-1].ai_entries} ai_usage entries, balance == sum, held 0")
    print()
    print(latency_table(results))


# --- slow provider -----------------------------------------------------------------------------


def register(http: httpx.Client, name: str) -> tuple[int, str, str]:
    """(id, token, email) of a new user."""
    email = f"{name}-{uuid.uuid4().hex[:10]}@example.com"
    response = http.post(
        "/api/auth/register", json={"email": email, "name": name, "password": PASSWORD}
    )
    response.raise_for_status()
    body = response.json()
    return int(body["user"]["id"]), str(body["token"]), email


def operator(app_dir: Path, database_url: str, *args: str) -> None:
    """The app's own operator CLI (so an older checkout's schema is written by its own code)."""
    command = [sys.executable, "-m", "credits_app", "--database", database_url, *args]
    subprocess.run(command, cwd=app_dir, check=True, capture_output=True, timeout=300)


def deduction_timings(base_url: str, user_id: int, seconds: float, interval: float) -> Timings:
    """Open loop: a 0.0001-credit service deduction every `interval` seconds for `seconds`,
    each sent at its time (one shared client, a connection each when needed) whatever the
    earlier ones are doing, so a stalled server shows as the time each one waited (a closed
    loop would send one and stop)."""
    body = {
        "wallet": {"type": "user", "id": user_id},
        "amount": "0.0001",
        "category": "marketplace",
    }
    headers = {"Authorization": f"Bearer {SERVICE_KEY}"}

    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    http = httpx.Client(base_url=base_url, timeout=300, limits=limits)  # thread-safe, shared

    def one() -> float:
        started = time.perf_counter()
        response = http.post("/api/internal/credits/deduct", json=body, headers=headers)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"deduction failed: {response.status_code} {response.text}")
        return elapsed

    count = max(1, int(seconds / interval))
    with http, ThreadPoolExecutor(max_workers=count) as pool:
        futures = []
        began = time.monotonic()
        for index in range(count):
            time.sleep(max(0.0, began + index * interval - time.monotonic()))
            futures.append(pool.submit(one))
        return Timings([future.result() for future in futures])


def run_slow_provider(args: argparse.Namespace) -> None:
    app_dir = Path(args.app_dir).resolve()
    with (
        running_fake_openai() as fake,
        scratch_postgres_database(args.database_url, "credits_aislow") as database_url,
        tempfile.TemporaryDirectory() as log_dir,
    ):
        fake.delay(args.provider_delay)
        operator(app_dir, database_url, "migrate")
        env = {
            "SERVICE_API_KEY": SERVICE_KEY,
            "AI_BASE_URL": fake.base_url,
            "AI_API_KEY": FAKE_API_KEY,
            "AI_MODEL": MODEL,
            "AI_TIMEOUT_SECONDS": str(args.provider_delay + 30),
        }
        print(f"starting the app from {app_dir} ...")
        with (
            running_app(
                database_url, Path(log_dir), backend_only=True, env=env, cwd=app_dir
            ) as app,
            httpx.Client(base_url=app.base_url, timeout=60) as http,
        ):
            target, _, target_email = register(http, "deduct-target")
            chatters = [register(http, f"chatter{i}") for i in range(args.chat_users)]
            for email in [target_email, *(e for _, _, e in chatters)]:
                operator(
                    app_dir, database_url, "grant", "1000", "--user", email, "--reason", "bench"
                )
            deduction_timings(app.base_url, target, 2, 0.1)  # warm-up
            idle = deduction_timings(app.base_url, target, args.window, args.interval)
            statuses: Counter[int] = Counter()
            lock = threading.Lock()

            def one_chat(token: str) -> None:
                with httpx.Client(
                    base_url=app.base_url, timeout=args.provider_delay + 60
                ) as client:
                    response = client.post(
                        "/api/2bot-ai/chat",
                        json={"messages": [{"role": "user", "content": "Hello?"}]},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                with lock:
                    statuses[response.status_code] += 1

            threads = [
                threading.Thread(target=one_chat, args=(chatters[i % len(chatters)][1],))
                for i in range(args.chats)
            ]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            while (
                len(fake.requests) < min(args.chats, 4 * args.chat_users)
                and time.monotonic() - started < 10
            ):
                time.sleep(0.05)  # the chats are waiting on the provider now
            busy = deduction_timings(app.base_url, target, args.window, args.interval)
            busy_span = time.monotonic() - started
            for thread in threads:
                thread.join(timeout=args.provider_delay + 120)
    print()
    print(f"app: {app_dir}; provider delay {args.provider_delay} s;", end=" ")
    print(
        f"{args.chats} chats from {args.chat_users} users; chat answers {dict(statuses)};", end=" "
    )
    print(
        f"provider requests {len(fake.requests)}; measured {busy_span:.1f} s after the chats began"
    )
    print()
    print("| deductions | n | p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for label, t in (
        ("no AI traffic (ceiling)", idle),
        ("while chats wait on the slow provider", busy),
    ):
        print(f"| {label} | {len(t.samples)} | {ms(t.p50)} | {ms(t.p99)} | {ms(max(t.samples))} |")
    print(f"\nratio p99 busy/idle: {busy.p99 / idle.p99:.1f}")


# --- main --------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-"):
        argv.insert(0, "latency")  # the default scenario (`make bench-ai`)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="scenario", required=True)
    latency = sub.add_parser("latency", help="added latency of the credit path per feature")
    latency.add_argument("--requests", type=int, default=300, help="timed calls per path")
    latency.add_argument("--warmup", type=int, default=30, help="untimed calls per path")
    latency.add_argument("--backends", default="postgres,sqlite", help="comma-separated")
    slow = sub.add_parser("slow-provider", help="unrelated deductions while the provider is slow")
    slow.add_argument("--app-dir", default=str(PROJECT_ROOT), help="the checkout to run")
    slow.add_argument("--provider-delay", type=float, default=20.0)
    slow.add_argument("--chats", type=int, default=60)
    slow.add_argument("--chat-users", type=int, default=15)
    slow.add_argument("--window", type=float, default=15.0, help="seconds of deductions")
    slow.add_argument("--interval", type=float, default=0.1, help="seconds between deductions")
    for sub_parser in (latency, slow):
        sub_parser.add_argument(
            "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
        )
    args = parser.parse_args(argv)
    if args.scenario == "latency":
        args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
        if not set(args.backends) <= {"postgres", "sqlite"} or args.requests < 1:
            parser.error("backends are postgres and/or sqlite; --requests must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    began, load_before = time.monotonic(), os.getloadavg()[0]
    if args.scenario == "latency":
        run_latency(args)
    else:
        run_slow_provider(args)
    print(
        f"\n{os.cpu_count()} CPUs, Python {platform.python_version()}, fake provider on "
        f"127.0.0.1 (in-process threads), total {time.monotonic() - began:.0f} s, 1-min load "
        f"average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after"
    )


if __name__ == "__main__":
    main()
