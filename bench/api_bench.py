"""The REST API over real HTTP against its ceilings, in one run (issue 16).

Run from the project root (`make bench-api`, which also installs Debian's `wrk`):

    .venv/bin/python bench/api_bench.py \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] \
        [--seconds 3] [--connections 1,16,64] [--only ping,credits,...]

It creates a scratch Postgres database next to the URL's, migrates it, opens and funds users
through the real services, starts the app as `make run` does (`--topology embedded`: HAProxy
on the port, the page process, the API process with one worker per core; deploy/embedded.py)
or as one cluster instance (`--topology single`: `python -m credits_app serve`) and drives it
with `wrk` (C, keep-alive, one Lua script per request kind) at each connection count:

- `GET /ping` (Reflex's own route: the server's floor, no database), measured again right
  before every row so each ratio compares figures taken seconds apart;
- `GET /api/health/live` (the API's own floor: routing, middleware, no database; in the
  embedded topology /ping is answered by the page process and /api/* by the API process);
- `GET /api/credits` and `GET /api/credits/history?limit=20` with a bearer token;
- `POST /api/internal/credits/deduct` (service key, a fresh Idempotency-Key per request) on one
  hot wallet and spread over 200 wallets;
- `POST /api/2bot-ai/chat` with the demo model (a credit hold, the answer, the settlement);
- `POST /api/stripe/webhook`: signed `checkout.session.completed` events of paid purchases, every
  event delivered 5 times back to back (so the copies race on different connections).

The ceilings of the same run: pgbench (`-M prepared`) replaying the SQL one request issues,
captured from the service functions as SQLAlchemy sends it (as bench/ledger_bench.py does),
and the same service functions called in-process from client processes (no HTTP), each run
right before its HTTP row. For every
row it prints req/s, p50 and p99 (wrk's latency histogram), the ratios, and the app's CPU per
request (utime + stime of the server's whole process group over the run, from /proc). At the
end it checks the ledger: no purchase credited twice, every balance equal to its entries.
"""

import argparse
import json
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
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

from sqlalchemy import URL, event, make_url, text

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:  # `python bench/api_bench.py` puts bench/ first, not us
    sys.path.insert(0, str(PROJECT_ROOT))

SERVICE_KEY = "bench-service-key-" + uuid.uuid4().hex
WEBHOOK_SECRET = "whsec_bench_" + uuid.uuid4().hex
# The local simulator, never real Stripe; the spawned clients and the server inherit this.
for _name in ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "AI_BASE_URL", "AI_API_KEY", "REDIS_URL"):
    os.environ.pop(_name, None)
os.environ |= {
    "STRIPE_SIMULATOR": "true",
    "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "SERVICE_API_KEY": SERVICE_KEY,
    "AI_MAX_CONCURRENT_PER_USER": "1000",  # the bench measures throughput, not the per-user cap
}

from bench.ledger_bench import (  # noqa: E402  (after the sys.path fix)
    _libpq_args,
    _pgbench_binary,
    admin_engine,
    build_schema,
    parse_pgbench,
)
from tests.support.app_server import running_app  # noqa: E402
from tests.support.databases import scratch_postgres_database  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_PORT = 4316  # helper "speed"; override with --port
SPREAD_WALLETS = 200
HISTORY_ENTRIES = 100  # the reader's wallet has a page of history and more
FUNDS = "10000000"
DEDUCTION = "0.0001"
CATEGORY = "ai_usage"
COPIES = 5  # deliveries of every webhook event
# Purchases prepared for one webhook run, per second of it. wrk runs for its whole -d even when
# the script's threads stop early, so a run that runs out of events reports the prepared count
# over the full duration, not the rate: there must be more events than the server can take.
# (Up to this fix, 200 per run capped the row at 333 deliveries/s, 67 events/s, at 3 s.)
EVENTS_PER_RUN_SECOND = 600
IN_PROCESS_CLIENTS = (1, 16)  # client processes for the in-process ceiling
KINDS = ("ping", "live", "credits", "history", "deduct-hot", "deduct-spread", "chat", "webhook")
CEILINGS = ("credits", "history", "deduct-hot", "deduct-spread")  # with pgbench + in-process


