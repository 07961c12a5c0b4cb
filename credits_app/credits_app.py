"""The Reflex app: the pages plus the REST API mounted through `api_transformer`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import reflex as rx

from credits_app import cluster_sessions, styles
from credits_app.api import create_api
from credits_app.billing.stripe_gateway import warn_if_simulator_enabled
from credits_app.components.connection_banner import connection_banner
from credits_app.db import get_engine
from credits_app.jobs.embedded import embedded_worker
from credits_app.observability.logs import configure_logging
from credits_app.pages import (  # noqa: F401  (registers the pages)
    account,
    auth,
    billing,
    credits,
    not_found,
    organizations,
)
from credits_app.settings import get_settings
from credits_app.state.bell_push import live_bell

configure_logging(get_settings())
# With REDIS_URL: a browser whose instance was killed (-9) keeps its token and state when it
# reconnects to another instance (cluster_sessions explains Reflex's stale socket records).
cluster_sessions.install()

app = rx.App(
    api_transformer=create_api(),
    style=styles.BASE_STYLE,
    stylesheets=styles.STYLESHEETS,
    toaster=rx.toast.provider(position=styles.TOAST_POSITION),
    # Sign-in/out helpers for the browser (the password never crosses the websocket).
    head_components=[rx.script(src="/uc-session.js", defer=True)],
)


@asynccontextmanager
async def _release_database_on_shutdown() -> AsyncIterator[None]:
    """On SIGTERM the server stops accepting and finishes in-flight requests; then this
    closes the worker's pooled connections, so a stopped instance leaves none behind."""
    yield
    get_engine().dispose()


app.register_lifespan_task(_release_database_on_shutdown)
if get_settings().process_role == "all":  # an API-only process holds no tabs and runs no jobs
    # The embedded default runs the job worker in the app process (JOBS_WORKER_IN_APP, §8).
    app.register_lifespan_task(embedded_worker)
    # The bell is pushed to open tabs when a notification is committed (embedded or Redis).
    app.register_lifespan_task(live_bell)
# "Reconnecting…" instead of Reflex's developer toast about the websocket (stateful pages only).
app.app_wraps[(5, "Overlay")] = lambda stateful: connection_banner() if stateful else None

warn_if_simulator_enabled()  # every worker says it, loudly, at startup
