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

# The routers under /api, in matching order. FastAPI tries a request against them one route
# at a time (a few microseconds a route, ~0.15 ms for a path behind ~90 routes), so the
# busiest paths come first: service deductions, Stripe's deliveries, the balance and history
# reads, chat. No path of one route can match another's (tests/unit/
# test_api_route_order.py), so the order decides nothing but the time to find a route.
ROUTE_MODULES = (
    *(internal, stripe_webhook, credits, ai_chat, health, auth, orgs, packages, purchases),
    *(ai_media, notifications, webhook_endpoints, history_export, account, transfers),
    *(ai_conversations, billing, entry_lots, auto_recharge, stripe_simulator, docs),
)
# The reference's sections (Swagger UI follows this list, not the routers' order above).
DOCS_TAG_ORDER: tuple[str, ...] = (
    *("health", "auth", "organizations", "account", "credits", "purchases", "2bot-ai"),
    *("internal", "notifications", "webhook endpoints", "transfers", "billing"),
    *("auto-recharge", "stripe"),
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
        openapi_tags=[{"name": tag} for tag in DOCS_TAG_ORDER],
    )
    for module in ROUTE_MODULES:
        api.include_router(module.router, prefix=API_PREFIX)
    api.include_router(metrics.router)
    docs.mount_docs_assets(api)
    install_error_handlers(api)
    api.add_middleware(RequestObservation)
    return api
