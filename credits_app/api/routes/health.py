"""Health probes: `/api/health/live` (the process answers), `/api/health/ready` (it can serve:
the database and, when configured, Redis answer). `/api/health` is the older name of ready.

A load balancer sends traffic only to ready instances; an orchestrator restarts ones that
are not live. Ready uses its own short timeouts so a hung dependency fails the probe fast.
"""

from functools import lru_cache

import redis
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from credits_app.db import get_engine
from credits_app.settings import get_settings

router = APIRouter(tags=["health"])
REDIS_PROBE_TIMEOUT_SECONDS = 1.0


@router.get("/health/live")
def live() -> JSONResponse:
    """200 as long as this worker can run a request at all."""
    return JSONResponse({"status": "ok"})


@router.get("/health/ready")
def ready() -> JSONResponse:
    """200 when every dependency answers, else 503 naming the one that does not."""
    checks = {"database": _database_answers()}
    if get_settings().redis_url is not None:
        checks["redis"] = _redis_answers()
    healthy = all(checks.values())
    body = {
        "status": "ok" if healthy else "error",
        **{name: "ok" if ok else "unreachable" for name, ok in checks.items()},
    }
    return JSONResponse(body, status_code=200 if healthy else 503)


@router.get("/health")
def health() -> JSONResponse:
    """The readiness probe under its first name (kept for existing probes and tests)."""
    return ready()


def _database_answers() -> bool:
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True


def _redis_answers() -> bool:
    try:
        return bool(_redis_client().ping())
    except redis.RedisError:
        return False


@lru_cache(maxsize=1)
def _redis_client() -> "redis.Redis":
    """One client per worker; it reconnects by itself after Redis restarts."""
    url = get_settings().redis_url or ""
    return redis.Redis.from_url(
        url,
        socket_timeout=REDIS_PROBE_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_PROBE_TIMEOUT_SECONDS,
    )