@dataclass(frozen=True)
class Fixture:
    """Who the requests act as: ids and tokens of users opened through the real services."""

    reader_id: int
    reader_token: str
    chatter_token: str
    hot_user: int
    spread_first: int
    spread_last: int
    wallet_offset: int  # wallet id = user id + offset for the hot and spread users


@dataclass(frozen=True)
class Measure:
    """One load run: requests, how long it took, latency percentiles (ms), app CPU (s)."""

    requests: int
    seconds: float
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    cpu_seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Requests (or transactions) per second."""
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        """The app's CPU time per request, all its processes together."""
        return 1000 * self.cpu_seconds / self.requests if self.requests else 0.0


@dataclass
class Row:
    """One line of the table: a request kind at one connection count, with its ceilings."""

    kind: str
    connections: int
    http: Measure
    ping: Measure | None = None
    pgbench: Measure | None = None
    in_process: Measure | None = None
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Fixture
# --------------------------------------------------------------------------------------------


def create_fixture(url: str) -> Fixture:
    """Users, wallets and tokens through the real services (one transaction for the bulk)."""
    from credits_app.auth.accounts import create_user
    from credits_app.auth.sessions import start_session
    from credits_app.credits.credit_service import deduct_personal_credits, grant_personal_credits
    from credits_app.credits.wallet_service import WalletOwner, require_wallet
    from credits_app.db import make_engine, unit_of_work, use_engine

    use_engine(make_engine(url))
    with unit_of_work() as session:
        users = [
            create_user(f"bench-{n}@example.com", f"Bench {n}", session=session).id
            for n in range(SPREAD_WALLETS + 3)
        ]
        for user_id in users:
            grant_personal_credits(user_id, FUNDS, description="Bench funding", session=session)
        offsets = {require_wallet(session, WalletOwner.user(u)).id - u for u in users[2:]}
    if len(offsets) != 1:
        raise RuntimeError("wallet ids do not follow user ids; pgbench's random() needs it")
    reader, chatter, hot, spread = users[0], users[1], users[2], users[3:]
    if spread != list(range(spread[0], spread[0] + len(spread))):
        raise RuntimeError("spread user ids are not contiguous")
    for number in range(HISTORY_ENTRIES):
        deduct_personal_credits(reader, DEDUCTION, category=CATEGORY, description=f"#{number}")
    return Fixture(
        reader_id=reader,
        reader_token=start_session(reader).token,
        chatter_token=start_session(chatter).token,
        hot_user=hot,
        spread_first=spread[0],
        spread_last=spread[-1],
        wallet_offset=offsets.pop(),
    )


def prepare_webhook_events(count: int) -> list[tuple[bytes, str]]:
    """Paid purchases opened as the shop opens them, one signed event each (signed last)."""
    from credits_app.auth.accounts import create_user
    from credits_app.billing.checkout import start_checkout
    from credits_app.billing.packages import list_active_packages
    from credits_app.billing.stripe_simulator import complete_session, signed_event
    from credits_app.credits.wallet_service import WalletOwner
    from credits_app.db import unit_of_work

    package = list_active_packages()[0].id
    tag = uuid.uuid4().hex[:8]
    with unit_of_work() as session:
        buyers = [
            create_user(f"buyer-{tag}-{n}@example.com", f"Buyer {n}", session=session).id
            for n in range(count)
        ]
    sessions = []
    for buyer in buyers:
        started = start_checkout(buyer, WalletOwner.user(buyer), package, return_path="/credits")
        sessions.append(complete_session(started.session_id))
    return [signed_event("checkout.session.completed", s, WEBHOOK_SECRET) for s in sessions]


# --------------------------------------------------------------------------------------------
# The service functions each request runs (the in-process ceiling, and the SQL pgbench replays)
# --------------------------------------------------------------------------------------------


