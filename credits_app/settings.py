"""Every environment variable the app reads, in one place (DESIGN §5)."""

import os
from decimal import Decimal
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process configuration; all optional, the defaults give the embedded demo setup."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite:///credits.db"
    redis_url: str | None = None
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    # The local checkout simulator, only when asked for (`make run` and the tests do) and only
    # while no STRIPE_SECRET_KEY is set: without both, purchases are 503 payments_not_configured.
    stripe_simulator: bool = False
    app_base_url: str = "http://localhost:3000"
    ai_base_url: str | None = None
    ai_api_key: str | None = None
    ai_model: str | None = None
    ai_timeout_seconds: float = 60.0  # per read from the AI provider; then 502, nothing charged
    ai_image_model: str = "dall-e-3"  # with AI_BASE_URL; the demo provider uses "demo-image"
    ai_tts_model: str = "tts-1"
    ai_stt_model: str = "whisper-1"
    ai_max_concurrent_per_user: int = 4  # AI requests in flight per user; then 429
    # With REDIS_URL the cap counts the cluster: each request's slot is a lease renewed while it
    # runs, so a crashed process's slots free themselves after this long.
    ai_slot_lease_seconds: float = Field(30.0, gt=0)
    ai_slots_key_prefix: str = "uc:ai-slots:"  # Redis keys of the per-user slot sets
    ai_conversation_retention_days: int = 30  # stored 2Bot conversations idle longer are deleted
    service_api_key: str | None = None
    balance_refresh_seconds: int = 60  # header balance poll; tests set a few seconds
    # The bell's fallback poll; changes are pushed to open tabs as they happen (bell_push).
    notifications_poll_seconds: int = Field(default=300, ge=1)
    # Per-user caps per rolling hour, counted from the database (429 rate_limited beyond them).
    org_creations_per_hour: int = Field(default=10, ge=1)
    pending_purchases_per_hour: int = Field(default=20, ge=1)
    # Custom-amount purchases (billing/pricing.py): whole credits in this range, priced from the
    # volume tiers in this currency; outside it /api/credits/pricing and purchases answer 400.
    purchase_min_credits: int = Field(default=100, ge=1)
    purchase_max_credits: int = Field(default=10_000_000, ge=1, le=10**11)
    pricing_currency: str = Field(default="usd", pattern=r"^[a-z]{3}$")
    pricing_bonus_expires_days: int = Field(default=0, ge=0, le=3650)  # tier bonus; 0 = never
    # Self-service refunds of marketplace spends (credits/spend_refunds.py), days after the spend.
    refund_window_days: int = Field(default=14, ge=0)
    auto_recharge_retry_pause_seconds: int = Field(default=3600, ge=0)

    # Background jobs (DESIGN §8): the embedded default runs the worker inside the app process;
    # set JOBS_WORKER_IN_APP=false where `python -m credits_app worker` runs it on its own.
    jobs_worker_in_app: bool = True
    jobs_concurrency: int = 4  # worker threads: one slow job (a hanging receiver) blocks none
    jobs_lease_seconds: float = 120.0  # a killed worker's job is claimed again after this
    jobs_poll_seconds: float = 1.0
    expiry_sweep_seconds: int = 60
    # Alerts (DESIGN §4b): outgoing webhooks and email.
    webhook_allow_private_urls: bool = False
    webhook_timeout_seconds: float = 10.0
    smtp_url: str | None = None
    smtp_from: str = "Universal Credits <alerts@localhost>"
    # Scale-out (DESIGN §9): one Postgres connection budget per app instance, shared by its
    # backend worker processes; see db.pool_plan for how workers and pools are derived from it.
    db_max_connections: int = Field(20, ge=1)  # per instance: all its workers' pools together
    backend_workers: int | None = Field(None, ge=1)  # unset: 1 without REDIS_URL, else by cores
    # "api": this process serves only /api behind a proxy that sends the pages and the Reflex
    # websocket elsewhere (deploy/embedded.py), so it needs no Redis for several workers and
    # runs neither the embedded job worker nor the bell's listener.
    process_role: Literal["all", "api"] = "all"
    # Connections a worker keeps open when idle; unset: its whole share (budget / workers).
    # Beyond them a request opens a connection and closes it again, which costs Postgres a
    # backend start: at 8, 16 concurrent deductions ran at ~100 req/s, at the whole share 163
    # (issue 16). Idle ones still go away: the server ends sessions idle 2 x recycle.
    db_pool_idle: int | None = Field(None, ge=1)
    # Embedded default with a separate API process (deploy/embedded.py): the Unix datagram
    # socket on which API workers tell the page process whose inbox changed (no Redis there).
    live_signal_socket: str | None = None
    # A checked token is remembered this long per worker (auth/token_cache.py); 0 = no cache.
    # A sign-out on this machine ends it at once in every worker; on another machine within this.
    token_cache_seconds: float = Field(3.0, ge=0)
    token_revocation_file: str | None = None  # the shared counter; default: in the temp dir
    db_pool_timeout_seconds: float = Field(5.0, gt=0)  # wait for a free connection, then 503
    db_pool_recycle_seconds: int = Field(300, ge=1)  # a connection older than this is replaced
    db_lock_timeout_ms: int = Field(3000, ge=0)  # a row lock wait longer than this: 503 busy
    db_statement_timeout_ms: int = Field(30000, ge=0)  # one statement longer than this: 503
    db_application_name: str = "universal-credits"  # how the app's sessions show in Postgres
    retry_after_busy_seconds: int = 1  # Retry-After of a 503 busy
    retry_after_unavailable_seconds: int = 5  # Retry-After of a 503 unavailable (DB/Redis down)
    shutdown_grace_seconds: int = 30  # SIGTERM: time in-flight requests get to finish
    log_format: Literal["json", "text"] = "json"  # request logs: one JSON object per line
    prometheus_multiproc_dir: str | None = None  # set when several workers share /metrics
    # Credits every new account starts with (0 = none), granted once at sign-up.
    signup_bonus_credits: Decimal = Decimal(0)
    signup_bonus_expires_days: int = Field(30, ge=0)  # the bonus lot's lifetime; 0 = never

    demo_user_email: str = "demo@example.com"
    demo_user_password: str = "demo-password"
    demo_org_slug: str = "demo-org"


def allowed_origins(settings: Settings) -> list[str]:
    """Browser origins allowed to call the API with credentials: the app's own (CORS).

    A local APP_BASE_URL admits both spellings of loopback, so 127.0.0.1 works like localhost.
    """
    parts = urlsplit(settings.app_base_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    twins = {"localhost": "127.0.0.1", "127.0.0.1": "localhost"}
    if parts.hostname in twins:
        port = f":{parts.port}" if parts.port else ""
        return [origin, f"{parts.scheme}://{twins[parts.hostname]}{port}"]
    return [origin]


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()


def publish_to_environment(name: str, value: str) -> None:
    """Hand a setting to a library that reads its own environment variable (Granian's
    GRANIAN_WORKERS, prometheus-client's PROMETHEUS_MULTIPROC_DIR), unless already set."""
    os.environ.setdefault(name, value)


def child_environment(**values: str) -> dict[str, str]:
    """This process's environment plus `values`, for a server this process hands over to."""
    return dict(os.environ) | values
