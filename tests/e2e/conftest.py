"""A real app for browser tests: a demo database, `reflex run --env prod`, and Chromium.

The first run builds the frontend (npm install + vite build), so the start-up wait is long.
`reflex run` initialises a missing `.web` directory by itself, so a fresh clone needs no step.

The app runs with the service API on (tests spend through it like a platform service would),
APP_BASE_URL pointing at itself (so Checkout's success URL comes back to it), and a
3-second header refresh (so "the header picks up a deduction" does not take a minute), and
an hour-long bell poll (so only the server push can update the bell).
"""

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from sqlalchemy import Engine

from credits_app.db import make_engine, use_engine
from tests.support.api_client import SERVICE_KEY, ApiClient
from tests.support.app_server import (
    STARTUP_TIMEOUT_SECONDS,
    AppDidNotStart,
    RunningApp,
    free_port,
    prepare_database,
    running_app,
)

SCREENSHOT_DIR = Path(__file__).resolve().parent / "screenshots"
E2E_TEST_TIMEOUT_SECONDS = STARTUP_TIMEOUT_SECONDS + 300  # pytest-timeout counts fixture setup
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
BALANCE_REFRESH_SECONDS = 3
# The bell's fallback poll, long on purpose: the bell tests can only pass by the server push.
NOTIFICATIONS_POLL_SECONDS = 3600
VIEWPORT = {"width": 1280, "height": 800}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give e2e tests room for the first frontend build, beyond the suite's 300 s default."""
    e2e_dir = Path(__file__).resolve().parent
    for item in items:
        if item.path.is_relative_to(e2e_dir):
            item.add_marker(pytest.mark.timeout(E2E_TEST_TIMEOUT_SECONDS))


@pytest.fixture(scope="session")
def demo_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite file with the demo data, made by the same CLI operators use."""
    database_file = tmp_path_factory.mktemp("e2e-db") / "credits.db"
    database_url = f"sqlite:///{database_file}"  # absolute path, so sqlite:////tmp/...
    prepare_database(database_url, "migrate", "load-demo")
    return database_url


@pytest.fixture(scope="session")
def app(demo_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The production build (frontend + backend on one port) over the demo database."""
    port = free_port()
    env = {
        "SERVICE_API_KEY": SERVICE_KEY,
        "STRIPE_SIMULATOR": "true",
        "APP_BASE_URL": f"http://localhost:{port}",
        "BALANCE_REFRESH_SECONDS": str(BALANCE_REFRESH_SECONDS),
        "NOTIFICATIONS_POLL_SECONDS": str(NOTIFICATIONS_POLL_SECONDS),
    }
    try:
        with running_app(
            demo_database_url,
            tmp_path_factory.mktemp("e2e-app"),
            ready_paths=("/api/health", "/credits/"),
            env=env,
            port=port,
        ) as started:
            yield started
    except AppDidNotStart as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def ledger_engine(demo_database_url: str) -> Iterator[Engine]:
    """Point this process's services at the app's database, to compute expected values."""
    engine = make_engine(demo_database_url)
    use_engine(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """One Playwright driver for the whole run: a second `sync_playwright()` inside it fails."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium: `playwright install` cannot download browsers on this machine."""
    chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser context (own cookies) per test, so no session leaks between tests."""
    context = browser.new_context(viewport=VIEWPORT)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    """More browser contexts for tests with several people (owner, member, outsider)."""
    contexts: list[BrowserContext] = []

    def make() -> BrowserContext:
        contexts.append(browser.new_context(viewport=VIEWPORT))
        return contexts[-1]

    yield make
    for made in contexts:
        made.close()


@pytest.fixture
def api(app: RunningApp, ledger_engine: Engine) -> Iterator[ApiClient]:
    """The REST API of the app under test, for setting up users, orgs and service spending."""
    with httpx.Client(base_url=app.base_url, timeout=30) as http:
        yield ApiClient(http)


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Where tests leave screenshots for people to look at (git-ignored)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
