"""Cluster load test: requests/s and p99 through HAProxy, 1 instance vs 2, same total workers.

    python bench/cluster_bench.py [--database-url URL] [--redis-url URL] [--seconds 15]

For each layout (1 instance x 4 workers, 2 instances x 2 workers; the per-worker pool is the
same, DB_MAX_CONNECTIONS = workers x 4 per instance) it starts the instances with
`python -m credits_app serve` and HAProxy with deploy/haproxy.cfg.in, on a scratch database,
and drives them from one asyncio client with a fixed number of requests in flight:

- **live**: GET /api/health/live, no database: the HTTP stack's ceiling through HAProxy;
- **deduct**: POST /api/internal/credits/deduct on 64 funded wallets, with idempotency keys.

It prints requests/s, p50 and p99 latency, the ratio of deduct to live in the same run, the
non-2xx count, and the peak number of Postgres sessions the instances held (sampled from
pg_stat_activity every 50 ms) against the budget. Not a test: nothing is asserted.
"""

import argparse
import asyncio
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import Engine  # noqa: E402

from credits_app.auth.accounts import create_user  # noqa: E402
from credits_app.credits import credit_service  # noqa: E402
from credits_app.db import make_engine, use_engine  # noqa: E402
from credits_app.migrations import upgrade_to_head  # noqa: E402
from deploy import cluster as deploy  # noqa: E402
from tests.support.app_server import app_environment, free_port  # noqa: E402
from tests.support.databases import count_sessions, scratch_postgres_database  # noqa: E402

SERVICE_KEY = "bench-service-key"
TOTAL_WORKERS = 4
CONNECTIONS_PER_WORKER = 4
WALLETS = 64
IN_FLIGHT = 32
LAYOUTS = ((1, 4), (2, 2))  # (instances, workers per instance)


@dataclass
class Run:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def drive(url: str, scenario: str, users: list[int], seconds: float) -> Run:
    """IN_FLIGHT concurrent loops for `seconds` (after a 2 s warm-up that is not counted)."""
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

        async def one(i: int) -> int:
            if scenario == "live":
                return (await client.get("/api/health/live")).status_code
            body = {
                "wallet": {"type": "user", "id": users[i % len(users)]},
                "amount": "0.0001",
                "category": "marketplace",
                "description": "bench",
            }
            headers = {
                "Authorization": f"Bearer {SERVICE_KEY}",
                "Idempotency-Key": uuid.uuid4().hex,
            }
            response = await client.post("/api/internal/credits/deduct", json=body, headers=headers)
            return response.status_code

        async def loop(worker: int, until: float, record: bool) -> None:
            nonlocal errors
            i = worker
            while time.perf_counter() < until:
                started = time.perf_counter()
                status = await one(i)
                if record:
                    latencies.append(time.perf_counter() - started)
                    errors += status >= 300
                i += IN_FLIGHT

        warm_until = time.perf_counter() + 2
        await asyncio.gather(*(loop(w, warm_until, False) for w in range(IN_FLIGHT)))
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(*(loop(w, until, True) for w in range(IN_FLIGHT)))
        elapsed = time.perf_counter() - started
    return Run(len(latencies), errors, elapsed, latencies)


@contextmanager
def layout(
    database_url: str, redis_url: str, instances: int, workers: int, name: str
) -> Iterator[str]:
    """Instances + HAProxy for one layout; yields HAProxy's URL."""
    run_dir = Path(tempfile.mkdtemp(prefix="uc-cluster-bench-"))
    port, ports = free_port(), [free_port() for _ in range(instances)]
    env = app_environment(
        database_url,
        small_pool=False,  # the production pool, not the test suites' small one
        REDIS_URL=redis_url,
        SERVICE_API_KEY=SERVICE_KEY,
        BACKEND_WORKERS=str(workers),
        DB_MAX_CONNECTIONS=str(workers * CONNECTIONS_PER_WORKER),
        LOG_FORMAT="json",
        **deploy.CLUSTER_INSTANCE_ENV,
    )
    config = run_dir / "haproxy.cfg"
    config.write_text(deploy.render_haproxy_config(port, ports, run_dir / "haproxy.sock"))
    processes: list[subprocess.Popen[bytes]] = []
    with ExitStack() as stack:
        for number, instance_port in enumerate(ports, start=1):
            log = stack.enter_context((run_dir / f"app{number}.log").open("wb"))
            processes.append(
                subprocess.Popen(
                    deploy.instance_command(instance_port),
                    cwd=PROJECT_ROOT,
                    env=env | {"DB_APPLICATION_NAME": f"{name}-{number}"},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        log = stack.enter_context((run_dir / "haproxy.log").open("wb"))
        processes.append(
            subprocess.Popen(deploy.haproxy_command(config), stdout=log, stderr=subprocess.STDOUT)
        )
        try:
            for instance_port in ports:
                _wait_ready(f"http://127.0.0.1:{instance_port}")
            _wait_ready(deploy.public_url(port))
            time.sleep(3)  # HAProxy marks a server up after two passing checks (rise 2)
            yield deploy.public_url(port)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=60)


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} never became ready")


@contextmanager
def peak_sessions(admin: Engine, name: str) -> Iterator[list[int]]:
    """Sample pg_stat_activity for the layout's sessions while the block runs."""
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], count_sessions(admin, name))
            time.sleep(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        done.set()
        thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()

    with scratch_postgres_database(args.database_url, prefix="credits_cluster_bench") as url:
        engine = make_engine(url)
        upgrade_to_head(engine, log=False)
        use_engine(engine)
        users = []
        for i in range(WALLETS):
            user = create_user(f"bench-{i}-{uuid.uuid4().hex[:6]}@example.com", f"Bench {i}")
            credit_service.grant_personal_credits(user.id, "100000", description="bench")
            users.append(user.id)
        admin = make_engine(args.database_url, isolation_level="AUTOCOMMIT", pool_size=1)
        print(
            f"{TOTAL_WORKERS} workers in total, {CONNECTIONS_PER_WORKER} connections each, "
            f"{IN_FLIGHT} requests in flight, {args.seconds:.0f} s per scenario"
        )
        header = f"{'layout':<22}{'scenario':<9}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}"
        print(header + f"{'non-2xx':>9}{'peak PG':>9}{'budget':>8}{'deduct/live':>13}")
        for instances, workers in LAYOUTS:
            name = f"uc-bench-{instances}x{workers}-{uuid.uuid4().hex[:6]}"
            budget = instances * workers * CONNECTIONS_PER_WORKER
            with layout(url, args.redis_url, instances, workers, name) as lb_url:
                results = {}
                for scenario in ("live", "deduct"):
                    with peak_sessions(admin, name) as peak:
                        run = asyncio.run(drive(lb_url, scenario, users, args.seconds))
                    results[scenario] = run
                    ratio = (
                        f"{run.rate / results['live'].rate:>13.2f}" if scenario == "deduct" else ""
                    )
                    print(
                        f"{f'{instances} x {workers} workers':<22}{scenario:<9}{run.rate:>8.0f}"
                        f"{run.percentile(0.5):>9.1f}{run.percentile(0.99):>9.1f}"
                        f"{run.errors:>9}{peak[0]:>9}{budget:>8}{ratio}"
                    )
        admin.dispose()
        engine.dispose()


if __name__ == "__main__":
    main()
