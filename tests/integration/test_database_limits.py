"""Bounded database use (issue 11, findings 1 and 2), against real app processes on Postgres.

- A row lock held by another session: the deduction waits at most `DB_LOCK_TIMEOUT_MS`,
  then 503 `busy` + Retry-After, and a retry with the same key applies once.
- An exhausted pool: 503 `busy` after `DB_POOL_TIMEOUT_SECONDS`, not an unbounded wait.
- An unreachable database: 503 `unavailable` + Retry-After (never 500), ready probe 503.
- Two instances with REDIS_URL (several workers each) under load stay within
  2 x DB_MAX_CONNECTIONS sessions as Postgres counts them, and give the overflow back.
- SIGTERM: the instance stops accepting, finishes the request in flight, closes its sessions.
"""

import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from credits_app.db import make_engine
from tests.support.api_client import SERVICE_KEY, ApiClient, ApiUser, assert_error, fund_user
from tests.support.app_server import RunningApp, free_port, running_app
from tests.support.databases import count_sessions

pytestmark = pytest.mark.postgres

LOAD_CLIENTS = 48
LOAD_REQUESTS = 480
BUDGET = 6  # per instance; with REDIS_URL on 2+ cores that is 3 workers x 2 connections
INSTANCES = 2
REDIS_URL = "redis://127.0.0.1:6379/0"
WAIT_SECONDS = 20


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll for an event the test causes (a lock wait, a closed port); fail after a while."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def deduct_body(user: ApiUser, amount: str = "1") -> dict[str, Any]:
    return {
        "wallet": {"type": "user", "id": user.id},
        "amount": amount,
        "category": "marketplace",
        "description": "limits test",
    }


@pytest.fixture(scope="module")
def admin(postgres_url: str) -> Iterator[Engine]:
    """A connection for the test itself: counting sessions, holding row locks."""
    engine = make_engine(postgres_url, isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=0)
    yield engine
    engine.dispose()


@contextmanager
def wallet_locked(postgres_url: str, user: ApiUser) -> Iterator[None]:
    """Another session holds the wallet's row lock (as a long transaction would) until exit."""
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection, connection.begin():
            connection.execute(
                text(
                    "SELECT id FROM wallets WHERE owner_kind = 'user' AND owner_id = :id FOR UPDATE"
                ),
                {"id": user.id},
            )
            yield
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def one_connection_app(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningApp, str]]:
    """An instance with a budget of one connection, so the pool runs out on purpose."""
    name = f"uc-limits-{uuid.uuid4().hex[:8]}"
    env = {
        "SERVICE_API_KEY": SERVICE_KEY,
        "DB_MAX_CONNECTIONS": "1",
        "DB_POOL_TIMEOUT_SECONDS": "0.5",
        "DB_APPLICATION_NAME": name,
        "JOBS_WORKER_IN_APP": "false",  # its polling would take the one connection now and then
    }
    directory = tmp_path_factory.mktemp("one-connection-app")
    with running_app(postgres_url, directory, backend_only=True, env=env) as app:
        yield app, name


@pytest.fixture
def limited(
    one_connection_app: tuple[RunningApp, str], api_database_engine: Engine
) -> Iterator[ApiClient]:
    app, _name = one_connection_app
    with httpx.Client(base_url=app.base_url, timeout=30) as http:
        yield ApiClient(http)


@pytest.fixture
def api_database_engine(postgres_url: str) -> Iterator[Engine]:
    """This process's services on the test database (funding wallets)."""
    from credits_app.db import use_engine

    engine = make_engine(postgres_url)
    use_engine(engine)
    yield engine
    engine.dispose()


def test_a_row_lock_held_elsewhere_is_503_busy_with_retry_after_and_the_retry_applies_once(
    limited: ApiClient, postgres_url: str
) -> None:
    user = limited.register("locked")
    fund_user(user, "10")
    key = uuid.uuid4().hex
    with wallet_locked(postgres_url, user):
        refused = limited.service_deduct(deduct_body(user), idempotency_key=key)
    assert_error(refused, 503, "busy")
    assert refused.headers["Retry-After"] == "1"
    assert limited.balance(user) == 10  # nothing half-written

    first = limited.service_deduct(deduct_body(user), idempotency_key=key)
    replay = limited.service_deduct(deduct_body(user), idempotency_key=key)
    assert first.status_code == replay.status_code == 200, first.text
    assert first.json()["transactionId"] == replay.json()["transactionId"]
    assert limited.balance(user) == 9


def test_an_exhausted_pool_is_503_busy_instead_of_an_unbounded_wait(
    limited: ApiClient, postgres_url: str, admin: Engine, one_connection_app: tuple[RunningApp, str]
) -> None:
    _app, name = one_connection_app
    holder, other = limited.register("holder"), limited.register("other")
    fund_user(holder, "5")
    fund_user(other, "5")
    with ThreadPoolExecutor(max_workers=1) as pool, wallet_locked(postgres_url, holder):
        blocked = pool.submit(limited.service_deduct, deduct_body(holder))
        # The app's only connection now waits on the lock; any other request needs one.
        wait_until(lambda: count_sessions(admin, name, waiting_on_lock=True) == 1, "lock wait")
        with httpx.Client(base_url=str(limited.http.base_url), timeout=30) as second:
            starved = ApiClient(second).service_deduct(deduct_body(other))
    assert_error(starved, 503, "busy")
    assert starved.headers["Retry-After"] == "1"
    assert blocked.result().status_code == 200  # the lock went away in time: it went through
    assert limited.balance(other) == 5


