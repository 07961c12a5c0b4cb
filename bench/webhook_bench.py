"""Stripe webhook fulfillment throughput on Postgres, every event delivered several times at once.

Run from the project root:

    .venv/bin/python bench/webhook_bench.py \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] \
        [--events 300] [--copies 5] [--workers 1,4,8] [--order together[,shuffled]] \
        [--repeat 1]

For each run it opens `--events` purchases through `billing.checkout.start_checkout` (the local
Stripe simulator: no STRIPE_SECRET_KEY), marks their simulated sessions paid, signs one
`checkout.session.completed` event per session, and has W worker processes deliver every event
`--copies` times to `billing.webhooks.handle_stripe_webhook` (the code the HTTP route runs),
copies of the same event landing on different workers at about the same moment. The baseline
is the same number of bare keyed `grant_personal_credits` calls, the ledger write inside every
fulfillment, from the same workers. At the end it checks that no purchase was credited twice
and that every wallet's balance equals its ledger sum. See bench/README.md.
"""

import argparse
import multiprocessing as mp
import os
import queue
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, event, make_url, text

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:  # `python bench/webhook_bench.py` puts bench/ first, not us
    sys.path.insert(0, str(PROJECT_ROOT))

# The local simulator, never real Stripe: drop any key and opt into the simulator before the
# settings are first read (the spawned workers inherit this environment). A key in .env is
# caught by `require_simulator`.
for _name in ("STRIPE_SECRET_KEY", "STRIPE_API_BASE"):
    os.environ.pop(_name, None)
os.environ["STRIPE_SIMULATOR"] = "true"

from bench.ledger_bench import admin_engine, build_schema  # noqa: E402  (after the sys.path fix)
from tests.support.databases import scratch_postgres_database  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RETURN_PATH = "/credits"
SINGLE_SAMPLES = 100  # events timed one by one in the main process, before the pool starts
WARMUP_GRANTS = 20  # per worker: SQLAlchemy's compiled cache, psycopg's prepared statements
OUTCOMES = ("fulfilled", "already_fulfilled", "duplicate")
SIGNATURE_TOLERANCE = 300  # seconds; webhooks.TOLERANCE_SECONDS: a run must deliver within it

# A delivery is ("webhook", payload, signature header); a baseline call is
# ("grant", user id, credits, idempotency key, metadata).
WorkItem = tuple[Any, ...]


@dataclass(frozen=True)
class RunResult:
    """One timed run of one kind (webhook deliveries or baseline grants) on W workers."""

    calls: int
    seconds: float
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        """Calls handled per second, from the common start to the last worker's finish."""
        return self.calls / self.seconds if self.seconds > 0 else 0.0

    @property
    def fulfilled_rate(self) -> float:
        """Distinct events that credited a purchase, per second."""
        return self.outcomes["fulfilled"] / self.seconds if self.seconds > 0 else 0.0

    @property
    def errors(self) -> int:
        """Calls that ended in anything but an expected outcome (should be 0)."""
        expected = (*OUTCOMES, "granted")
        return sum(n for outcome, n in self.outcomes.items() if outcome not in expected)


@dataclass(frozen=True)
class Row:
    """One line of the final table: webhook deliveries against the bare ledger write at W."""

    workers: int
    order: str
    webhooks: RunResult
    grants: RunResult

    @property
    def ratio(self) -> float:
        """Deliveries/s over grants/s: what one delivery costs, in bare ledger writes."""
        return self.webhooks.rate / self.grants.rate if self.grants.rate else 0.0


@dataclass(frozen=True)
class Batch:
    """One run's purchases: their signed events and what the baseline grants mirror."""

    events: list[tuple[bytes, str]]  # (payload, Stripe-Signature header), one per purchase
    owners: list[int]  # the buying user of each event
    credits: list[Decimal]  # the credits each purchase adds
    purchase_ids: list[int]


