"""A real app for browser tests: a demo database, `reflex run --env prod`, and Chromium.

The first run builds the frontend (npm install + vite build), so the start-up wait is long.
`reflex run` initialises a missing `.web` directory by itself, so a fresh clone needs no step.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine

from credits_app.db import make_engine, use_engine

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SCREENSHOT_DIR = Path(__file__).resolve().parent / "screenshots"
STARTUP_TIMEOUT_SECONDS = 900
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give e2e tests room for the first frontend build, beyond the suite's 300 s default."""
    e2e_dir = Path(__file__).resolve().parent
    for item in items:
        if item.path.is_relative_to(e2e_dir):
            item.add_marker(pytest.mark.timeout(E2E_TEST_TIMEOUT_SECONDS))


@dataclass(frozen=True)
class RunningApp:
    """Where the app under test answers and which database it uses."""

    base_url: str
    database_url: str
    log_file: Path


@pytest.fixture(scope="session")
def demo_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite file with the demo data, made by the same CLI operators use."""
    database_file = tmp_path_factory.mktemp("e2e-db") / "credits.db"
    database_url = f"sqlite:///{database_file}"  # absolute path, so sqlite:////tmp/...
    env = _app_environment(database_url)
    for command in ("migrate", "load-demo"):
        subprocess.run(
            [sys.executable, "-m", "credits_app", command],
            cwd=PROJECT_ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    return database_url


@pytest.fixture(scope="session")
def running_app(
    demo_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApp]:
    """Start the production build on one free port; stop its whole process group at the end."""
    port = _free_port()
    log_file = tmp_path_factory.mktemp("e2e-app") / "reflex.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [str(VENV_BIN / "reflex"), "run", "--env", "prod", "--backend-port", str(port)],
            cwd=PROJECT_ROOT,
            env=_app_environment(demo_database_url),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    app = RunningApp(f"http://localhost:{port}", demo_database_url, log_file)
    try:
        _wait_until_serving(process, app)
        yield app
    finally:
        _stop_process_group(process)


@pytest.fixture(scope="session")
def ledger_engine(demo_database_url: str) -> Iterator[Engine]:
    """Point this process's services at the app's database, to compute expected values."""
    engine = make_engine(demo_database_url)
    use_engine(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium: `playwright install` cannot download browsers on this machine."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context per test, so no state leaks between tests."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Where tests leave screenshots for people to look at (git-ignored)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


def _app_environment(database_url: str) -> dict[str, str]:
    """The offline recipe from DESIGN §6 plus the test database."""
    return os.environ | {
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DATABASE_URL": database_url,
        "REFLEX_USE_NPM": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "PYTHONUNBUFFERED": "1",
    }


def _free_port() -> int:
    """A port nobody listens on right now, so parallel runs do not collide."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_serving(process: subprocess.Popen[bytes], app: RunningApp) -> None:
    """Block until both the built frontend and the backend answer, or fail with the log."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"reflex run exited with {process.returncode}:\n{_log_tail(app)}")
        if _answers(f"{app.base_url}/credits/") and _answers(f"{app.base_url}/api/health"):
            return
        time.sleep(1)
    pytest.fail(f"App not serving after {STARTUP_TIMEOUT_SECONDS}s:\n{_log_tail(app)}")


def _answers(url: str) -> bool:
    """True when the URL returns 200; connection errors just mean 'not yet'."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """Reflex forks workers and node; end the whole group we started, gently then firmly."""
    group = process.pid  # start_new_session=True made the child its group's leader
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            break  # the group is already gone
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        time.sleep(1)  # give workers a moment to follow their leader out


def _log_tail(app: RunningApp, lines: int = 60) -> str:
    """The end of the app's log, so a failed start explains itself."""
    text = app.log_file.read_text(errors="replace") if app.log_file.exists() else ""
    return "\n".join(text.splitlines()[-lines:])
