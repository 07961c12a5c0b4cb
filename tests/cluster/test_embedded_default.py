"""The embedded default on every core (issue 16, deploy/embedded.py): HAProxy on one port,
the pages and the Reflex websocket in one process, the REST API in another with one worker
per core, on SQLite as `make run` starts it. The API workers ring the bell of a page held by
the page process through the local datagram socket, with no Redis anywhere.

The frontend is built for this module's port (after the cluster tests, which use their own
build), so this module takes a minute or two of setup.
"""

import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from credits_app.db import make_engine, pool_plan, use_engine
from credits_app.settings import Settings
from deploy import cluster as deploy
from deploy import embedded as launcher
from tests.e2e.flows import sign_in
from tests.support.api_client import SERVICE_KEY, ApiClient, fund_org, fund_user
from tests.support.app_server import app_environment, prepare_database

START_TIMEOUT_SECONDS = 180
UI_TIMEOUT_MS = 30_000
PUSH_TIMEOUT_MS = 5_000


@dataclass
class Embedded:
    """The three running processes and their logs."""

    url: str
    processes: dict[str, "subprocess.Popen[bytes]"]
    logs: dict[str, Path]
    envs: dict[str, dict[str, str]]

    def log(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace")


def port_with_two_free_neighbours() -> int:
    """A public port whose next two ports (pages, API) are free as well."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        if port < 65000 and all(_free(port + offset) for offset in (0, 1, 2)):
            return port
    pytest.fail("no three consecutive free ports")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    run_dir = tmp_path_factory.mktemp("embedded")
    port = port_with_two_free_neighbours()
    database_url = f"sqlite:///{run_dir / 'credits.db'}"
    env = app_environment(
        database_url,
        SERVICE_API_KEY=SERVICE_KEY,
        STRIPE_SIMULATOR="true",
        NOTIFICATIONS_POLL_SECONDS="3600",  # the bell can only change by the push
        APP_BASE_URL=deploy.public_url(port),
    )
    deploy.build_frontend(port, env)
    prepare_database(database_url, "migrate")
    shared, processes = launcher.plan(env, run_dir, port)
    with launcher.running(shared, processes, run_dir, port, START_TIMEOUT_SECONDS) as started:
        engine = make_engine(database_url)
        use_engine(engine)
        yield Embedded(
            deploy.public_url(port),
            started,
            {p.name: run_dir / f"{p.name}.log" for p in processes},
            {p.name: p.environment(shared) for p in processes},
        )
        engine.dispose()


@pytest.fixture
def api(embedded: Embedded) -> Iterator[ApiClient]:
    with httpx.Client(base_url=embedded.url, timeout=60) as http:
        yield ApiClient(http)


def test_the_api_answers_from_its_own_process_with_a_worker_per_core_the_pages_from_one(
    embedded: Embedded, api: ApiClient
) -> None:
    user = api.register("embedded")
    fund_user(user, "12")
    assert api.balance(user) == 12
    budget = int(embedded.envs["api"]["DB_MAX_CONNECTIONS"])
    workers = pool_plan(
        Settings.model_validate({"process_role": "api", "db_max_connections": budget})
    ).workers
    assert workers == min(os.cpu_count() or 1, 8, budget // 2)  # every core (up to 8)
    assert "serving the API on 127.0.0.1:" in embedded.log("api")
    assert f"{workers} workers x" in embedded.log("api")
    assert "1 workers x" in embedded.log("pages")
    assert '"path": "/api/credits"' in embedded.log("api")
    assert '"path": "/api/credits"' not in embedded.log("pages")
    page = httpx.get(embedded.url + "/credits", timeout=30, follow_redirects=True)
    assert page.status_code == 200 and "<html" in page.text.lower()


def test_a_low_balance_committed_by_an_api_worker_rings_the_bell_of_a_page_in_the_page_process(
    embedded: Embedded, api: ApiClient, context: BrowserContext
) -> None:
    """The org wallet's deduction runs in an API worker; the page's websocket is held by the
    page process. The spend is on an org wallet while the page shows the personal one, and
    the bell's own poll is an hour, so only the datagram can bring the badge."""
    owner = api.register("rung")
    fund_user(owner, "10")
    org = api.create_org(owner, "Rung")
    fund_org(org["id"], "100")
    settings = api.http.patch(
        f"/api/orgs/{org['id']}/credits/settings",
        json={"lowThreshold": 50},
        headers=owner.headers,
    )
    assert settings.status_code == 200, settings.text
    sign_in(context, embedded.url, owner.email)
    page = context.new_page()
    page.goto(f"{embedded.url}/credits")
    expect(page.locator("#notification-bell")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.locator("#notification-badge")).to_have_count(0)
    page.evaluate("window.__noReload = true")

    spent = api.service_deduct(
        {"wallet": {"type": "org", "id": org["id"]}, "amount": "60", "category": "other"}
    )
    assert spent.status_code == 200, spent.text

    expect(page.locator("#notification-badge")).to_have_text("1", timeout=PUSH_TIMEOUT_MS)
    assert page.evaluate("window.__noReload === true"), "the page must not have reloaded"
    assert '"path": "/api/internal/credits/deduct"' in embedded.log("api")
