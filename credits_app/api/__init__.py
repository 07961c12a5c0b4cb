"""The REST API (DESIGN §4): a FastAPI app that Reflex mounts in front of its own routes."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI

from credits_app.api.errors import install_error_handlers
from credits_app.api.middleware import API_PREFIX, RequestObservation
from credits_app.api.routes import (
    account,
    ai_chat,
    ai_conversations,
    ai_media,
    auth,
    auto_recharge,
    billing,
    credits,
    docs,
    entry_lots,
    health,
    history_export,
    internal,
    metrics,
    notifications,
    orgs,
    packages,
    purchases,
    stripe_simulator,
    stripe_webhook,
    transfers,
    webhook_endpoints,
)


def create_api(
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]] | None = None,
) -> FastAPI:
    """Build the API app: once for Reflex to mount in front of its routes (`api`), or for the
    API process on its own (api_server.py, with its own lifespan)."""
    api = FastAPI(
        lifespan=lifespan,
        title="Universal Credits API",
        version="1.0.0",
        description="One credit currency for personal and organization wallets.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # served by routes/docs.py, with its assets from this app
        redoc_url=None,
    )
    routers = [health, auth, orgs, packages, credits, purchases, ai_chat, ai_media, internal]
    routers += [notifications, webhook_endpoints, history_export, account, transfers]
    routers += [ai_conversations, billing, entry_lots, auto_recharge]
    for module in (*routers, stripe_webhook, stripe_simulator, docs):
        api.include_router(module.router, prefix=API_PREFIX)
    api.include_router(metrics.router)
    docs.mount_docs_assets(api)
    install_error_handlers(api)
    api.add_middleware(RequestObservation)
    return api
