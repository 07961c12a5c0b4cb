"""A private PostgreSQL and a private Redis, started from the machine's own binaries.

The cluster tests restart the database and Redis mid-load. Doing that to the machine's shared
servers would break every other test run on it, so they restart servers of their own: the
same Postgres version (`initdb` + `pg_ctl` from the installed server, on a free port, in a
temporary directory) and the installed `redis-server` without persistence.
Postgres refuses to run as root; as root the server runs as the `postgres` system user.
"""

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.app_server import free_port

START_TIMEOUT_SECONDS = 60


def postgres_bin_dir() -> Path:
    """The installed server's binaries (Debian: /usr/lib/postgresql/<major>/bin)."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not candidates:
        raise RuntimeError("No PostgreSQL server binaries found (apt-get install postgresql).")
    return candidates[-1].parent


@dataclass
class PrivatePostgres:
    """A throwaway server; `restart()` stops it (fast mode, like a failover) and starts it."""

    directory: Path
    port: int
    as_user: list[str]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, *args: str) -> None:
        command = [str(postgres_bin_dir() / "pg_ctl"), "-D", str(self.directory / "data"), *args]
        subprocess.run([*self.as_user, *command], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        log = str(self.directory / "server.log")
        self.pg_ctl("-w", "-t", str(START_TIMEOUT_SECONDS), "-o", options, "-l", log, "start")

    def stop(self) -> None:
        self.pg_ctl("-w", "-m", "fast", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """initdb (trust auth, user postgres) and start; stopped and removed afterwards.

    Its own directory under the system temp dir: pytest's are private to the user running
    the tests, which the `postgres` user could not enter.
    """
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    directory = Path(tempfile.mkdtemp(prefix="uc-postgres-"))
    if as_user:
        shutil.chown(directory, "postgres")
    initdb = str(postgres_bin_dir() / "initdb")
    data = str(directory / "data")
    subprocess.run(
        [*as_user, initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    server = PrivatePostgres(directory, free_port(), as_user)
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already down
            server.pg_ctl("-w", "-m", "immediate", "stop")
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class PrivateRedis:
    """A throwaway redis-server without persistence; `restart()` loses its data, as a
    crashed Redis without persistence does."""

    directory: Path
    port: int
    process: "subprocess.Popen[bytes] | None" = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            shutil.which("redis-server") or "/usr/bin/redis-server",
            *("--port", str(self.port)),
            *("--bind", "127.0.0.1"),
            *("--save", ""),
            *("--appendonly", "no"),
            *("--dir", str(self.directory)),
        ]
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._answers():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=1).ping())
        except redis.RedisError:
            return False


@contextmanager
def private_redis(directory: Path) -> Iterator[PrivateRedis]:
    directory.mkdir(parents=True, exist_ok=True)
    server = PrivateRedis(directory, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
