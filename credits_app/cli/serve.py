"""`serve`: run one app instance of a cluster from a frontend built once (deploy/, DESIGN §9).

`reflex run --env prod` compiles and builds the frontend every time it starts, and rebuilds
into the directory its neighbours serve from. A cluster instead builds once
(`reflex export --frontend-only --no-zip` with API_URL = the load balancer) and starts every
instance with this command: Granian, as `reflex run` would start it, with

- the worker count from the connection budget (`db.pool_plan`), not 2 x cores + 1;
- the compiled frontend mounted (when it was built), Reflex's compile step skipped;
- a fresh prometheus-client multiprocess directory when there is more than one worker.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from credits_app.cli.common import err_console, fail
from credits_app.db import pool_plan
from credits_app.settings import child_environment, get_settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BUILT_FRONTEND = PROJECT_ROOT / ".web" / "build" / "client"


def serve(
    port: Annotated[int, typer.Option(help="Port this instance listens on.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
) -> None:
    """Serve one production instance: backend workers from DB_MAX_CONNECTIONS, the frontend
    from the last `reflex export` (run `make cluster` to build it)."""
    settings = get_settings()
    try:
        plan = pool_plan(settings)
    except ValueError as error:
        fail(str(error))
    granian = shutil.which("granian") or fail("granian is not installed (it comes with reflex).")
    _tell_reflex_workers(frontend=BUILT_FRONTEND.is_dir())
    libraries = {"GRANIAN_WORKERS": str(plan.workers)}
    if plan.workers > 1 and not settings.prometheus_multiproc_dir:  # a launcher may share one
        libraries["PROMETHEUS_MULTIPROC_DIR"] = _fresh_metrics_dir(port)
    env = child_environment(**libraries)
    err_console.print(
        f"serving {'the API' if settings.process_role == 'api' else 'the app'} on {host}:{port}: "
        f"{plan.workers} workers x {plan.per_worker} connections "
        f"({plan.pool_size} kept idle), budget {settings.db_max_connections}; frontend "
        + (
            "not served (API only)"
            if settings.process_role == "api"
            else "mounted"
            if BUILT_FRONTEND.is_dir()
            else "not built (API only)"
        )
    )
    command = [
        granian,
        *("--interface", "asgi"),
        "--factory",
        *("--host", host),
        *("--port", str(port)),
        *("--workers", str(plan.workers)),
        "--respawn-failed-workers",  # a crashed worker is replaced, the instance stays up
        # On SIGTERM: stop accepting, let in-flight requests finish, then stop the workers.
        *("--workers-kill-timeout", str(settings.shutdown_grace_seconds)),
        # The API process (PROCESS_ROLE=api) serves the FastAPI app without Reflex around it.
        "credits_app.api_server:create_app"
        if settings.process_role == "api"
        else "credits_app.credits_app:app",
    ]
    sys.stdout.flush()
    os.chdir(PROJECT_ROOT)
    os.execvpe(granian, command, env)  # the server takes this process: signals go straight to it


def _tell_reflex_workers(*, frontend: bool) -> None:
    """What `reflex run --env prod` tells its Granian workers, through Reflex's own
    environment API (some of these variables are internal to Reflex and renamed by it)."""
    from reflex_base import constants
    from reflex_base.environment import environment

    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)
    environment.REFLEX_MOUNT_FRONTEND_COMPILED_APP.set(frontend)


def _fresh_metrics_dir(port: int) -> str:
    """An empty directory for this instance's metric files (stale files would be summed)."""
    directory = Path(tempfile.gettempdir()) / f"credits-metrics-{port}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return str(directory)
