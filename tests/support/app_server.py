"""Start the real app with `reflex run --env prod` on a free port, for tests over HTTP.

`backend_only=True` serves just the backend (the API), which needs no frontend build.
The whole process group is stopped afterwards, since Reflex forks workers (and node).
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
STARTUP_TIMEOUT_SECONDS = 900


class AppDidNotStart(RuntimeError):
    """The app exited or never answered; the message carries the end of its log."""


@dataclass(frozen=True)
class RunningApp:
    """Where the app under test answers and which database it uses."""

    base_url: str
    database_url: str
    log_file: Path
    process: "subprocess.Popen[bytes] | None" = None


def app_environment(database_url: str, *, small_pool: bool = True, **extra: str) -> dict[str, str]:
    """The offline recipe from DESIGN §6 plus the test database. A suite runs several app
    servers on one Postgres (max_connections 100), so by default each keeps only 4 connections
    open after a burst instead of its whole share; benchmarks pass `small_pool=False` to
    measure the production default."""
    pool = {"DB_POOL_IDLE": "4"} if small_pool else {}
    return (
        os.environ
        | {
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "DATABASE_URL": database_url,
            "REFLEX_USE_NPM": "1",
            "REFLEX_TELEMETRY_ENABLED": "false",
            "REFLEX_CHECK_LATEST_VERSION": "false",
            "PYTHONUNBUFFERED": "1",
            # Tests run workers themselves; an app's embedded one would take their jobs.
            "JOBS_WORKER_IN_APP": "false",
        }
        | pool
        | extra
    )


def prepare_database(database_url: str, *commands: str) -> None:
    """Run operator CLI commands (migrate, load-demo) against the test database."""
    for command in commands:
        subprocess.run(
            [sys.executable, "-m", "credits_app", command],
            cwd=PROJECT_ROOT,
            env=app_environment(database_url),
            check=True,
            capture_output=True,
            timeout=120,
        )


@contextmanager
def running_app(
    database_url: str,
    log_dir: Path,
    *,
    backend_only: bool = False,
    ready_paths: tuple[str, ...] = ("/api/health",),
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    serve: bool = False,
    cwd: Path | None = None,
    small_pool: bool = True,
) -> Iterator[RunningApp]:
    """Serve the production app on one free port (or `port`) until the block ends.

    Pass `port` when the app must know its own URL up front (APP_BASE_URL for Checkout).
    `serve=True` starts it the way a cluster instance starts (`python -m credits_app serve`:
    Granian directly, workers from the connection budget) instead of `reflex run`.
    `small_pool` as in `app_environment`.
    """
    port = port or free_port()
    log_file = log_dir / "reflex.log"
    command = [str(VENV_BIN / "reflex"), "run", "--env", "prod", "--backend-port", str(port)]
    if serve:
        command = [sys.executable, "-m", "credits_app", "serve", "--port", str(port)]
    elif backend_only:
        command.append("--backend-only")
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=cwd or PROJECT_ROOT,  # another checkout: benchmarks compare versions
            # The app's own URL is its CORS origin and its Checkout return address.
            env=app_environment(
                database_url,
                small_pool=small_pool,
                **({"APP_BASE_URL": f"http://localhost:{port}"} | dict(env or {})),
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    app = RunningApp(f"http://localhost:{port}", database_url, log_file, process)
    try:
        _wait_until_serving(process, app, ready_paths)
        yield app
    finally:
        _stop_process_group(process)


def free_port() -> int:
    """A port nobody listens on right now, so parallel runs do not collide."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_serving(
    process: subprocess.Popen[bytes], app: RunningApp, paths: tuple[str, ...]
) -> None:
    """Block until every path answers 200, or raise with the log if the app dies or stalls."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AppDidNotStart(f"reflex run exited with {process.returncode}:\n{_log_tail(app)}")
        if all(_answers(app.base_url + path) for path in paths):
            return
        time.sleep(1)
    raise AppDidNotStart(f"not serving after {STARTUP_TIMEOUT_SECONDS}s:\n{_log_tail(app)}")


def _answers(url: str) -> bool:
    """True when the URL returns 200; connection errors just mean 'not yet'."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """End the whole group we started, gently then firmly."""
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)  # start_new_session made the child its group's leader
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        time.sleep(1)  # give workers a moment to follow their leader out


def _log_tail(app: RunningApp, lines: int = 60) -> str:
    """The end of the app's log, so a failed start explains itself."""
    text = app.log_file.read_text(errors="replace") if app.log_file.exists() else ""
    return "\n".join(text.splitlines()[-lines:])
