"""Deductions per second through `deduct_personal_credits`, against a pgbench ceiling.

With credit lots a deduction locks the wallet row, then takes units from its lots in one
data-modifying CTE; pgbench replays exactly those statements. A third column replays the
pre-lots posting statement (one CTE, no lots) on wallets of their own, so the cost of the lot
bookkeeping in the database shows side by side in one run.

Run from the project root:

    .venv/bin/python bench/ledger_bench.py \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--seconds 5]

The URL names a maintenance database on the server to test; the bench creates its own scratch
database next to it (`credits_bench_<random hex>`), migrates it with Alembic, opens and funds users
through the real services, measures, checks the ledger invariant and drops the database again,
also when something fails. See bench/README.md for what the figures mean.
"""

import argparse
import multiprocessing as mp
import os
import queue
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url, text

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:  # `python bench/ledger_bench.py` puts bench/ first, not us
    sys.path.insert(0, str(PROJECT_ROOT))

from credits_app.credits.amounts import MAX_BALANCE_UNITS  # noqa: E402  (after the sys.path fix)
from tests.support.databases import scratch_postgres_database  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEDUCTION = "0.0001"  # one unit: the smallest charge, so funding never runs out
DEDUCTION_UNITS = 1
CATEGORY = "ai_usage"
SPREAD_WALLETS = 1_000
HOT_FUNDS = "10000000"  # 1e11 units: ~10^11 deductions before the hot wallet is empty
SPREAD_FUNDS = "100000"
WARMUP_OPS = 20  # per worker: fills SQLAlchemy's compiled cache and psycopg's prepared statements
SCENARIOS = ("hot", "spread")


@dataclass(frozen=True)
class Fixture:
    """The scratch database's funded users: one hot wallet and the spread ones (contiguous ids)."""

    hot_user: int
    spread_first: int
    spread_last: int
    # Wallets only the pre-lots statement touches (it moves balances without lots).
    legacy_hot: int = 0
    legacy_first: int = 0
    legacy_last: int = 0


@dataclass(frozen=True)
class RunResult:
    """What one timed run did: committed deductions, refused ones, and the wall time it took."""

    ops: int
    failures: int
    seconds: float

    @property
    def rate(self) -> float:
        """Committed deductions per second over the whole run."""
        return self.ops / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Row:
    """One line of the final table: the service against pgbench for one scenario and load."""

    scenario: str
    clients: int
    service: RunResult
    pgbench: RunResult
    old_statement: RunResult | None = None

    @property
    def ratio(self) -> float:
        """Service throughput as a fraction of what the database alone sustains."""
        return self.service.rate / self.pgbench.rate if self.pgbench.rate else 0.0


# --------------------------------------------------------------------------------------------
# Scratch database
# --------------------------------------------------------------------------------------------


def admin_engine(url: URL) -> Engine:
    """An autocommit engine: CREATE/DROP DATABASE and VACUUM refuse to run in a transaction."""
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)


def build_schema(url: URL) -> None:
    """The project's own migrations, exactly as production gets its schema."""
    from credits_app.db import make_engine
    from credits_app.migrations import upgrade_to_head

    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        upgrade_to_head(engine, log=False)  # keep alembic's INFO lines out of the table
    finally:
        engine.dispose()


def create_fixture(url: URL) -> Fixture:
    """Users opened and funded through the real services, so wallets look like production's."""
    from credits_app.auth.accounts import create_user
    from credits_app.credits.credit_service import grant_personal_credits
    from credits_app.db import make_engine, unit_of_work, use_engine

    engine = make_engine(url.render_as_string(hide_password=False))
    use_engine(engine)
    try:
        ids = []
        with unit_of_work() as session:  # one transaction: a commit per user would take seconds
            for number in range(2 * (SPREAD_WALLETS + 1)):
                user = create_user(
                    f"bench-{number}@example.com", f"Bench user {number}", session=session
                )
                funds = HOT_FUNDS if number in (0, SPREAD_WALLETS + 1) else SPREAD_FUNDS
                grant_personal_credits(
                    user.id, funds, description="Benchmark funding", session=session
                )
                ids.append(user.id)
    finally:
        engine.dispose()
    half = SPREAD_WALLETS + 1
    hot, spread = ids[0], ids[1:half]
    legacy_hot, legacy = ids[half], ids[half + 1 :]
    for group in (spread, legacy):
        if group != list(range(group[0], group[0] + len(group))):
            raise RuntimeError("spread user ids are not contiguous; pgbench's random() needs it")
    return Fixture(hot, spread[0], spread[-1], legacy_hot, legacy[0], legacy[-1])


