"""Background jobs on Postgres: jobs/s through the worker, and what alerts add to a deduction.

Run from the project root:

    .venv/bin/python bench/jobs_bench.py \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--jobs 4000]

It creates a scratch database next to the URL's (dropped afterwards), migrates it, and measures:
1. enqueue: deductions that each enqueue one job in the same transaction (the outbox write);
2. drain: those jobs run to completion by 2 workers x 4 threads with a no-op handler;
3. ceiling: the same number of one-row UPDATE transactions on 4 threads (the round-trip bound
   each job's claim/finish transactions pay);
4. alert cost: deduct+grant pairs on 4 threads, without thresholds (no events) and with a low
   threshold and a subscribed webhook endpoint, so every deduction fires balance.low and every
   grant balance.recovered (event + notification + delivery row + outbox job each).
Figures go to stdout; bench/README.md records them.
"""

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import make_url, text

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from credits_app.auth.accounts import create_user  # noqa: E402
from credits_app.credits import credit_service as credits  # noqa: E402
from credits_app.credits.owners import WalletOwner  # noqa: E402
from credits_app.credits.wallet_settings import update_wallet_settings  # noqa: E402
from credits_app.db import make_engine, unit_of_work, use_engine  # noqa: E402
from credits_app.jobs.outbox import enqueue  # noqa: E402
from credits_app.jobs.registry import Registry  # noqa: E402
from credits_app.jobs.worker import Worker, WorkerOptions, running_in_thread  # noqa: E402
from credits_app.migrations import upgrade_to_head  # noqa: E402
from credits_app.notifications import endpoints  # noqa: E402
from credits_app.settings import get_settings  # noqa: E402
from tests.support.databases import scratch_postgres_database  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
THREADS = 4
ROUNDS = 3
KIND = "bench.noop"


def timed(threads: int, per_thread: int, op: Callable[[int, int], None]) -> float:
    """Operations per second of `op(thread, i)` run `per_thread` times on each thread."""
    barrier = threading.Barrier(threads + 1)

    def run(thread: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            op(thread, i)

    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(run, t) for t in range(threads)]
        barrier.wait()
        start = time.perf_counter()
        for future in futures:
            future.result()
    return threads * per_thread / (time.perf_counter() - start)


def users(count: int, funds: str) -> list[int]:
    ids = []
    for n in range(count):
        user = create_user(f"bench-{time.time_ns()}-{n}@example.com", "Bench")
        credits.grant_personal_credits(user.id, funds, description="bench funds")
        ids.append(user.id)
    return ids


def measure(url: str, job_count: int) -> dict[str, float]:
    # Bounded: the server's connections are shared (4 client threads, or 2 workers x 4 threads).
    engine = make_engine(url, pool_size=12, max_overflow=0)
    upgrade_to_head(engine, log=False)
    use_engine(engine)
    spenders = users(THREADS, "1000000")
    per_thread = job_count // THREADS

    def deduct_and_enqueue(thread: int, i: int) -> None:
        with unit_of_work() as db:
            credits.deduct_personal_credits(
                spenders[thread], "0.0001", category="other", session=db
            )
            enqueue(db, KIND, {"n": i})

    def deduct_only(thread: int, i: int) -> None:
        credits.deduct_personal_credits(spenders[thread], "0.0001", category="other")

    # A/B rounds, alternating, medians: the machine is shared, so load drifts during a run.
    rounds: dict[str, list[float]] = {"deduct/s (no job)": [], "deduct+enqueue/s": []}
    for _ in range(ROUNDS):
        rounds["deduct/s (no job)"].append(timed(THREADS, per_thread // ROUNDS, deduct_only))
        rounds["deduct+enqueue/s"].append(timed(THREADS, per_thread // ROUNDS, deduct_and_enqueue))
    figures = {name: statistics.median(values) for name, values in rounds.items()}

    registry = Registry()
    registry.register(KIND, lambda job: None)
    options = WorkerOptions(concurrency=4, poll_seconds=0.01, run_periodic=False)
    workers = [Worker(registry, options) for _ in range(2)]
    start = time.perf_counter()
    with running_in_thread(workers[0]), running_in_thread(workers[1]):
        while True:
            with engine.connect() as connection:
                left = connection.execute(
                    text("SELECT count(*) FROM jobs WHERE kind = :k AND status <> 'done'"),
                    {"k": KIND},
                ).scalar_one()
            if left == 0:
                break
            time.sleep(0.01)
    figures["jobs/s (2 workers x 4 threads)"] = THREADS * per_thread / (time.perf_counter() - start)

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_counter (id int PRIMARY KEY, n bigint)"))
        connection.execute(
            text("INSERT INTO bench_counter SELECT g, 0 FROM generate_series(0, :t) g"),
            {"t": THREADS},
        )

    def one_row_update(thread: int, i: int) -> None:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE bench_counter SET n = n + 1 WHERE id = :id"), {"id": thread}
            )

    figures["ceiling: 1-row UPDATE tx/s"] = timed(THREADS, per_thread, one_row_update)

    get_settings().webhook_allow_private_urls = True
    quiet, loud = users(THREADS, "1000"), users(THREADS, "1000")
    for user_id in loud:
        owner = WalletOwner.user(user_id)
        update_wallet_settings(owner, {"low_threshold": "1000"})
        endpoints.create_endpoint(
            owner, user_id, "http://127.0.0.1:9/hook", ["balance.low", "balance.recovered"]
        )
    pairs = max(per_thread // 4, 50)

    def pair(wallets: list[int]) -> Callable[[int, int], None]:
        def op(thread: int, i: int) -> None:
            credits.deduct_personal_credits(wallets[thread], "1", category="other")
            credits.grant_personal_credits(wallets[thread], "1", description="back")

        return op

    pair_rounds: dict[str, list[float]] = {"pairs/s, no alerts": [], "pairs/s, 2 alerts each": []}
    for _ in range(ROUNDS):
        pair_rounds["pairs/s, no alerts"].append(timed(THREADS, pairs // ROUNDS, pair(quiet)))
        pair_rounds["pairs/s, 2 alerts each"].append(timed(THREADS, pairs // ROUNDS, pair(loud)))
    figures |= {name: statistics.median(values) for name, values in pair_rounds.items()}
    engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--jobs", type=int, default=4000)
    args = parser.parse_args()
    with scratch_postgres_database(args.database_url, prefix="jobs_bench") as url:
        figures = measure(url, args.jobs)
    server = make_url(args.database_url).set(password="***")
    print(f"Postgres at {server.host}:{server.port}, {THREADS} client threads, {args.jobs} jobs")
    for name, value in figures.items():
        print(f"  {name:34s} {value:10.0f}")
    enqueue_cost = figures["deduct+enqueue/s"] / figures["deduct/s (no job)"]
    print(f"  ratio deduct+enqueue / deduct       {enqueue_cost:10.2f}")
    ceiling = figures["jobs/s (2 workers x 4 threads)"] / figures["ceiling: 1-row UPDATE tx/s"]
    print(f"  ratio jobs/s / 1-row tx/s           {ceiling:10.2f}")
    alerts = figures["pairs/s, 2 alerts each"] / figures["pairs/s, no alerts"]
    print(f"  ratio pairs with alerts / without   {alerts:10.2f}")


if __name__ == "__main__":
    main()
