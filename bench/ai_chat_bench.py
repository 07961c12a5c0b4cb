"""Added latency of crediting a chat: check + hold + settle around the provider call.

Run from the project root:

    .venv/bin/python bench/ai_chat_bench.py \\
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] \\
        [--requests 500] [--warmup 50] [--backends postgres,sqlite]

For each backend (a scratch Postgres database created next to `--database-url` and dropped
afterwards, and a SQLite file in a temporary directory; both built by the Alembic migrations) it
opens and funds one user through the real services, then times, interleaved request by request:

- **credited**: `credits_app.ai.chat.chat()`: validate, check + hold the worst case (one
  transaction), the provider call, settle (one transaction: the ledger entry + release);
- **plain**: the same `OpenAICompatibleProvider.complete()` call with crediting disabled;
- **credit only**: `chat()` with an in-process provider that answers instantly, i.e. the
  crediting work alone, without any HTTP.

The provider is the fake OpenAI-compatible server of the tests (tests/support/fake_openai.py) on
127.0.0.1, answering at once with fixed usage. It runs in this process (threads), so its own
Python time is in both the credited and the plain figures alike. The bench prints p50/p99 per
path, the added latency (credited - plain, for the medians and for the p99s) and the ratio
credited/plain, then checks the ledger (balance == sum of entries, nothing left held, one
`ai_usage` entry per credited chat) and exits non-zero if that fails. See bench/README.md.
"""

import argparse
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:  # `python bench/ai_chat_bench.py` puts bench/ first
    sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import func, select  # noqa: E402  (after the sys.path fix)

from credits_app.ai.chat import MAX_OUTPUT_TOKENS, chat  # noqa: E402
from credits_app.ai.providers import (  # noqa: E402
    ChatCompletion,
    ChatMessage,
    OpenAICompatibleProvider,
)
from credits_app.auth.accounts import create_user  # noqa: E402
from credits_app.credits.credit_service import grant_personal_credits  # noqa: E402
from credits_app.credits.wallet_service import WalletOwner, entries, require_wallet  # noqa: E402
from credits_app.db import make_engine, unit_of_work, use_engine  # noqa: E402
from credits_app.migrations import upgrade_to_head  # noqa: E402
from tests.support.databases import scratch_postgres_database  # noqa: E402
from tests.support.fake_openai import FAKE_API_KEY, running_fake_openai  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MODEL = "gpt-4o-mini"
USAGE = (250, 120)  # what the fake reports: a short question and answer
MESSAGES = [
    ChatMessage("system", "You are 2Bot, a helpful assistant."),
    ChatMessage("user", "In one sentence: what is a credit hold?"),
]
FUNDS = "1000000"  # far more than the bench can spend, so no chat is refused
PATHS = ("credited", "plain", "credit only")


@dataclass(frozen=True)
class Timings:
    """Per-request latencies of one path on one backend, in seconds."""

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


@dataclass(frozen=True)
class BackendResult:
    """The three paths measured on one database, and the ledger check after them."""

    backend: str
    timings: dict[str, Timings]
    ai_entries: int


class InstantProvider:
    """Answers in-process with the same usage as the fake server: crediting without HTTP."""

    def complete(self, messages: list[ChatMessage], model: str, max_tokens: int) -> ChatCompletion:
        return ChatCompletion("instant", model, *USAGE)


def measure(
    backend: str, database_url: str, base_url: str, requests: int, warmup: int
) -> BackendResult:
    """Fund a user on this database and time the three paths, interleaved."""
    engine = make_engine(database_url)
    upgrade_to_head(engine, log=False)
    use_engine(engine)
    try:
        user = create_user(f"bench-{backend}@example.com", "AI bench")
        grant_personal_credits(user.id, FUNDS, description="Benchmark funding")
        provider = OpenAICompatibleProvider(base_url, FAKE_API_KEY)
        instant = InstantProvider()
        calls: dict[str, Callable[[], object]] = {
            "credited": lambda: chat(user.id, MESSAGES, model=MODEL, provider=provider),
            "plain": lambda: provider.complete(MESSAGES, MODEL, MAX_OUTPUT_TOKENS),
            "credit only": lambda: chat(user.id, MESSAGES, model=MODEL, provider=instant),
        }
        for _ in range(warmup):  # compiled SQL cache, pooled connections, prepared statements
            for call in calls.values():
                call()
        samples: dict[str, list[float]] = {path: [] for path in PATHS}
        for index in range(requests):
            # Rotate the order, so slow drift and GC pauses hit every path alike.
            order = PATHS[index % 3 :] + PATHS[: index % 3]
            for path in order:
                started = time.perf_counter()
                calls[path]()
                samples[path].append(time.perf_counter() - started)
        ai_entries = check_ledger(WalletOwner.user(user.id), expected=2 * (requests + warmup))
        return BackendResult(backend, {p: Timings(s) for p, s in samples.items()}, ai_entries)
    finally:
        engine.dispose()


def check_ledger(owner: WalletOwner, expected: int) -> int:
    """balance == sum(ledger), nothing held, one ai_usage entry per credited chat."""
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


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def format_table(results: Sequence[BackendResult]) -> str:
    """One Markdown table: p50/p99 per path, and what crediting adds."""
    lines = [
        "| backend | path | p50 ms | p99 ms |",
        "|---|---|---:|---:|",
    ]
    for result in results:
        for path in PATHS:
            t = result.timings[path]
            lines.append(
                f"| {result.backend} | {path} | {milliseconds(t.p50)} | {milliseconds(t.p99)} |"
            )
    lines += [
        "",
        "| backend | added p50 ms | added p99 ms | ratio p50 | ratio p99 |",
        "|---|---:|---:|---:|---:|",
    ]
    for result in results:
        credited, plain = result.timings["credited"], result.timings["plain"]
        lines.append(
            f"| {result.backend} | {milliseconds(credited.p50 - plain.p50)}"
            f" | {milliseconds(credited.p99 - plain.p99)}"
            f" | {credited.p50 / plain.p50:.2f} | {credited.p99 / plain.p99:.2f} |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--requests", type=int, default=500, help="timed requests per path")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests per path")
    parser.add_argument("--backends", default="postgres,sqlite", help="comma-separated")
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not set(args.backends) <= {"postgres", "sqlite"} or args.requests < 1:
        parser.error("backends are postgres and/or sqlite; --requests must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    began = time.monotonic()
    load_before = os.getloadavg()[0]
    results: list[BackendResult] = []
    with running_fake_openai() as fake:
        fake.answer_with_usage(*USAGE)
        for backend in args.backends:
            print(f"{backend}: {args.warmup} warm-up + {args.requests} timed requests per path")
            if backend == "postgres":
                with scratch_postgres_database(args.database_url, "credits_aibench") as url:
                    results.append(measure(backend, url, fake.base_url, args.requests, args.warmup))
            else:
                with tempfile.TemporaryDirectory() as directory:
                    url = f"sqlite:///{Path(directory) / 'bench.db'}"
                    results.append(measure(backend, url, fake.base_url, args.requests, args.warmup))
            print(f"  ledger ok: {results[-1].ai_entries} ai_usage entries, balance == sum, held 0")
    print()
    print(format_table(results))
    print(
        f"\n{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"fake provider on 127.0.0.1 (in-process threads), total {time.monotonic() - began:.0f} s, "
        f"1-min load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after"
    )


if __name__ == "__main__":
    main()