def settle(url: URL) -> None:
    """VACUUM and CHECKPOINT between runs, so no run pays for the dead rows of the one before."""
    engine = admin_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(
                text("VACUUM (ANALYZE) wallets, ledger_entries, credit_lots, credit_allocations")
            )
            connection.execute(text("CHECKPOINT"))
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------
# The service side: one process per client, each with its own engine
# --------------------------------------------------------------------------------------------


def pick_user(scenario: str, fixture: Fixture, rng: random.Random) -> int:
    """The wallet the next deduction hits: always the hot one, or a uniformly random one."""
    if scenario == "hot":
        return fixture.hot_user
    return rng.randint(fixture.spread_first, fixture.spread_last)


def client_process(
    index: int, url: str, fixture: Fixture, commands: "Queue[Any]", results: "Queue[Any]"
) -> None:
    """A client that runs timed deduction loops on command, so the GIL caps no other client."""
    from credits_app.credits.credit_service import deduct_personal_credits
    from credits_app.credits.errors import CreditsError
    from credits_app.db import make_engine, use_engine

    use_engine(make_engine(url))  # the app's own engine settings: pool, recycle, UTC
    rng = random.Random(index)
    for _ in range(WARMUP_OPS):
        deduct_personal_credits(pick_user("spread", fixture, rng), DEDUCTION, category=CATEGORY)
    results.put(("ready", index))
    while (command := commands.get()) is not None:
        scenario, start_at, deadline = command
        ops = failures = 0
        time.sleep(max(0.0, start_at - time.monotonic()))
        now = time.monotonic()
        while now < deadline:
            try:
                deduct_personal_credits(
                    pick_user(scenario, fixture, rng), DEDUCTION, category=CATEGORY
                )
                ops += 1
            except CreditsError:
                failures += 1
            now = time.monotonic()
        results.put((ops, failures, now))


class ClientPool:
    """Long-lived client processes: started once, so no run pays for imports or connecting."""

    def __init__(self, size: int, url: URL, fixture: Fixture) -> None:
        context = mp.get_context("spawn")  # fork would share the parent's sockets and engine
        self.results: Queue[Any] = context.Queue()
        self.commands: list[Queue[Any]] = [context.Queue() for _ in range(size)]
        self.processes: list[BaseProcess] = [
            context.Process(
                target=client_process,
                args=(
                    index,
                    url.render_as_string(hide_password=False),
                    fixture,
                    self.commands[index],
                    self.results,
                ),
                daemon=True,
            )
            for index in range(size)
        ]
        for process in self.processes:
            process.start()
        for _ in range(size):
            self._get()

    def run(self, scenario: str, clients: int, seconds: float) -> RunResult:
        """All `clients` start together and deduct until the shared deadline."""
        start_at = time.monotonic() + 0.2
        for commands in self.commands[:clients]:
            commands.put((scenario, start_at, start_at + seconds))
        reports = [self._get() for _ in range(clients)]
        ops = sum(report[0] for report in reports)
        failures = sum(report[1] for report in reports)
        finished = max(report[2] for report in reports)
        return RunResult(ops=ops, failures=failures, seconds=finished - start_at)

    def close(self) -> None:
        """Stop every client; those that do not exit promptly are terminated."""
        for commands in self.commands:
            commands.put(None)
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()

    def _get(self) -> Any:
        """The next report, or a loud failure if a client died instead of reporting."""
        while True:
            try:
                return self.results.get(timeout=1)
            except queue.Empty:  # check that nobody crashed, then keep waiting
                dead = [p for p in self.processes if p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"client process exited with {dead[0].exitcode}") from None


