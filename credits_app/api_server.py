"""The REST API served on its own: the API process of the embedded default
(PROCESS_ROLE=api, deploy/embedded.py), which HAProxy sends only `/api/*`.

It is the same FastAPI app that Reflex mounts in the page process (credits_app.py), without
the Reflex app around it: no Reflex compile or state at start-up, and per request none of the
outer Starlette layers (Reflex's own CORS, context and body-limit middleware, the mount)
that do nothing for the API (issue 16). CORS is added here as Reflex adds it there.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from credits_app.api import create_api
from credits_app.billing.stripe_gateway import warn_if_simulator_enabled
from credits_app.db import get_engine
from credits_app.observability.logs import configure_logging
from credits_app.settings import allowed_origins, get_settings


@asynccontextmanager
async def _release_database_on_shutdown(_: FastAPI) -> AsyncIterator[None]:
    """As in the page process: on SIGTERM in-flight requests finish, then the pool closes."""
    yield
    get_engine().dispose()


def create_app() -> FastAPI:
    """Granian's factory (`serve` with PROCESS_ROLE=api)."""
    settings = get_settings()
    configure_logging(settings)
    warn_if_simulator_enabled()
    api = create_api(lifespan=_release_database_on_shutdown)
    api.add_middleware(
        CORSMiddleware,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
        allow_origins=allowed_origins(settings),
    )
    return api
