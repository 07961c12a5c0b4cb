"""The usage report's cost against the wallet's history size (issue 16: flat in history size).

Run from the project root (`make bench-usage`):

    .venv/bin/python bench/usage_bench.py \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--calls 200]

Two wallets with the same last 30 days (`--window` usage entries in it, written through the
real ledger under a frozen clock) and a different past: 1,000 and 20,000 entries in all, the
older ones spread over the two years before (SQL copies of a real entry, see `fill`).
It then times what `GET …/usage?days=30` runs (`credit_service.get_usage`
and `ai_usage_report.get_ai_usage`), median of `--calls` calls, on each wallet, and prints
the ratio 20,000 / 1,000; then the same with the window index of migration 0012 dropped
(`ix_ledger_entries_type_window`), which is how the query ran before it, in the same run.
The target is a ratio <= 1.5.
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import URL, make_url, text

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench.ledger_bench import admin_engine, build_schema  # noqa: E402
from tests.support.databases import scratch_postgres_database  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SIZES = (1_000, 20_000)
CATEGORIES = ("ai_usage", "premium_feature", "subscription", "other")
INDEX = "ix_ledger_entries_type_window"


def fill(user_id: int, total: int, window: int, now: datetime, url: URL) -> None:
    """`total` usage entries: `window` in the last 30 days through the real ledger
    (`deduct_personal_credits` under a frozen clock, one transaction), and the rest over the
    two years before as SQL copies of the oldest real one (the report only reads their type,
    category, amount and date; writing 19,000 entries through the service took ~15 min on this
    shared machine). The copies leave the wallet's balance != sum(entries): a read bench only."""
    from credits_app.clock import frozen_at
    from credits_app.credits.credit_service import deduct_personal_credits, grant_personal_credits
    from credits_app.db import unit_of_work

    window_start = now - timedelta(days=29)
    with unit_of_work() as session:
        with frozen_at(window_start - timedelta(days=1)):
            grant_personal_credits(user_id, "1000000", description="Funding", session=session)
        for number in range(window):
            with frozen_at(window_start + timedelta(days=29) * (number / window)):
                deduct_personal_credits(
                    user_id,
                    "0.0001",
                    category=CATEGORIES[number % len(CATEGORIES)],
                    metadata={"model": "gpt-4o-mini", "feature": "chat"},
                    session=session,
                )
    older = total - window
    admin = admin_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(
                text(
                    """
                    INSERT INTO ledger_entries (wallet_id, type, category, amount, balance_after,
                        description, metadata, created_at)
                    SELECT e.wallet_id, e.type, (ARRAY[:c0, :c1, :c2, :c3])[1 + n % 4], e.amount,
                           e.balance_after, e.description, e.metadata,
                           CAST(:start AS TIMESTAMPTZ) + (n * INTERVAL '730 days') / :older
                    FROM (SELECT * FROM ledger_entries
                          WHERE wallet_id = (SELECT id FROM wallets WHERE owner_kind = 'user'
                                             AND owner_id = :user_id) AND type = 'usage'
                          ORDER BY id LIMIT 1) AS e
                    CROSS JOIN generate_series(0, :older - 1) AS n
                    """
                ),
                {
                    "user_id": user_id,
                    "older": older,
                    "start": now - timedelta(days=760),
                    **{f"c{i}": c for i, c in enumerate(CATEGORIES)},
                },
            )
    finally:
        admin.dispose()


def time_report(user_id: int, calls: int) -> float:
    """Median seconds of what the usage route runs, for this wallet."""
    from credits_app.credits import ai_usage_report, credit_service
    from credits_app.credits.owners import WalletOwner

    owner = WalletOwner.user(user_id)
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        credit_service.get_usage(owner, days=30)
        ai_usage_report.get_ai_usage(owner, days=30)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--window", type=int, default=300, help="entries in the last 30 days")
    args = parser.parse_args(argv)
    from credits_app.auth.accounts import create_user
    from credits_app.db import make_engine, use_engine

    with scratch_postgres_database(args.database_url, prefix="credits_usagebench") as scratch:
        url = make_url(scratch)
        build_schema(url)
        engine = make_engine(scratch)
        use_engine(engine)
        now = datetime.now(UTC)
        users = {}
        for size in SIZES:
            started = time.perf_counter()
            users[size] = create_user(f"usage-{size}@example.com", f"Usage {size}").id
            fill(users[size], size, args.window, now, url)
            print(f"filled {size:,} entries in {time.perf_counter() - started:.0f} s", flush=True)
        admin = admin_engine(url)
        with admin.connect() as connection:
            connection.execute(text("VACUUM (ANALYZE) ledger_entries, wallets"))
        rows = []
        for label in ("with the window index (0012)", "without it (before)"):
            for size in SIZES:  # warm
                time_report(users[size], 10)
            cost = {size: time_report(users[size], args.calls) for size in SIZES}
            rows.append((label, cost))
            print(f"{label}: " + ", ".join(f"{s:,}: {c * 1000:.2f} ms" for s, c in cost.items()))
            if label.startswith("with "):
                with admin.connect() as connection:
                    connection.execute(text(f"DROP INDEX {INDEX}"))
                    connection.execute(text("ANALYZE ledger_entries"))
        admin.dispose()
        engine.dispose()
    small, large = SIZES
    print()
    print(
        f"| usage?days=30 ({args.window} entries in the window) | {small:,} entries "
        f"| {large:,} entries | ratio |"
    )
    print("|---|---:|---:|---:|")
    for label, cost in rows:
        print(
            f"| {label} | {cost[small] * 1000:.2f} ms | {cost[large] * 1000:.2f} ms "
            f"| {cost[large] / cost[small]:.2f} |"
        )


if __name__ == "__main__":
    main()