# --------------------------------------------------------------------------------------------
# The ceiling: pgbench replaying the service's own SQL
# --------------------------------------------------------------------------------------------


def capture_deduction_sql(url: URL, user_id: int) -> list[str]:
    """The statements one `deduct_personal_credits` call sends, as SQLAlchemy emits them."""
    from credits_app.credits.credit_service import deduct_personal_credits
    from credits_app.db import make_engine, use_engine

    engine = make_engine(url.render_as_string(hide_password=False))
    use_engine(engine)
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(*args: Any) -> None:
        statements.append(" ".join(args[2].split()))

    try:
        deduct_personal_credits(user_id, DEDUCTION, category=CATEGORY)
    finally:
        engine.dispose()
    return statements


# The posting statement before credit lots (git 89bb0f7, credits/ledger_sql.py), as psycopg
# received it: one CTE that moves the balance under its guards and appends the ledger row.
OLD_STATEMENT = (
    "WITH moved AS ( UPDATE wallets SET balance = balance + %(amount)s::BIGINT, held = held - "
    "%(release)s::BIGINT, spent_this_month = CASE WHEN spend_month = %(spend_month)s::DATE THEN "
    "spent_this_month + %(spend)s::BIGINT WHEN spend_month > %(spend_month)s::DATE THEN "
    "spent_this_month ELSE %(spend)s::BIGINT END, spend_month = CASE WHEN spend_month > "
    "%(spend_month)s::DATE THEN spend_month ELSE %(spend_month)s::DATE END WHERE owner_kind = "
    "%(owner_kind)s AND owner_id = %(owner_id)s AND held >= %(release)s::BIGINT AND balance + "
    "%(amount)s::BIGINT >= held - %(release)s::BIGINT AND balance + %(amount)s::BIGINT <= "
    "%(max_balance)s AND (%(spend)s::BIGINT = 0 OR monthly_limit IS NULL OR %(spend)s::BIGINT "
    "+ held - %(release)s::BIGINT + CASE WHEN spend_month = %(spend_month)s::DATE THEN "
    "spent_this_month ELSE 0 END <= monthly_limit) AND NOT EXISTS ( SELECT 1 FROM "
    "ledger_entries AS earlier WHERE earlier.wallet_id = wallets.id AND earlier.idempotency_key "
    "= %(idempotency_key)s::VARCHAR ) RETURNING id, balance ), appended AS ( INSERT INTO "
    "ledger_entries (wallet_id, type, category, amount, balance_after, description, metadata, "
    "idempotency_key, request_hash, created_at) SELECT moved.id, CAST(%(type)s AS VARCHAR), "
    "CAST(%(category)s AS VARCHAR), CAST(%(amount)s::BIGINT AS BIGINT), moved.balance, "
    "CAST(%(description)s AS VARCHAR), CAST(%(metadata)s::JSONB AS JSONB), "
    "CAST(%(idempotency_key)s::VARCHAR AS VARCHAR), CAST(%(request_hash)s AS VARCHAR), "
    "%(created_at)s::TIMESTAMP WITH TIME ZONE FROM moved ON CONFLICT (wallet_id, "
    "idempotency_key) DO NOTHING RETURNING id ) SELECT moved.id AS wallet_id, moved.balance AS "
    "balance_after, appended.id AS entry_id FROM moved LEFT JOIN appended ON TRUE"
)

# Every parameter of the captured statements as a pgbench variable (sent as a bind parameter
# in -M prepared), except values pgbench variables cannot express (empty text, NULL).
PGBENCH_NAMES = {
    "amount": ":delta",
    "needed": ":units",
    "owner_kind": ":owner_kind",
    "owner_id": ":uid",
    "wallet_id": ":lock_id",  # the id the lock statement returned (\\gset)
    "max_balance": ":max_balance",
    "idempotency_key": "NULL",
    "type": ":entry_type",
    "category": ":category",
    "description": "''",
    "metadata": ":metadata",
    "request_hash": "NULL",
    "created_at": ":created_at",
    "now": ":created_at",
    "spend": ":spend",
    "spend_month": ":spend_month",
    "release": ":zero",
    "pin": ":zero",
    "pinning": ":zero",
    "expiring": ":zero",
    "prefer_entry": "NULL",
    "lot_id": "NULL",
    "hold_id": "NULL",
    "id_1": ":lock_id",  # the alert rule's SELECT of the wallet's thresholds (SQLAlchemy name)
}


