"""The REST API: a FastAPI app that Reflex mounts in front of its own routes."""

from fastapi import FastAPI

from credits_app.api.routes import health


def create_api() -> FastAPI:
    """Build the API app once; Reflex serves it on the same port as the UI."""
    api = FastAPI(
        title="Universal Credits API",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    api.include_router(health.router, prefix="/api")
    return api


api = create_api()