def service_call(kind: str, fixture: Fixture, rng: random.Random) -> Callable[[], Any]:
    """What the route of `kind` calls, without HTTP: token check + read, or the deduction."""
    from credits_app.auth.sessions import user_for_token
    from credits_app.credits.credit_service import get_history
    from credits_app.credits.owners import WalletOwner
    from credits_app.credits.service_deductions import deduct_for_service
    from credits_app.credits.wallet_settings import get_balance_overview

    prefix = uuid.uuid4().hex[:12]
    counter = iter(range(10**12))

    def credits() -> Any:
        user = user_for_token(fixture.reader_token)
        return get_balance_overview(WalletOwner.user(user.id))

    def history() -> Any:
        user = user_for_token(fixture.reader_token)
        return get_history(WalletOwner.user(user.id), limit=20)

    def deduct(user_id: Callable[[], int]) -> Callable[[], Any]:
        def call() -> Any:
            return deduct_for_service(
                WalletOwner.user(user_id()),
                DEDUCTION,
                category=CATEGORY,
                idempotency_key=f"{prefix}-{next(counter)}",
            )

        return call

    calls = {
        "credits": credits,
        "history": history,
        "deduct-hot": deduct(lambda: fixture.hot_user),
        "deduct-spread": deduct(lambda: rng.randint(fixture.spread_first, fixture.spread_last)),
    }
    return calls[kind]


def client_process(
    index: int, url: str, fixture: Fixture, commands: "Queue[Any]", results: "Queue[Any]"
) -> None:
    """Runs one kind's service call in a loop until the deadline, on command."""
    from credits_app.db import make_engine, use_engine

    use_engine(make_engine(url))
    rng = random.Random(index)
    for kind in CEILINGS:  # warm-up: compiled caches, prepared statements
        call = service_call(kind, fixture, rng)
        for _ in range(10):
            call()
    results.put(("ready", index))
    while (command := commands.get()) is not None:
        kind, start_at, deadline = command
        call = service_call(kind, fixture, rng)
        ops = 0
        time.sleep(max(0.0, start_at - time.monotonic()))
        now = time.monotonic()
        while now < deadline:
            call()
            ops += 1
            now = time.monotonic()
        results.put((ops, now))


class ClientPool:
    """Long-lived client processes (spawned once), so no run pays for imports or connecting."""

    def __init__(self, size: int, url: str, fixture: Fixture) -> None:
        context = mp.get_context("spawn")
        self.results: Queue[Any] = context.Queue()
        self.commands: list[Queue[Any]] = [context.Queue() for _ in range(size)]
        self.processes: list[BaseProcess] = [
            context.Process(
                target=client_process,
                args=(i, url, fixture, self.commands[i], self.results),
                daemon=True,
            )
            for i in range(size)
        ]
        for process in self.processes:
            process.start()
        for _ in range(size):
            self._get()

    def run(self, kind: str, clients: int, seconds: float) -> Measure:
        """`clients` processes call the service function until a shared deadline."""
        start_at = time.monotonic() + 0.2
        for commands in self.commands[:clients]:
            commands.put((kind, start_at, start_at + seconds))
        reports = [self._get() for _ in range(clients)]
        return Measure(sum(r[0] for r in reports), max(r[1] for r in reports) - start_at)

    def close(self) -> None:
        """Stop every client (terminate stragglers)."""
        for commands in self.commands:
            commands.put(None)
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()

    def _get(self) -> Any:
        while True:
            try:
                return self.results.get(timeout=1)
            except queue.Empty:
                dead = [p for p in self.processes if p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"client process exited with {dead[0].exitcode}") from None


# --------------------------------------------------------------------------------------------
# pgbench: the SQL one request issues
# --------------------------------------------------------------------------------------------


AUTOCOMMIT = "__autocommit__"  # marks a captured statement sent outside a transaction