def pgbench_script(statements: Sequence[str]) -> str:
    """The captured statements of one deduction, with pgbench variables for their parameters.

    A deduction with lots is: the wallet's row lock (`SELECT ... FOR UPDATE`, whose id pgbench
    keeps with `\\gset`), the move (one data-modifying CTE: the lots it takes, the guarded
    balance move, the ledger row, the lot updates and allocations, see credits/ledger_sql.py)
    and the alert rule's read of the wallet's thresholds (notifications/alerts.py).
    """
    if len(statements) < 2 or "FOR UPDATE" not in statements[0]:
        raise RuntimeError(f"unexpected deduction SQL, update the bench: {statements!r}")
    lines = ["\\set uid random(:uid_first, :uid_last)", "BEGIN;"]
    lines.append(_bind(statements[0], PGBENCH_NAMES) + " \\gset lock_")
    lines += [f"{_bind(statement, PGBENCH_NAMES)};" for statement in statements[1:]]
    return "\n".join([*lines, "COMMIT;", ""])


def old_pgbench_script() -> str:
    """The pre-lots statement alone (no lock statement, no lots), for the side-by-side column."""
    posting = _bind(OLD_STATEMENT, PGBENCH_NAMES)
    return "\n".join(
        ["\\set uid random(:uid_first, :uid_last)", "BEGIN;", f"{posting};", "COMMIT;", ""]
    )


def _bind(statement: str, names: dict[str, str]) -> str:
    """Replace each `%(name)s` placeholder; refuse SQL with a placeholder we do not know."""

    def replace(match: re.Match[str]) -> str:
        return names[match.group(1)]

    bound = re.sub(r"%\((\w+)\)s", replace, statement)
    if "%(" in bound:
        raise RuntimeError(f"unbound parameter left in {bound!r}")
    return bound


