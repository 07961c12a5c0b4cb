"""Start the embedded default on every core: pages and API on one port, in two processes.

    python -m deploy.embedded --port 3000          (what `make run` runs after the demo data)

Without Redis, Reflex keeps each tab's state in the memory of the one process that holds its
websocket, so the pages run in one Granian worker. The REST API keeps no state in memory: it
runs in its own `serve` process with one worker per core (PROCESS_ROLE=api), and HAProxy on
the public port sends `/api/*` there and everything else to the page process
(deploy/haproxy-embedded.cfg.in). The API workers tell the page process whose bell to ring
through a Unix datagram socket (LIVE_SIGNAL_SOCKET, notifications/live.py); both processes
write one prometheus-client directory, so `/metrics` counts every worker.

The frontend is built once, pointed at the public port, as `make cluster` builds it. Without
HAProxy (`make haproxy` installs it) this falls back to one process: `reflex run --env prod`.
"""

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from deploy import cluster

PAGES_SHARE = 4  # the page process gets 1/4 of DB_MAX_CONNECTIONS, the API workers the rest
READY_PATHS = ("/ping", "/api/health/ready")  # the page process and the API process answer


@dataclass(frozen=True)
class Process:
    """One process of the embedded default: its command and what it changes in the shared
    environment."""

    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    unset: tuple[str, ...] = ()

    def environment(self, shared: Mapping[str, str]) -> dict[str, str]:
        return {k: v for k, v in shared.items() if k not in self.unset} | self.env

    def procfile_line(self) -> str:
        changes = [f"-u {name}" for name in self.unset] + [f"{k}={v}" for k, v in self.env.items()]
        return f"{self.name}: env {' '.join(changes)} {' '.join(self.command)}"


def plan(env: Mapping[str, str], run_dir: Path, port: int) -> tuple[dict[str, str], list[Process]]:
    """The shared environment and the three processes: pages (1 worker, its share of the
    connection budget, the job worker, the bell's listener), API (one worker per core, the
    rest of the budget) and HAProxy on `port` in front of both."""
    pages_port, api_port = port + 1, port + 2
    budget = int(env.get("DB_MAX_CONNECTIONS", "20"))
    pages_budget = max(2, budget // PAGES_SHARE)
    metrics_dir = run_dir / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)  # stale files would be summed
    metrics_dir.mkdir(parents=True)
    shared = dict(env) | {
        "LIVE_SIGNAL_SOCKET": str(run_dir / "live-signal.sock"),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    config = run_dir / "haproxy.cfg"
    config.write_text(render_haproxy_config(port, pages_port, api_port))
    pages = Process(
        "pages",
        cluster.instance_command(pages_port),
        {"BACKEND_WORKERS": "1", "DB_MAX_CONNECTIONS": str(pages_budget)},
    )
    api = Process(
        "api",
        cluster.instance_command(api_port),
        {
            "PROCESS_ROLE": "api",
            "JOBS_WORKER_IN_APP": "false",  # the page process runs the embedded job worker
            "DB_MAX_CONNECTIONS": str(max(2, budget - pages_budget)),
        },
        unset=("BACKEND_WORKERS",),  # one per core, from db.pool_plan
    )
    return shared, [pages, api, Process("haproxy", cluster.haproxy_command(config))]


def render_haproxy_config(port: int, pages_port: int, api_port: int) -> str:
    """deploy/haproxy-embedded.cfg.in with the public and the two internal addresses."""
    template = Template((cluster.DEPLOY_DIR / "haproxy-embedded.cfg.in").read_text())
    return template.substitute(listen=f"0.0.0.0:{port}", pages_port=pages_port, api_port=api_port)


@contextlib.contextmanager
def running(
    shared: Mapping[str, str],
    processes: Sequence[Process],
    log_dir: Path,
    port: int,
    timeout_seconds: float,
) -> Iterator[dict[str, "subprocess.Popen[bytes]"]]:
    """Start `plan`'s processes without honcho (tests and benches watch them: CPU, logs),
    each in its own session so its workers stop with it; wait until both processes answer
    through HAProxy on `port`, and stop them all at the end. Logs: `log_dir/<name>.log`."""
    started: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for process in processes:
            with (log_dir / f"{process.name}.log").open("ab") as log:
                started[process.name] = subprocess.Popen(
                    process.command,
                    cwd=cluster.PROJECT_ROOT,
                    env=process.environment(shared),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        _wait_until_serving(cluster.public_url(port), started, log_dir, timeout_seconds)
        yield started
    finally:
        for child in started.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)
            child.wait(timeout=60)


def _wait_until_serving(
    url: str, started: Mapping[str, "subprocess.Popen[bytes]"], log_dir: Path, seconds: float
) -> None:
    deadline = time.monotonic() + seconds
    while not all(_answers(url + path) for path in READY_PATHS):
        if time.monotonic() > deadline or any(p.poll() is not None for p in started.values()):
            tails = (
                f"--- {name}\n{(log_dir / f'{name}.log').read_text(errors='replace')[-3000:]}"
                for name in started
            )
            raise RuntimeError("the embedded default did not start:\n" + "\n".join(tails))
        time.sleep(0.5)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def haproxy_installed() -> bool:
    return shutil.which("haproxy") is not None or Path("/usr/sbin/haproxy").exists()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=3000, help="the public port")
    parser.add_argument("--run-dir", type=Path, default=None, help="default: a temp directory")
    parser.add_argument("--no-build", action="store_true", help="reuse the last frontend build")
    args = parser.parse_args(argv)

    env = dict(os.environ) | cluster.REFLEX_OFFLINE
    env["PATH"] = f"{cluster.VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("APP_BASE_URL", cluster.public_url(args.port))
    if not haproxy_installed():
        print("embedded: HAProxy is not installed (make haproxy): one process for all", flush=True)
        reflex = str(cluster.VENV_BIN / "reflex")
        os.execve(reflex, [reflex, "run", "--env", "prod", "--backend-port", str(args.port)], env)
    if not args.no_build:
        cluster.build_frontend(args.port, env)
    run_dir = args.run_dir or Path(tempfile.mkdtemp(prefix="credits-embedded-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    shared, processes = plan(env, run_dir, args.port)
    procfile = run_dir / "Procfile"
    procfile.write_text("".join(process.procfile_line() + "\n" for process in processes))
    print(f"embedded: pages and API (one worker per core) behind :{args.port} ({procfile})")
    honcho = str(cluster.VENV_BIN / "honcho")
    command = [honcho, "-f", str(procfile), "-d", str(cluster.PROJECT_ROOT), "start"]
    sys.stdout.flush()
    os.execve(honcho, command, shared)


if __name__ == "__main__":
    main()