def capture_sql(kind: str, url: str, fixture: Fixture) -> list[tuple[str, dict[str, Any]]]:
    """The statements (and their parameters) one call of `kind` sends, as psycopg gets them;
    the transaction's COMMIT/ROLLBACK are recorded as such, and statements sent in autocommit
    (no BEGIN, no COMMIT: db.read_only) are marked."""
    from credits_app.db import get_engine

    engine = get_engine()
    call = service_call(kind, fixture, random.Random(0))
    call()  # warm: the first call may create caches or open lazily
    captured: list[tuple[str, dict[str, Any]]] = []

    def on_execute(conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        params = dict(parameters or {})
        if conn.connection.dbapi_connection.autocommit:  # db.read_only: no BEGIN is sent
            params[AUTOCOMMIT] = True
        captured.append((" ".join(statement.split()), params))

    def on_commit(_conn: Any) -> None:
        captured.append(("COMMIT", {}))

    def on_rollback(_conn: Any) -> None:
        captured.append(("ROLLBACK", {}))

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "rollback", on_rollback)
    return captured


def pgbench_script(
    kind: str, captured: Sequence[tuple[str, dict[str, Any]]], fixture: Fixture
) -> tuple[str, dict[str, str]]:
    """The captured statements as a pgbench script and its `-D` variables.

    Every parameter becomes a pgbench variable (sent as a bind parameter in `-M prepared`) with
    the captured value, except the ones a run varies: the wallet owner's and wallet's ids (a
    random spread wallet per transaction) and the idempotency key (random per transaction).
    NULL and '' cannot be pgbench variables and are written inline. Statements run in BEGIN ...
    COMMIT as the app ran them; ones the app sent in autocommit run bare (one round trip each);
    a transaction the app left open ends with ROLLBACK (what the pool's reset sends).
    """
    variables: dict[str, str] = {}
    lines = []
    if kind == "deduct-spread":
        lines.append(f"\\set uid random({fixture.spread_first}, {fixture.spread_last})")
    else:
        lines.append(f"\\set uid {fixture.hot_user}")
    lines.append(f"\\set wid :uid + {fixture.wallet_offset}")
    lines.append("\\set key random(1, 1000000000000)")
    keys = {p for _, params in captured for p in params.values() if _is_service_key(p)}
    in_transaction = False
    for number, (statement, params) in enumerate(captured):
        if statement in ("COMMIT", "ROLLBACK"):
            lines.append(f"{statement};")
            in_transaction = False
            continue
        autocommit = params.pop(AUTOCOMMIT, False)
        if autocommit and in_transaction:  # cannot happen on one connection; be loud
            raise RuntimeError("an autocommit statement inside a captured transaction")
        if not autocommit and not in_transaction:
            lines.append("BEGIN;")
            in_transaction = True

        def bind(match: re.Match[str], params: dict[str, Any] = params, n: int = number) -> str:
            name = match.group(1)
            value = params[name]
            if kind.startswith("deduct") and value in keys:
                return "'service:' || :key"
            if kind.startswith("deduct") and name == "owner_id":
                return ":uid"
            if kind.startswith("deduct") and name in ("wallet_id", "id_1"):
                return ":wid"
            if value is None:
                return "NULL"
            if value == "":
                return "''"
            variable = f"v{n}_{name}"
            variables[variable] = _pgbench_value(value)
            return f":{variable}"

        lines.append(re.sub(r"%\((\w+)\)s", bind, statement) + ";")
    if in_transaction:  # the app left it open to be closed by the pool: a rollback
        lines.append("ROLLBACK;")
    return "\n".join([*lines, ""]), variables