def run_pgbench(
    url: URL,
    script: Path,
    scenario: str,
    fixture: Fixture,
    clients: int,
    seconds: int,
    *,
    legacy: bool = False,
) -> RunResult:
    """pgbench's committed transactions per second for the same deduction and wallet choice
    (`legacy`: on the wallets kept for the pre-lots statement)."""
    if legacy:
        hot, first_spread, last_spread = (
            fixture.legacy_hot,
            fixture.legacy_first,
            fixture.legacy_last,
        )
    else:
        hot, first_spread, last_spread = fixture.hot_user, fixture.spread_first, fixture.spread_last
    first, last = (hot, hot) if scenario == "hot" else (first_spread, last_spread)
    variables = {
        "uid_first": first,
        "uid_last": last,
        "delta": -DEDUCTION_UNITS,
        "units": DEDUCTION_UNITS,
        "zero": 0,
        "max_balance": MAX_BALANCE_UNITS,
        "owner_kind": "user",
        "entry_type": "usage",
        "category": CATEGORY,
        "metadata": "{}",
        "created_at": datetime.now(UTC).isoformat(),
        "spend": DEDUCTION_UNITS,  # a usage entry counts toward the monthly limit
        "spend_month": datetime.now(UTC).date().replace(day=1).isoformat(),
    }
    command = [
        _pgbench_binary(),
        "-n",
        "-M",
        "prepared",
        "-c",
        str(clients),
        "-j",
        str(min(clients, os.cpu_count() or 2)),
        "-T",
        str(seconds),
        "-f",
        str(script),
        *(arg for name, value in variables.items() for arg in ("-D", f"{name}={value}")),
        *_libpq_args(url),
    ]
    environment = os.environ | ({"PGPASSWORD": url.password} if url.password else {})
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    if done.returncode != 0 or "aborted" in done.stderr:
        raise RuntimeError(f"pgbench failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    return parse_pgbench(done.stdout)


def parse_pgbench(output: str) -> RunResult:
    """Committed transactions, failures and the tps pgbench reports (connection time excluded)."""
    tps = re.search(r"^tps = ([\d.]+)", output, re.MULTILINE)
    processed = re.search(r"actually processed: (\d+)", output)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    if tps is None or processed is None:
        raise RuntimeError(f"cannot read pgbench output:\n{output}")
    ops = int(processed.group(1))
    rate = float(tps.group(1))
    return RunResult(ops=ops, failures=int(failed.group(1)) if failed else 0, seconds=ops / rate)


def _pgbench_binary() -> str:
    """pgbench from PATH, else the Debian location."""
    found = shutil.which("pgbench") or "/usr/bin/pgbench"
    if not Path(found).exists():
        raise RuntimeError("pgbench not found; install postgresql-client")
    return found


def _libpq_args(url: URL) -> list[str]:
    """The SQLAlchemy URL as pgbench connection options (password goes via PGPASSWORD)."""
    args = []
    if url.host:
        args += ["-h", url.host]
    if url.port:
        args += ["-p", str(url.port)]
    if url.username:
        args += ["-U", url.username]
    assert url.database is not None
    return [*args, url.database]


# --------------------------------------------------------------------------------------------
# Invariant and report
# --------------------------------------------------------------------------------------------


def check_invariant(url: URL, expected_usage_entries: int, legacy_hot: int) -> str:
    """Every wallet's balance equals its ledger sum (and its lots) and is non-negative;
    nothing was lost."""
    engine = admin_engine(url)
    try:
        with engine.connect() as connection:
            broken = list(
                connection.execute(
                    text(
                        "SELECT w.id, w.balance, COALESCE(SUM(e.amount), 0) AS ledger_sum"
                        " FROM wallets w LEFT JOIN ledger_entries e ON e.wallet_id = w.id"
                        " GROUP BY w.id, w.balance"
                        " HAVING w.balance <> COALESCE(SUM(e.amount), 0) OR w.balance < 0"
                    )
                ).all()
            )
            # Wallets the service and the new SQL used: their lots add up to the balance too
            # (the pre-lots statement's wallets cannot: it moves balances without lots).
            broken += connection.execute(
                text(
                    "SELECT w.id, w.balance, COALESCE(SUM(l.remaining), 0) FROM wallets w"
                    " LEFT JOIN credit_lots l ON l.wallet_id = w.id"
                    " WHERE w.owner_id < :legacy_hot"
                    " GROUP BY w.id, w.balance HAVING w.balance <> COALESCE(SUM(l.remaining), 0)"
                ),
                {"legacy_hot": legacy_hot},
            ).all()
            usage_entries = connection.execute(
                text("SELECT count(*) FROM ledger_entries WHERE type = 'usage'")
            ).scalar_one()
            wallets = connection.execute(text("SELECT count(*) FROM wallets")).scalar_one()
    finally:
        engine.dispose()
    if broken:
        raise SystemExit(f"INVARIANT BROKEN for {len(broken)} wallets, e.g. {broken[:5]}")
    if usage_entries != expected_usage_entries:
        raise SystemExit(
            f"INVARIANT BROKEN: {usage_entries} usage entries in the ledger, "
            f"but {expected_usage_entries} deductions were reported as committed"
        )
    return (
        f"invariant ok: {wallets} wallets, balance == sum(ledger) (== sum(lots) where the "
        f"service ran) and >= 0; {usage_entries} usage entries == deductions committed"
    )


def format_table(rows: Sequence[Row]) -> str:
    """A Markdown table, so the output can be pasted into bench/README.md as is."""
    lines = [
        "| scenario | clients | service ops/s | pgbench ops/s (same SQL) | ratio "
        "| pgbench ops/s, pre-lots statement | new/old SQL |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        old = row.old_statement.rate if row.old_statement else 0.0
        lines.append(
            f"| {row.scenario} | {row.clients} | {row.service.rate:,.0f} "
            f"| {row.pgbench.rate:,.0f} | {row.ratio:.2f} | {old:,.0f} "
            f"| {row.pgbench.rate / old if old else 0:.2f} |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options; the defaults keep the whole bench under about two minutes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=DEFAULT_URL,
        help="server to test, as a URL to a maintenance database (default: %(default)s)",
    )
    parser.add_argument(
        "--seconds", type=int, default=5, help="duration of each timed run (default: 5)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="timed runs per cell; the table shows the median (default: 1)",
    )
    parser.add_argument(
        "--clients",
        type=lambda value: [int(part) for part in value.split(",")],
        default=[1, 8, 16],
        help="comma-separated client counts (default: 1,8,16)",
    )
    return parser.parse_args(argv)


def median_run(runs: Sequence[RunResult]) -> RunResult:
    """The run with the median rate: one noisy run on a shared machine should not set a figure."""
    ranked = sorted(runs, key=lambda run: run.rate)
    return ranked[(len(ranked) - 1) // 2]


def benchmark(base: URL, seconds: int, client_counts: Sequence[int], repeat: int) -> list[Row]:
    """Set up the scratch database, run every scenario both ways, check the ledger, tear down."""
    with scratch_postgres_database(
        base.render_as_string(hide_password=False), prefix="credits_bench"
    ) as scratch_url:
        return _benchmark_on(make_url(scratch_url), seconds, client_counts, repeat)


def _benchmark_on(
    scratch: URL, seconds: int, client_counts: Sequence[int], repeat: int
) -> list[Row]:
    """Migrate and fund the scratch database, then measure; the caller drops it."""
    pool: ClientPool | None = None
    try:
        began = time.monotonic()
        build_schema(scratch)
        fixture = create_fixture(scratch)
        pgbench_sql = pgbench_script(capture_deduction_sql(scratch, fixture.hot_user))
        print(
            f"setup: migrated and funded {2 * (SPREAD_WALLETS + 1)} wallets in {scratch.database}",
            flush=True,
        )
        print("pgbench script (the service's captured SQL):", pgbench_sql, sep="\n", flush=True)
        pool = ClientPool(max(client_counts), scratch, fixture)
        print(f"setup done in {time.monotonic() - began:.1f} s", flush=True)
        committed = 1 + WARMUP_OPS * max(client_counts)  # the capture call and the warm-ups
        rows = []
        with tempfile.TemporaryDirectory() as folder:
            script = Path(folder) / "deduct.sql"
            script.write_text(pgbench_sql)
            old_script = Path(folder) / "deduct_old.sql"
            old_script.write_text(old_pgbench_script())
            for scenario in SCENARIOS:
                for clients in client_counts:
                    services, ceilings, olds = [], [], []
                    for _ in range(repeat):  # interleaved, so drift hits all sides alike
                        settle(scratch)
                        services.append(pool.run(scenario, clients, seconds))
                        settle(scratch)
                        ceilings.append(
                            run_pgbench(scratch, script, scenario, fixture, clients, seconds)
                        )
                        settle(scratch)
                        olds.append(
                            run_pgbench(
                                scratch,
                                old_script,
                                scenario,
                                fixture,
                                clients,
                                seconds,
                                legacy=True,
                            )
                        )
                    committed += sum(run.ops for run in [*services, *ceilings, *olds])
                    service, ceiling = median_run(services), median_run(ceilings)
                    old = median_run(olds)
                    row = Row(scenario, clients, service, ceiling, old)
                    rows.append(row)
                    print(
                        f"{scenario:>6} x{clients:<2}  service {service.rate:8,.0f}/s"
                        f"  pgbench {ceiling.rate:8,.0f}/s  ratio {row.ratio:.2f}"
                        f"  pre-lots SQL {old.rate:8,.0f}/s"
                        f"  (failures {service.failures}/{ceiling.failures}/{old.failures})",
                        flush=True,
                    )
        pool.close()
        pool = None
        print(check_invariant(scratch, committed, fixture.legacy_hot), flush=True)
        return rows
    finally:
        if pool is not None:
            pool.close()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: print the progress lines, then the figure table."""
    args = parse_args(argv)
    began = time.monotonic()
    rows = benchmark(make_url(args.database_url), args.seconds, args.clients, args.repeat)
    print()
    print(format_table(rows))
    print(
        f"\n{os.cpu_count()} CPUs, {args.seconds} s per run, total {time.monotonic() - began:.0f} s"
    )


if __name__ == "__main__":
    main()
