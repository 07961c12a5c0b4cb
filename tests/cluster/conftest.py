"""A real cluster for the cluster tests: 2 app instances behind HAProxy, as `make cluster`
starts them (deploy/cluster.py: one frontend build, `python -m credits_app serve` per instance,
the rendered haproxy.cfg), on a private Postgres and a private Redis started from the
machine's own binaries, so the tests may restart them without hurting anyone else.

Processes are started here rather than by honcho, so a test can kill one instance (-9) and
start it again. HAProxy's admin socket tells when it sees an instance up or down.

The frontend is built once per run (`reflex export`, ~40 s): every instance serves that one
build, and its websocket URL is HAProxy's.
"""

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright
from sqlalchemy import Engine

from credits_app.db import make_engine, use_engine
from deploy import cluster as deploy
from tests.support.api_client import SERVICE_KEY, ApiClient
from tests.support.app_server import app_environment, free_port, prepare_database
from tests.support.fake_stripe_server import (
    FAKE_STRIPE_KEY,
    FAKE_WEBHOOK_SECRET,
    FakeStripeServer,
    running_fake_stripe,
)
from tests.support.private_servers import (
    PrivatePostgres,
    PrivateRedis,
    private_postgres,
    private_redis,
)

INSTANCES = 2
WORKERS = 2  # per instance; DB_MAX_CONNECTIONS 6 gives each 3 connections
BUDGET = 6
BALANCE_REFRESH_SECONDS = 3
NOTIFICATIONS_POLL_SECONDS = 3600  # the bell can only change by the server push (Redis)
START_TIMEOUT_SECONDS = 180
CLUSTER_TEST_TIMEOUT_SECONDS = 600
CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Room for the frontend build and the instances' start in the first test's setup."""
    for item in items:
        item.add_marker(pytest.mark.timeout(CLUSTER_TEST_TIMEOUT_SECONDS))


@dataclass
class Instance:
    """One app instance (`serve`), its own process group so -9 takes all its workers."""

    number: int
    port: int
    env: dict[str, str]
    log_file: Path
    process: "subprocess.Popen[bytes] | None" = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def application_name(self) -> str:
        return self.env["DB_APPLICATION_NAME"]

    def start(self) -> None:
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                deploy.instance_command(self.port),
                cwd=deploy.PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """Signal the whole instance (Granian's main process and its workers)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout=60)

    def ready(self) -> bool:
        try:
            return httpx.get(self.url + "/api/health/ready", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def log_tail(self) -> str:
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-40:])


@dataclass
class Cluster:
    """The running cluster and the servers under it."""

    url: str
    instances: list[Instance]
    haproxy: "subprocess.Popen[bytes]"
    stats_socket: Path
    postgres: PrivatePostgres
    redis: PrivateRedis
    database_url: str
    clients: list[httpx.Client] = field(default_factory=list)

    def haproxy_command(self, command: str) -> str:
        """One command on HAProxy's admin socket (`show stat`, `disable server app/app1`)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(self.stats_socket))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def server_status(self, number: int) -> str:
        """HAProxy's view of instance `number`: UP, DOWN, MAINT, ..."""
        for line in self.haproxy_command("show stat").splitlines():
            fields = line.split(",")
            if len(fields) > 17 and fields[0] == "app" and fields[1] == f"app{number}":
                return fields[17].split(" ")[0]
        return "missing"

    def wait_for(self, condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}\n{self.log_tails()}")
            time.sleep(0.1)

    def log_tails(self) -> str:
        """The last lines of every instance's log, for a failure message."""
        return "\n".join(f"--- app{i.number} ---\n{i.log_tail()}" for i in self.instances)

    def wait_serving(self, number: int) -> None:
        """The instance answers ready and HAProxy routes to it again."""
        instance = self.instances[number - 1]
        self.wait_for(instance.ready, f"instance {number} ready", START_TIMEOUT_SECONDS)
        self.wait_for(lambda: self.server_status(number) == "UP", f"HAProxy: app{number} UP")

    def restart_instance(self, number: int) -> None:
        instance = self.instances[number - 1]
        instance.kill()
        instance.start()
        self.wait_serving(number)

    def ensure_all_serving(self) -> None:
        """Every instance up (a test that killed one may have failed before restarting it)."""
        for instance in self.instances:
            if instance.process is None or instance.process.poll() is not None:
                instance.start()
            self.haproxy_command(f"enable server app/app{instance.number}")
        for instance in self.instances:
            self.wait_serving(instance.number)