# --------------------------------------------------------------------------------------------
# Setup, in the main process
# --------------------------------------------------------------------------------------------


def require_simulator() -> None:
    """Refuse to run against a real Stripe account (a key in .env)."""
    from credits_app.billing.stripe_gateway import simulator_enabled

    if not simulator_enabled():
        raise SystemExit("STRIPE_SECRET_KEY is set (.env?): this bench runs on the simulator only")


@contextmanager
def app_engine(url: URL) -> Iterator[Engine]:
    """The app's own engine on the scratch database, for the services called in this process."""
    from credits_app.db import make_engine, use_engine

    engine = make_engine(url.render_as_string(hide_password=False))
    use_engine(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def create_users(count: int) -> list[int]:
    """Buyers opened through the real service, in one transaction; their wallets start at 0."""
    from credits_app.auth.accounts import create_user
    from credits_app.db import unit_of_work

    with unit_of_work() as session:
        return [
            create_user(f"buyer-{n}@example.com", f"Buyer {n}", session=session).id
            for n in range(count)
        ]


def prepare_batch(users: Sequence[int], package_ids: Sequence[str]) -> Batch:
    """A paid purchase per user, opened and completed exactly as the shop does, then signed."""
    from credits_app.billing.checkout import start_checkout
    from credits_app.billing.packages import get_active_package
    from credits_app.billing.stripe_gateway import webhook_secret
    from credits_app.billing.stripe_simulator import complete_session, signed_event
    from credits_app.credits.owners import WalletOwner

    credits = {p: get_active_package(p).total_credits for p in package_ids}
    sessions, owners, amounts, purchase_ids = [], [], [], []
    for number, user_id in enumerate(users):
        package_id = package_ids[number % len(package_ids)]
        started = start_checkout(
            user_id, WalletOwner.user(user_id), package_id, return_path=RETURN_PATH
        )
        sessions.append(complete_session(started.session_id))
        owners.append(user_id)
        amounts.append(credits[package_id])
        purchase_ids.append(started.purchase_id)
    # Signed last, just before delivery: signatures older than 300 s are refused as stale.
    secret = webhook_secret()
    events = [signed_event("checkout.session.completed", s, secret) for s in sessions]
    return Batch(events, owners, amounts, purchase_ids)


def settle(url: URL) -> None:
    """VACUUM and CHECKPOINT between runs, so no run pays for the dead rows of the one before."""
    engine = admin_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(
                text("VACUUM (ANALYZE) wallets, ledger_entries, purchases, stripe_events")
            )
            connection.execute(text("CHECKPOINT"))
    finally:
        engine.dispose()


def single_call_costs(
    engine: Engine, users: Sequence[int], package_ids: Sequence[str]
) -> tuple[list[str], int]:
    """Statements, commits and latency per call, one process, no concurrency: the first
    delivery of each of len(users) events, then a redelivery of each, then as many bare keyed
    grants. Returns the report lines and the number of purchases it fulfilled."""
    from credits_app.billing.webhooks import handle_stripe_webhook
    from credits_app.credits.credit_service import grant_personal_credits

    batch = prepare_batch(users, package_ids)
    counts = Counter[str]()

    def statement(*_: Any) -> None:
        counts["statements"] += 1

    def commit(*_: Any) -> None:
        counts["commits"] += 1

    def grant(number: int) -> str:
        grant_personal_credits(
            batch.owners[number],
            batch.credits[number],
            description="Benchmark baseline grant",
            idempotency_key=f"bench-single-grant:{number}",
        )
        return "granted"

    phases = (
        ("first delivery", lambda number: handle_stripe_webhook(*batch.events[number])),
        ("redelivery", lambda number: handle_stripe_webhook(*batch.events[number])),
        ("keyed grant (baseline)", grant),
    )
    lines = []
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        for label, call in phases:
            counts.clear()
            began = time.perf_counter()
            outcomes = Counter(call(number) for number in range(len(users)))
            per_call_ms = (time.perf_counter() - began) * 1000 / len(users)
            lines.append(
                f"{label:<23} {counts['statements'] / len(users):4.1f} statements, "
                f"{counts['commits'] / len(users):3.1f} commits, {per_call_ms:5.2f} ms per call "
                f"({', '.join(f'{k} {v}' for k, v in sorted(outcomes.items()))})"
            )
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
    return lines, len(users)


# --------------------------------------------------------------------------------------------
# Workers: one process each, with their own engine
# --------------------------------------------------------------------------------------------


def worker_process(index: int, url: str, commands: "Queue[Any]", results: "Queue[Any]") -> None:
    """Load a list of work items, then run it from a common start time and report."""
    from credits_app.billing.webhooks import handle_stripe_webhook
    from credits_app.credits.credit_service import grant_personal_credits
    from credits_app.db import make_engine, use_engine

    use_engine(make_engine(url))  # the app's own engine settings: pool, recycle, UTC
    work: list[WorkItem] = []
    while (command := commands.get()) is not None:
        kind, argument = command
        if kind == "load":
            work = argument
            results.put(("loaded", index))
            continue
        time.sleep(max(0.0, argument - time.monotonic()))  # "go" at the common start time
        outcomes: Counter[str] = Counter()
        for item in work:
            try:
                if item[0] == "webhook":
                    outcomes[handle_stripe_webhook(item[1], item[2])] += 1
                else:
                    _, user_id, amount, key, metadata = item
                    grant_personal_credits(
                        user_id,
                        amount,
                        description="Benchmark baseline grant",
                        metadata=metadata,
                        idempotency_key=key,
                    )
                    outcomes["granted"] += 1
            except Exception as error:  # counted and reported, never silently dropped
                outcomes[f"error: {type(error).__name__}: {str(error)[:120]}"] += 1
        results.put(("done", index, len(work), outcomes, time.monotonic()))


class WorkerPool:
    """Long-lived worker processes: started once, so no run pays for imports or connecting."""

    def __init__(self, size: int, url: URL) -> None:
        context = mp.get_context("spawn")  # fork would share the parent's sockets and engine
        self.results: Queue[Any] = context.Queue()
        self.commands: list[Queue[Any]] = [context.Queue() for _ in range(size)]
        self.processes: list[BaseProcess] = [
            context.Process(
                target=worker_process,
                args=(n, url.render_as_string(hide_password=False), self.commands[n], self.results),
                daemon=True,
            )
            for n in range(size)
        ]
        for process in self.processes:
            process.start()

    def run(self, shares: Sequence[list[WorkItem]]) -> RunResult:
        """Hand each worker its share, then start them all at once; wall time to the last one."""
        for commands, share in zip(self.commands, shares, strict=False):
            commands.put(("load", share))
        for _ in shares:
            self._get()
        start_at = time.monotonic() + 0.2
        for commands in self.commands[: len(shares)]:
            commands.put(("go", start_at))
        reports = [self._get() for _ in shares]
        outcomes: Counter[str] = Counter()
        for report in reports:
            outcomes.update(report[3])
        finished = max(report[4] for report in reports)
        return RunResult(sum(r[2] for r in reports), finished - start_at, outcomes)

    def close(self) -> None:
        """Stop every worker; those that do not exit promptly are terminated."""
        for commands in self.commands:
            commands.put(None)
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()

    def _get(self) -> Any:
        """The next report, or a loud failure if a worker died instead of reporting."""
        while True:
            try:
                return self.results.get(timeout=1)
            except queue.Empty:
                dead = [p for p in self.processes if p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"worker process exited with {dead[0].exitcode}") from None


def delivery_order(events: int, copies: int, order: str, seed: int) -> list[tuple[int, int]]:
    """(event, copy) pairs in delivery order; position k goes to worker k % W.

    together: event by event, so the copies of one event reach different workers at about the
    same moment (the race the exactly-once rules are for). shuffled: a random order, so copies
    are usually far apart, as Stripe's retries are (the same work without the contention).
    """
    pairs = [(number, copy) for number in range(events) for copy in range(copies)]
    if order == "shuffled":
        random.Random(seed).shuffle(pairs)
    return pairs


def split(items: Sequence[WorkItem], workers: int) -> list[list[WorkItem]]:
    """Item k to worker k % W, each worker keeping the order."""
    return [list(items[worker::workers]) for worker in range(workers)]


def delivery_shares(
    batch: Batch, copies: int, workers: int, order: str = "together", seed: int = 0
) -> list[list[WorkItem]]:
    """Every event `copies` times, as (payload, signature) deliveries, split over the workers."""
    pairs = delivery_order(len(batch.events), copies, order, seed)
    return split([("webhook", *batch.events[number]) for number, _ in pairs], workers)


def grant_shares(
    batch: Batch, copies: int, workers: int, run: str, order: str = "together", seed: int = 0
) -> list[list[WorkItem]]:
    """As many bare keyed grants as deliveries, to the same wallets, in the same order."""
    pairs = delivery_order(len(batch.events), copies, order, seed)
    items = [
        (
            "grant",
            batch.owners[number],
            batch.credits[number],
            f"bench-grant:{run}:{number}:{copy}",
            {"benchRun": run, "event": number, "copy": copy},
        )
        for number, copy in pairs
    ]
    return split(items, workers)


# --------------------------------------------------------------------------------------------
# Checks and report
# --------------------------------------------------------------------------------------------


def check_ledger(url: URL, purchases: int, grants: int) -> list[str]:
    """Exactly-once crediting and the wallet invariant; raises SystemExit when anything is off.

    Every purchase the bench opened was paid and delivered, so each must have exactly one
    `purchase` ledger entry (found by the purchase id in its metadata), of its credits, and be
    the entry the purchase row points to.
    """
    engine = admin_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT p.id, p.status, p.credits, p.ledger_entry_id,"
                    " count(e.id) AS entries, coalesce(sum(e.amount), 0) AS credited,"
                    " min(e.id) AS entry_id"
                    " FROM purchases p LEFT JOIN ledger_entries e"
                    "   ON e.type = 'purchase' AND e.metadata->>'purchaseId' = p.id::text"
                    " GROUP BY p.id"
                )
            ).all()
            orphans = connection.execute(
                text(
                    "SELECT count(*) FROM ledger_entries e WHERE e.type = 'purchase' AND NOT"
                    " EXISTS (SELECT 1 FROM purchases p"
                    "   WHERE p.id::text = e.metadata->>'purchaseId')"
                )
            ).scalar_one()
            broken_wallets = connection.execute(
                text(
                    "SELECT w.id, w.balance, COALESCE(SUM(e.amount), 0)"
                    " FROM wallets w LEFT JOIN ledger_entries e ON e.wallet_id = w.id"
                    " GROUP BY w.id, w.balance"
                    " HAVING w.balance <> COALESCE(SUM(e.amount), 0) OR w.balance < 0"
                )
            ).all()
            wallets = connection.execute(text("SELECT count(*) FROM wallets")).scalar_one()
            grant_entries = connection.execute(
                text("SELECT count(*) FROM ledger_entries WHERE type = 'grant'")
            ).scalar_one()
    finally:
        engine.dispose()
    double = [row.id for row in rows if row.entries > 1]
    missing = [row.id for row in rows if row.entries == 0]
    unfulfilled = [row.id for row in rows if row.status != "fulfilled"]
    wrong = [
        row.id
        for row in rows
        if row.entries == 1 and (row.credited != row.credits or row.entry_id != row.ledger_entry_id)
    ]
    lines = [
        f"double credits: {len(double)} purchases with more than one purchase ledger entry"
        f" (of {len(rows)} purchases)",
        f"missing credits: {len(missing)} of {len(rows)} purchases (expected {purchases})"
        " uncredited,"
        f" {len(unfulfilled)} not marked fulfilled; {len(wrong)} credited a wrong amount or"
        f" entry; {orphans} purchase entries without a purchase",
        f"wallets: {wallets}, {len(broken_wallets)} with balance != sum(ledger) or < 0",
        f"baseline grant entries: {grant_entries} (expected {grants})",
    ]
    failed = double or missing or unfulfilled or wrong or orphans or broken_wallets
    if failed or len(rows) != purchases or grant_entries != grants:
        raise SystemExit("LEDGER CHECK FAILED\n" + "\n".join(lines))
    return ["ledger ok: " + lines[0], *lines[1:]]