def _is_service_key(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("service:")


def _pgbench_value(value: Any) -> str:
    value = getattr(value, "obj", value)  # psycopg's Jsonb wrapper
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "{" + ",".join(str(v) for v in value) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def run_pgbench(
    url: URL, script: str, variables: dict[str, str], clients: int, seconds: float
) -> Measure:
    """pgbench's committed transactions per second and latency for one script."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(script)
    command = [
        _pgbench_binary(),
        *("-n", "-M", "prepared", "-c", str(clients)),
        *("-j", str(min(clients, os.cpu_count() or 2)), "-T", str(max(1, round(seconds)))),
        "-r",
        *("-f", handle.name),
        *(arg for name, value in variables.items() for arg in ("-D", f"{name}={value}")),
        *_libpq_args(url),
    ]
    environment = os.environ | ({"PGPASSWORD": url.password} if url.password else {})
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=environment)
    finally:
        os.unlink(handle.name)
    if done.returncode != 0 or "aborted" in done.stderr:
        raise RuntimeError(f"pgbench failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    result = parse_pgbench(done.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", done.stdout)
    average = float(latency.group(1)) if latency else 0.0
    return Measure(result.ops, result.seconds, p50_ms=average, errors=result.failures)


# --------------------------------------------------------------------------------------------
# wrk: the HTTP load
# --------------------------------------------------------------------------------------------

_LUA_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH-JSON {\\"requests\\": %d, \\"duration_us\\": %d, \\"p50_us\\": %d, \\"p99_us\\": %d,"
    .. " \\"status_errors\\": %d, \\"socket_errors\\": %d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""

_LUA_THREADS = """
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  math.randomseed(tid * 7919 + os.time())
end
"""


def lua_script(kind: str, fixture: Fixture, events_file: Path | None) -> str:
    """The wrk script of one request kind (headers, body, a fresh key per deduction)."""
    if kind in ("ping", "live"):
        path = "/ping" if kind == "ping" else "/api/health/live"
        return f'wrk.method = "GET"\nwrk.path = "{path}"\n' + _LUA_REPORT
    if kind in ("credits", "history"):
        path = "/api/credits" if kind == "credits" else "/api/credits/history?limit=20"
        return (
            f'wrk.method = "GET"\nwrk.path = "{path}"\n'
            f'wrk.headers["Authorization"] = "Bearer {fixture.reader_token}"\n' + _LUA_REPORT
        )
    if kind == "chat":
        body = json.dumps({"messages": [{"role": "user", "content": "What is a credit hold?"}]})
        return (
            'wrk.method = "POST"\nwrk.path = "/api/2bot-ai/chat"\n'
            f'wrk.headers["Authorization"] = "Bearer {fixture.chatter_token}"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = [[{body}]]\n" + _LUA_REPORT
        )
    if kind.startswith("deduct"):
        first, last = (
            (fixture.hot_user, fixture.hot_user)
            if kind == "deduct-hot"
            else (fixture.spread_first, fixture.spread_last)
        )
        run = uuid.uuid4().hex[:10]
        return (
            _LUA_THREADS
            + f"""
request = function()
  counter = counter + 1
  local uid = math.random({first}, {last})
  local body = '{{"wallet":{{"type":"user","id":' .. uid
    .. '}},"amount":"{DEDUCTION}","category":"{CATEGORY}"}}'
  return wrk.format("POST", "/api/internal/credits/deduct", {{
    ["Authorization"] = "Bearer {SERVICE_KEY}",
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "{run}-" .. tid .. "-" .. counter,
  }}, body)
end
"""
            + _LUA_REPORT
        )
    assert kind == "webhook" and events_file is not None
    # Thread t delivers events t, t+T, t+2T, ... each COPIES times in a row (the copies go out
    # on different connections of the thread at about the same moment); out of events, it stops.
    return (
        _LUA_THREADS
        + f"""
local deliveries = {{}}
function init(args)
  local number = 0
  for line in io.lines("{events_file}") do
    number = number + 1
    if (number - 1) % threads_total == tid - 1 then
      local signature, payload = line:match("^([^\\t]*)\\t(.*)$")
      for copy = 1, {COPIES} do
        deliveries[#deliveries + 1] = wrk.format("POST", "/api/stripe/webhook", {{
          ["Content-Type"] = "application/json", ["Stripe-Signature"] = signature,
        }}, payload)
      end
    end
  end
