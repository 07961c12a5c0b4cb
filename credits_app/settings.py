"""Every environment variable the app reads, in one place (DESIGN §5)."""

from functools import lru_cache
from urllib.parse import urlsplit

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process configuration; all optional, the defaults give the embedded demo setup."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite:///credits.db"
    redis_url: str | None = None
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    app_base_url: str = "http://localhost:3000"
    ai_base_url: str | None = None
    ai_api_key: str | None = None
    ai_model: str | None = None
    ai_timeout_seconds: float = 60.0  # per read from the AI provider; then 502, nothing charged
    service_api_key: str | None = None
    balance_refresh_seconds: int = 60  # header balance poll; tests set a few seconds

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
