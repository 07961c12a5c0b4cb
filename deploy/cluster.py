"""Start a local cluster: N app instances behind HAProxy, on one Postgres and one Redis.

    python -m deploy.cluster --instances 2 --port 8080      (what `make cluster` runs)

It builds the frontend once (`reflex export`, pointed at HAProxy's address), migrates the
database, writes `haproxy.cfg` and a `Procfile` into `--run-dir`, and hands over to
`honcho start`, which runs every process (the instances, one job worker, HAProxy) in the
foreground and stops them all on Ctrl-C.
Each instance is `python -m credits_app serve`: its workers and pools come from
DB_MAX_CONNECTIONS, so the cluster holds at most N x DB_MAX_CONNECTIONS connections.

The same functions start the cluster under test (tests/cluster), which manages the
processes itself so it can kill one.
"""

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from string import Template

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEPLOY_DIR = PROJECT_ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent
REFLEX_OFFLINE = {  # DESIGN §6
    "REFLEX_USE_NPM": "1",
    "REFLEX_TELEMETRY_ENABLED": "false",
    "REFLEX_CHECK_LATEST_VERSION": "false",
}


def public_url(port: int) -> str:
    """Where browsers reach the cluster: HAProxy."""
    return f"http://localhost:{port}"


BUILD_ATTEMPTS = 3


def build_frontend(port: int, env: Mapping[str, str]) -> None:
    """Compile and build the frontend once, for every instance to serve.

    The websocket URL is baked into the bundle, so it must be HAProxy's, not an instance's.
    React Router's prerender gives each page 10 s; on a saturated machine (a CI runner shared
    by parallel jobs) that times out now and then, and nothing is wrong with the build, so a
    failed export is tried again, up to BUILD_ATTEMPTS times in all.
    """
    command = [str(VENV_BIN / "reflex"), "export", "--frontend-only", "--no-zip", "--env", "prod"]
    for attempt in range(1, BUILD_ATTEMPTS + 1):
        result = subprocess.run(
            command, cwd=PROJECT_ROOT, env=dict(env) | {"REFLEX_API_URL": public_url(port)}
        )
        if result.returncode == 0:
            return
        print(f"frontend build failed (attempt {attempt} of {BUILD_ATTEMPTS})", flush=True)
    raise subprocess.CalledProcessError(result.returncode, command)


def render_haproxy_config(port: int, instance_ports: Sequence[int], stats_socket: Path) -> str:
    """deploy/haproxy.cfg.in with the listen address and one server line per instance."""
    servers = "\n".join(
        f"    server app{number} 127.0.0.1:{instance_port} check"
        for number, instance_port in enumerate(instance_ports, start=1)
    )
    template = Template((DEPLOY_DIR / "haproxy.cfg.in").read_text())
    return template.substitute(
        listen=f"127.0.0.1:{port}", servers=servers, stats_socket=str(stats_socket)
    )


def instance_command(instance_port: int) -> list[str]:
    """One app instance, as `serve` starts it."""
    return [sys.executable, "-m", "credits_app", "serve", "--port", str(instance_port)]


def worker_command() -> list[str]:
    """The one background job worker of the cluster (DESIGN §8): the instances run none."""
    return [sys.executable, "-m", "credits_app", "worker"]


CLUSTER_INSTANCE_ENV = {"JOBS_WORKER_IN_APP": "false"}  # jobs run in the worker process


def haproxy_command(config_file: Path) -> list[str]:
    """HAProxy in the foreground (-db), so honcho or a test owns its lifetime."""
    return [haproxy_binary(), "-db", "-f", str(config_file)]


def haproxy_binary() -> str:
    """Debian's haproxy (`make haproxy` installs it)."""
    found = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if Path(p).exists()), None
    )
    if found is None:
        raise SystemExit("haproxy is not installed: run `make haproxy`.")
    return found


def write_procfile(run_dir: Path, port: int, instances: int, base_port: int) -> Path:
    """haproxy.cfg and a Procfile (one line per instance, plus HAProxy) in `run_dir`."""
    ports = [base_port + number for number in range(instances)]
    config = run_dir / "haproxy.cfg"
    config.write_text(render_haproxy_config(port, ports, run_dir / "haproxy.sock"))
    lines = [  # each instance shows up in pg_stat_activity as <DB_APPLICATION_NAME>-<number>
        f"app{number}: env DB_APPLICATION_NAME=$DB_APPLICATION_NAME-{number} "
        + " ".join(instance_command(instance_port))
        for number, instance_port in enumerate(ports, start=1)
    ]
    lines.append("worker: " + " ".join(worker_command()))
    lines.append("haproxy: " + " ".join(haproxy_command(config)))
    procfile = run_dir / "Procfile"
    procfile.write_text("\n".join(lines) + "\n")
    return procfile


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--port", type=int, default=8080, help="HAProxy's port (the public one)")
    parser.add_argument("--base-port", type=int, default=8101, help="first instance's port")
    parser.add_argument("--run-dir", type=Path, default=PROJECT_ROOT / ".cluster")
    parser.add_argument("--no-build", action="store_true", help="reuse the last frontend build")
    args = parser.parse_args(argv)

    env = dict(os.environ) | REFLEX_OFFLINE
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    database_url, redis_url = env.get("DATABASE_URL", ""), env.get("REDIS_URL", "")
    if not database_url.startswith("postgresql") or not redis_url:
        raise SystemExit("A cluster needs DATABASE_URL (Postgres) and REDIS_URL (Redis).")
    env |= {"APP_BASE_URL": public_url(args.port)} | CLUSTER_INSTANCE_ENV
    env.setdefault("DB_APPLICATION_NAME", "universal-credits")
    if not args.no_build:
        build_frontend(args.port, env)
    subprocess.run([sys.executable, "-m", "credits_app", "migrate"], env=env, check=True)
    args.run_dir.mkdir(parents=True, exist_ok=True)
    procfile = write_procfile(args.run_dir, args.port, args.instances, args.base_port)
    print(f"cluster: {args.instances} instances behind {public_url(args.port)} ({procfile})")
    honcho = str(VENV_BIN / "honcho")
    os.execve(honcho, [honcho, "-f", str(procfile), "-d", str(PROJECT_ROOT), "start"], env)


if __name__ == "__main__":
    main()