def test_an_unreachable_database_is_503_unavailable_and_the_instance_not_ready(
    tmp_path: Path,
) -> None:
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/stopped"
    env = {"SERVICE_API_KEY": SERVICE_KEY}
    with (
        running_app(
            nowhere, tmp_path, backend_only=True, env=env, ready_paths=("/api/health/live",)
        ) as app,
        httpx.Client(base_url=app.base_url, timeout=30) as http,
    ):
        ready = http.get("/api/health/ready")
        assert ready.status_code == 503
        assert ready.json() == {"status": "error", "database": "unreachable"}
        headers = {"Authorization": f"Bearer {SERVICE_KEY}"}
        body = {"wallet": {"type": "user", "id": 1}, "amount": "1", "category": "other"}
        deduct = http.post("/api/internal/credits/deduct", json=body, headers=headers)
        assert_error(deduct, 503, "unavailable")
        assert deduct.headers["Retry-After"] == "5"
        signup = {"email": "x@example.com", "name": "X", "password": "correct horse battery"}
        assert_error(http.post("/api/auth/register", json=signup), 503, "unavailable")


@pytest.fixture(scope="module")
def two_instances(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[list[RunningApp], str]]:
    """Two instances started as a cluster starts them (`serve`, REDIS_URL, budget 6 each)."""
    name = f"uc-budget-{uuid.uuid4().hex[:8]}"
    with (
        running_app(
            postgres_url, tmp_path_factory.mktemp("a"), env=_budget_env(f"{name}-a"), serve=True
        ) as a,
        running_app(
            postgres_url, tmp_path_factory.mktemp("b"), env=_budget_env(f"{name}-b"), serve=True
        ) as b,
    ):
        yield [a, b], name


def _budget_env(name: str) -> dict[str, str]:
    return {
        "SERVICE_API_KEY": SERVICE_KEY,
        "REDIS_URL": REDIS_URL,
        "DB_MAX_CONNECTIONS": str(BUDGET),
        "DB_POOL_IDLE": "1",
        "DB_APPLICATION_NAME": name,
    }


def test_instances_times_workers_stay_within_the_connection_budget_under_load(
    two_instances: tuple[list[RunningApp], str], admin: Engine, api_database_engine: Engine
) -> None:
    apps, name = two_instances
    assert all("3 workers x 2 connections" in app.log_file.read_text() for app in apps)
    clients = [httpx.Client(base_url=app.base_url, timeout=60) for app in apps]
    users = [ApiClient(clients[0]).register(f"load{i}") for i in range(8)]
    for user in users:
        fund_user(user, "1000")
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, count_sessions(admin, name))
            time.sleep(0.02)

    def one(i: int) -> int:
        return (
            ApiClient(clients[i % INSTANCES]).service_deduct(deduct_body(users[i % 8])).status_code
        )

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with ThreadPoolExecutor(max_workers=LOAD_CLIENTS) as pool:
            statuses = list(pool.map(one, range(LOAD_REQUESTS)))
    finally:
        done.set()
        sampler.join()
    assert set(statuses) <= {200, 503}, statuses
    assert statuses.count(200) >= LOAD_REQUESTS // 2  # it did serve the load
    assert 2 <= peak <= INSTANCES * BUDGET, peak
    # Overflow connections close as they are returned: what stays is workers x DB_POOL_IDLE.
    idle_limit = INSTANCES * 3 * 1
    wait_until(lambda: count_sessions(admin, name) <= idle_limit, "overflow connections closed")
    for client in clients:
        client.close()


def test_sigterm_finishes_the_request_in_flight_and_closes_the_instances_sessions(
    two_instances: tuple[list[RunningApp], str],
    admin: Engine,
    postgres_url: str,
    api_database_engine: Engine,
) -> None:
    apps, name = two_instances
    instance = apps[1]
    assert instance.process is not None
    with httpx.Client(base_url=instance.base_url, timeout=60) as http:
        api = ApiClient(http)
        user = api.register("draining")
        fund_user(user, "3")
        with ThreadPoolExecutor(max_workers=1) as pool, wallet_locked(postgres_url, user):
            in_flight = pool.submit(api.service_deduct, deduct_body(user))
            wait_until(
                lambda: count_sessions(admin, f"{name}-b", waiting_on_lock=True) == 1, "lock"
            )
            instance.process.send_signal(signal.SIGTERM)
            wait_until(lambda: not _accepts(instance.base_url), "the listener to close")
        assert in_flight.result().status_code == 200
    assert instance.process.wait(timeout=60) == 0
    assert count_sessions(admin, f"{name}-b") == 0


def _accepts(base_url: str) -> bool:
    try:
        httpx.get(base_url + "/api/health/live", timeout=2)
    except httpx.TransportError:
        return False
    return True