@pytest.fixture(scope="session")
def fake_stripe() -> Iterator[FakeStripeServer]:
    with running_fake_stripe() as server:
        yield server


@pytest.fixture(scope="session")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, fake_stripe: FakeStripeServer
) -> Iterator[Cluster]:
    run_dir = tmp_path_factory.mktemp("cluster")
    port = free_port()
    with private_postgres() as postgres, private_redis(run_dir / "redis") as redis_server:
        database_url = postgres.url
        env = app_environment(
            database_url,
            REDIS_URL=redis_server.url,
            SERVICE_API_KEY=SERVICE_KEY,
            STRIPE_SECRET_KEY=FAKE_STRIPE_KEY,
            STRIPE_API_BASE=fake_stripe.url,
            STRIPE_WEBHOOK_SECRET=FAKE_WEBHOOK_SECRET,
            BALANCE_REFRESH_SECONDS=str(BALANCE_REFRESH_SECONDS),
            NOTIFICATIONS_POLL_SECONDS=str(NOTIFICATIONS_POLL_SECONDS),
            APP_BASE_URL=deploy.public_url(port),
            DB_MAX_CONNECTIONS=str(BUDGET),
            BACKEND_WORKERS=str(WORKERS),
            **deploy.CLUSTER_INSTANCE_ENV,
        )
        deploy.build_frontend(port, env)
        prepare_database(database_url, "migrate")
        ports = [free_port() for _ in range(INSTANCES)]
        instances = [
            Instance(
                number,
                instance_port,
                env | {"DB_APPLICATION_NAME": f"uc-cluster-{number}"},
                run_dir / f"app{number}.log",
            )
            for number, instance_port in enumerate(ports, start=1)
        ]
        stats_socket = run_dir / "haproxy.sock"
        config = run_dir / "haproxy.cfg"
        config.write_text(deploy.render_haproxy_config(port, ports, stats_socket))
        for instance in instances:
            instance.start()
        with (run_dir / "haproxy.log").open("ab") as log:
            haproxy = subprocess.Popen(
                deploy.haproxy_command(config), stdout=log, stderr=subprocess.STDOUT
            )
        with (run_dir / "worker.log").open("ab") as log:
            worker = subprocess.Popen(
                deploy.worker_command(),
                cwd=deploy.PROJECT_ROOT,
                env=env | {"DB_APPLICATION_NAME": "uc-cluster-worker"},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        running = Cluster(
            deploy.public_url(port),
            instances,
            haproxy,
            stats_socket,
            postgres,
            redis_server,
            database_url,
        )
        try:
            running.wait_for(
                lambda: stats_socket.exists() or haproxy.poll() is not None, "HAProxy to start"
            )
            if haproxy.poll() is not None:
                pytest.fail("HAProxy exited:\n" + (run_dir / "haproxy.log").read_text())
            for instance in instances:
                running.wait_serving(instance.number)
            yield running
        finally:
            for process in (haproxy, worker):
                process.terminate()
                process.wait(timeout=30)
            for instance in instances:
                instance.kill(signal.SIGTERM)


@pytest.fixture
def live_cluster(cluster: Cluster, ledger_engine: Engine) -> Cluster:
    """The cluster with every instance serving, whatever the previous test did to it."""
    cluster.ensure_all_serving()
    return cluster


@pytest.fixture(scope="session")
def ledger_engine(cluster: Cluster) -> Iterator[Engine]:
    """This process's services on the cluster's database (funding, ledger checks, Stripe fake)."""
    # pre-ping: the Postgres restart test breaks this engine's pooled connections too
    engine = make_engine(cluster.database_url, pool_size=4, max_overflow=4, pool_pre_ping=True)
    use_engine(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def api(live_cluster: Cluster) -> Iterator[ApiClient]:
    """The REST API through HAProxy."""
    with httpx.Client(base_url=live_cluster.url, timeout=60) as http:
        yield ApiClient(http)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context
    context.close()