end
request = function()
  counter = counter + 1
  if counter > #deliveries then
    wrk.thread:stop()
    return deliveries[#deliveries]
  end
  return deliveries[counter]
end
"""
        + _LUA_REPORT
    )


def run_wrk(
    base_url: str, script: str, connections: int, seconds: float, server_pgids: Sequence[int]
) -> Measure:
    """One wrk run; the app's CPU is read from /proc before and after."""
    threads = min(connections, 2)
    script = script.replace("threads_total", str(threads))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    command = [
        _wrk_binary(),
        *("-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s"),
        *("--timeout", "10s", "-s", handle.name, base_url),
    ]
    cpu_before = group_cpu_seconds(server_pgids)
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        os.unlink(handle.name)
    cpu = group_cpu_seconds(server_pgids) - cpu_before
    found = re.search(r"BENCH-JSON (\{.*\})", done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    report = json.loads(found.group(1))
    return Measure(
        requests=report["requests"],
        seconds=report["duration_us"] / 1e6,
        p50_ms=report["p50_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
        errors=report["status_errors"] + report["socket_errors"],
        cpu_seconds=cpu,
    )


def _wrk_binary() -> str:
    found = shutil.which("wrk") or "/usr/bin/wrk"
    if not Path(found).exists():
        raise SystemExit("wrk not found: `make wrk` installs Debian's")
    return found


def group_cpu_seconds(pgids: Sequence[int]) -> float:
    """User + system CPU of every live process in the process groups (the servers, their
    workers and, in the embedded topology, HAProxy)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state(0) ppid(1) pgrp(2) ... utime(11) stime(12)
        if int(fields[2]) in pgids:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


# --------------------------------------------------------------------------------------------
# Checks and report
# --------------------------------------------------------------------------------------------


def check_ledger(url: URL) -> list[str]:
    """No purchase credited twice or missing; every wallet's balance equals its entries."""
    engine = admin_engine(url)
    try:
        with engine.connect() as connection:
            double = connection.execute(
                text(
                    "SELECT count(*) FROM (SELECT e.metadata->>'purchaseId' FROM ledger_entries e"
                    " WHERE e.type = 'purchase' GROUP BY 1 HAVING count(*) > 1) AS twice"
                )
            ).scalar_one()
            purchases = connection.execute(
                text(
                    "SELECT count(*) FILTER (WHERE status = 'fulfilled'),"
                    " count(*) FILTER (WHERE status <> 'fulfilled') FROM purchases"
                )
            ).one()
            broken = connection.execute(
                text(
                    "SELECT count(*) FROM (SELECT w.id FROM wallets w LEFT JOIN ledger_entries e"
                    " ON e.wallet_id = w.id GROUP BY w.id, w.balance"
                    " HAVING w.balance <> COALESCE(SUM(e.amount), 0) OR w.balance < 0) AS b"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    lines = [
        f"double credits: {double} purchases credited more than once",
        f"purchases: {purchases[0]} fulfilled, {purchases[1]} not"
        " (prepared for a webhook run that ended before it reached them)",
        f"wallets with balance != sum(entries) or < 0: {broken}",
    ]
    if double or broken:
        raise SystemExit("LEDGER CHECK FAILED\n" + "\n".join(lines))
    return lines


def fulfilled_purchases(url: URL) -> int:
    engine = admin_engine(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    text("SELECT count(*) FROM purchases WHERE status = 'fulfilled'")
                ).scalar_one()
            )
    finally:
        engine.dispose()


def format_table(rows: Sequence[Row]) -> str:
    """Markdown: HTTP figures, then each ceiling and its ratio."""
    header = (
        "| request | conns | req/s | p50 ms | p99 ms | CPU ms/req | / ping | pgbench tx/s "
        "| / pgbench | in-process ops/s | / in-process | errors |"
    )
    lines = [header, "|" + "---|" * 12]
    for row in rows:
        ping = f"{row.http.rate / row.ping.rate:.2f}" if row.ping and row.ping.rate else "—"
        pg = f"{row.pgbench.rate:,.0f}" if row.pgbench else "—"
        pg_ratio = f"{row.http.rate / row.pgbench.rate:.2f}" if row.pgbench else "—"
        inproc = f"{row.in_process.rate:,.0f}" if row.in_process else "—"
        in_ratio = f"{row.http.rate / row.in_process.rate:.2f}" if row.in_process else "—"
        lines.append(
            f"| {row.kind} | {row.connections} | {row.http.rate:,.0f} | {row.http.p50_ms:.1f} "
            f"| {row.http.p99_ms:.1f} | {row.http.cpu_ms_per_request:.2f} | {ping} | {pg} "
            f"| {pg_ratio} | {inproc} | {in_ratio} | {row.http.errors} |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--seconds", type=float, default=3.0, help="per run (default 3)")
    parser.add_argument("--connections", default="1,16,64")
    parser.add_argument("--only", default=",".join(KINDS), help="request kinds to run")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--no-ceilings", action="store_true", help="HTTP only (quicker)")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the server (e.g. BACKEND_WORKERS=1)",
    )
    parser.add_argument("--app-dir", type=Path, default=PROJECT_ROOT, help="checkout to serve")
    parser.add_argument(
        "--topology",
        choices=("embedded", "single"),
        default="embedded",
        help="embedded: what `make run` starts (HAProxy, page process, API process with a "
        "worker per core); single: one `serve` process (--app-dir works with this one)",
    )
    return parser.parse_args(argv)


@contextmanager
def app_engine(url: str) -> Iterator[None]:
    from credits_app.db import get_engine, make_engine, use_engine

    use_engine(make_engine(url))
    try:
        yield
    finally:
        get_engine().dispose()


def benchmark(args: argparse.Namespace) -> None:
    connections = [int(c) for c in args.connections.split(",")]
    kinds = [k for k in args.only.split(",") if k]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise SystemExit(f"unknown kinds: {sorted(unknown)}")
    with scratch_postgres_database(args.database_url, prefix="credits_apibench") as scratch:
        url = make_url(scratch)
        build_schema(url)
        with app_engine(scratch):
            fixture = create_fixture(scratch)
            rows = _measure(args, url, scratch, fixture, kinds, connections)
            ledger = check_ledger(url)
    print()
    print(format_table(rows))
    for row in rows:
        for note in row.notes:
            print(f"- {row.kind} @ {row.connections}: {note}")
    print("\n".join(ledger))


def _measure(
    args: argparse.Namespace,
    url: URL,
    scratch: str,
    fixture: Fixture,
    kinds: Sequence[str],
    connections: Sequence[int],
) -> list[Row]:
    ceilings = [k for k in kinds if k in CEILINGS] if not args.no_ceilings else []
    scripts = {}
    for kind in ceilings:
        scripts[kind] = pgbench_script(kind, capture_sql(kind, scratch, fixture), fixture)
        print(f"pgbench script for {kind}:\n{scripts[kind][0]}", flush=True)
    environment = dict(item.split("=", 1) for item in args.env)
    rows: list[Row] = []
    pool = ClientPool(max(IN_PROCESS_CLIENTS), scratch, fixture) if ceilings else None
    with (
        tempfile.TemporaryDirectory() as logs,
        running_server(args, scratch, Path(logs), environment) as pgids,
    ):
        base = f"http://127.0.0.1:{args.port}"
        # Every row's ceilings run right before it (the machine's load drifts between minutes):
        # /ping at the same connections, pgbench, the in-process calls, then the request.
        for kind in kinds:
            for conns in connections:
                events_file = None
                fulfilled_before = 0
                events: list[tuple[bytes, str]] = []
                if kind == "webhook":
                    events_file = Path(logs) / "events.tsv"
                    events = prepare_webhook_events(round(EVENTS_PER_RUN_SECOND * args.seconds))
                    events_file.write_text(
                        "".join(f"{sig}\t{body.decode()}\n" for body, sig in events)
                    )
                    fulfilled_before = fulfilled_purchases(url)
                ping = run_wrk(base, lua_script("ping", fixture, None), conns, 2, pgids)
                ceiling = None
                if kind in scripts:
                    script, variables = scripts[kind]
                    ceiling = run_pgbench(url, script, variables, conns, args.seconds)
                inproc = None
                if pool is not None and kind in ceilings and conns in IN_PROCESS_CLIENTS:
                    inproc = pool.run(kind, conns, args.seconds)
                measure = run_wrk(
                    base, lua_script(kind, fixture, events_file), conns, args.seconds, pgids
                )
                row = Row(kind, conns, measure, ping=ping, pgbench=ceiling, in_process=inproc)
                if kind == "webhook":
                    done = fulfilled_purchases(url) - fulfilled_before
                    ran_out = measure.requests >= len(events) * COPIES
                    row.notes.append(
                        f"{done / measure.seconds:,.0f} events/s fulfilled ({done} events, "
                        f"{measure.requests} deliveries, {COPIES} copies each)"
                        + (" -- RAN OUT of events: a lower bound, not the rate" if ran_out else "")
                    )
                rows.append(row)
                print(
                    f"  {kind:14} c={conns:<3} {measure.rate:8,.0f} req/s  p50 "
                    f"{measure.p50_ms:6.1f} ms  p99 {measure.p99_ms:6.1f} ms  "
                    f"cpu {measure.cpu_ms_per_request:.2f} ms/req  errors {measure.errors}  "
                    f"(ping {ping.rate:,.0f}"
                    + (f", pgbench {ceiling.rate:,.0f}" if ceiling else "")
                    + (f", in-process {inproc.rate:,.0f}" if inproc else "")
                    + ")",
                    flush=True,
                )
    if pool is not None:
        pool.close()
    return rows


@contextmanager
def running_server(
    args: argparse.Namespace, scratch: str, logs: Path, environment: dict[str, str]
) -> Iterator[list[int]]:
    """The app on `args.port`, as `--topology` says; yields the process groups whose CPU
    counts as the server's.

    - single: one `python -m credits_app serve` (what a cluster instance runs; without Redis
      one worker);
    - embedded: what `make run` starts (deploy/embedded.py): HAProxy on the port, the page
      process (1 worker: /ping and the pages) and the API process (one worker per core).
    """
    env = {"JOBS_WORKER_IN_APP": "true", "LOG_FORMAT": "json"} | environment
    if args.topology == "single":
        with running_app(
            scratch, logs, serve=True, port=args.port, env=env, cwd=args.app_dir, small_pool=False
        ) as app:
            assert app.process is not None
            print(f"serving: {_first_line(app.log_file, 'serving')}", flush=True)
            yield [app.process.pid]
        return
    with running_embedded(scratch, logs, args.port, env) as pgids:
        yield pgids


@contextmanager
def running_embedded(
    scratch: str, logs: Path, port: int, extra: dict[str, str]
) -> Iterator[list[int]]:
    """deploy/embedded.py's three processes, started here so their CPU can be read."""
    from deploy import embedded
    from tests.support.app_server import app_environment

    env = app_environment(  # the production pool, not the test suites' small one
        scratch, small_pool=False, APP_BASE_URL=f"http://localhost:{port}", **extra
    )
    shared, processes = embedded.plan(env, logs, port)
    with embedded.running(shared, processes, logs, port, timeout_seconds=300) as started:
        for process in processes[:2]:
            print(f"serving: {_first_line(logs / f'{process.name}.log', 'serving')}", flush=True)
        yield [child.pid for child in started.values()]


def _first_line(log: Path, word: str) -> str:
    for line in log.read_text(errors="replace").splitlines():
        if word in line:
            return line.strip()
    return "?"


def main(argv: Sequence[str] | None = None) -> None:
    benchmark(parse_args(argv))


if __name__ == "__main__":
    main()