def median_run(runs: Sequence[Row]) -> Row:
    """The run with the median ratio: one noisy run should not set a figure. The ratio, because
    both of its sides come from the same minute of a machine whose load drifts."""
    ranked = sorted(runs, key=lambda row: row.ratio)
    return ranked[(len(ranked) - 1) // 2]


def format_table(rows: Sequence[Row]) -> str:
    """A Markdown table, so the output can be pasted into bench/README.md as is."""
    lines = [
        "| workers | order | deliveries/s | events fulfilled/s | grants/s (baseline) "
        "| deliveries/grants | fulfilled | already_fulfilled | duplicate | errors |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        outcomes = row.webhooks.outcomes
        lines.append(
            f"| {row.workers} | {row.order} | {row.webhooks.rate:,.0f} "
            f"| {row.webhooks.fulfilled_rate:,.0f} "
            f"| {row.grants.rate:,.0f} | {row.ratio:.2f} | "
            + " | ".join(f"{outcomes[name]:,}" for name in OUTCOMES)
            + f" | {row.webhooks.errors + row.grants.errors} |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options; the defaults take about a minute on two cores."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=DEFAULT_URL,
        help="server to test, as a URL to a maintenance database (default: %(default)s)",
    )
    parser.add_argument(
        "--events", type=int, default=300, help="purchases (events) per run (default: 300)"
    )
    parser.add_argument(
        "--copies", type=int, default=5, help="deliveries of each event (default: 5)"
    )
    parser.add_argument(
        "--workers",
        type=lambda value: [int(part) for part in value.split(",")],
        default=[1, 4, 8],
        help="comma-separated worker process counts (default: 1,4,8)",
    )
    parser.add_argument(
        "--order",
        type=lambda value: value.split(","),
        default=["together"],
        help="comma-separated delivery orders: together (the copies of an event arrive at "
        "once) and/or shuffled (random order, copies far apart) (default: together)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="timed runs per worker count; the table shows the median (default: 1)",
    )
    args = parser.parse_args(argv)
    if args.events < 1 or args.copies < 1 or args.repeat < 1 or min(args.workers) < 1:
        parser.error("--events, --copies, --repeat and every worker count must be >= 1")
    if not set(args.order) <= {"together", "shuffled"}:
        parser.error("--order takes together, shuffled or both, comma-separated")
    return args


def benchmark(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    """Scratch database, fixtures, the interleaved runs, the ledger check; drops the database."""
    require_simulator()
    base = make_url(args.database_url)
    with scratch_postgres_database(
        base.render_as_string(hide_password=False), prefix="credits_bench"
    ) as scratch_url:
        return _benchmark_on(make_url(scratch_url), args)


def measure(
    pool: WorkerPool,
    scratch: URL,
    batch: Batch,
    args: argparse.Namespace,
    workers: int,
    order: str,
    repeat: int,
) -> Row:
    """One cell: the batch's deliveries, then as many baseline grants, on `workers` workers."""
    signed_at = time.monotonic()
    settle(scratch)
    webhooks = pool.run(delivery_shares(batch, args.copies, workers, order, seed=repeat))
    if time.monotonic() - signed_at > SIGNATURE_TOLERANCE:
        print("  warning: the run outlived the signature tolerance", flush=True)
    settle(scratch)
    run_name = f"w{workers}-{order}-{repeat}"
    baseline = pool.run(grant_shares(batch, args.copies, workers, run_name, order, seed=repeat))
    row = Row(workers, order, webhooks, baseline)
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(webhooks.outcomes.items()))
    print(
        f"W={workers:<2} {order:<8} run {repeat + 1}: {webhooks.calls} deliveries in "
        f"{webhooks.seconds:.2f} s = {webhooks.rate:,.0f}/s "
        f"({webhooks.fulfilled_rate:,.0f} events fulfilled/s); "
        f"{baseline.calls} grants in {baseline.seconds:.2f} s = "
        f"{baseline.rate:,.0f}/s; ratio {row.ratio:.2f}; [{outcomes}]"
        + (f"; grant errors {baseline.errors}" if baseline.errors else ""),
        flush=True,
    )
    if webhooks.outcomes["fulfilled"] != len(batch.events) or webhooks.errors:
        print(
            f"  UNEXPECTED: {webhooks.outcomes['fulfilled']} fulfilled of "
            f"{len(batch.events)} events, {webhooks.errors} errors",
            flush=True,
        )
    return row


def _benchmark_on(scratch: URL, args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    from credits_app.billing.packages import list_active_packages

    pool: WorkerPool | None = None
    began = time.monotonic()
    try:
        build_schema(scratch)
        with app_engine(scratch) as engine:
            users = create_users(args.events)
            package_ids = [package.id for package in list_active_packages()]
            print(
                f"setup: {scratch.database}, {len(users)} buyers, "
                f"packages {', '.join(package_ids)}",
                flush=True,
            )
            single, single_purchases = single_call_costs(
                engine, users[:SINGLE_SAMPLES], package_ids
            )
            print("one process, sequential, per call:", *single, sep="\n  ", flush=True)
            warmup = prepare_batch(users[: max(args.workers)], package_ids)
        pool = WorkerPool(max(args.workers), scratch)
        # Warm-up, untimed: every worker delivers one event twice and makes a few grants.
        pool.run(delivery_shares(warmup, 2, max(args.workers)))
        pool.run(grant_shares(warmup, WARMUP_GRANTS, max(args.workers), "warmup"))
        grants = single_purchases + WARMUP_GRANTS * max(args.workers)
        purchases = single_purchases + len(warmup.purchase_ids)
        print(f"setup done in {time.monotonic() - began:.1f} s", flush=True)

        rows = []
        for workers in args.workers:
            runs: dict[str, list[Row]] = {order: [] for order in args.order}
            for repeat in range(args.repeat):
                for order in args.order:  # interleaved, so drift in the machine hits all alike
                    with app_engine(scratch):
                        batch = prepare_batch(users, package_ids)
                    purchases += len(batch.purchase_ids)
                    row = measure(pool, scratch, batch, args, workers, order, repeat)
                    grants += row.grants.outcomes["granted"]
                    runs[order].append(row)
            rows += [median_run(runs[order]) for order in args.order]
        pool.close()
        pool = None
        return rows, check_ledger(scratch, purchases, grants)
    finally:
        if pool is not None:
            pool.close()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: progress lines, the ledger check, then the figure table."""
    args = parse_args(argv)
    began = time.monotonic()
    rows, checks = benchmark(args)
    print(*checks, sep="\n")
    print()
    print(format_table(rows))
    print(
        f"\n{args.events} events x {args.copies} deliveries per run, "
        f"{args.repeat} run(s) per row (median shown), {os.cpu_count()} CPUs, "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, "
        f"total {time.monotonic() - began:.0f} s"
    )


if __name__ == "__main__":
    main()
