"""Real app processes (`reflex run --env prod --backend-only`) shared by the API tests.

`api_server` runs without a Stripe key (the built-in checkout simulator, opted into with
STRIPE_SIMULATOR=true) and without an AI provider (the demo model); `stripe_api` runs the real
stripe-python client against a local fake Stripe server; `ai_api_server` sends chats to a local
fake OpenAI-compatible server. All three use the same database.

It runs on the session's Postgres database when TEST_DATABASE_URL is set (always in CI), else
on a SQLite file. Tests isolate themselves by registering their own users and orgs. Test setup
that has no public endpoint (funding a wallet) calls the services on the same database.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import Engine

from credits_app.db import make_engine, use_engine
from credits_app.settings import get_settings
from tests.support.api_client import SERVICE_KEY, ApiClient, no_cookie_jar
from tests.support.app_server import RunningApp, prepare_database, running_app
from tests.support.databases import postgres_admin_url
from tests.support.fake_openai import FAKE_API_KEY, FakeOpenAIServer, running_fake_openai
from tests.support.fake_stripe_server import (
    FAKE_STRIPE_KEY,
    FAKE_WEBHOOK_SECRET,
    FakeStripeServer,
    running_fake_stripe,
)


@pytest.fixture(scope="session")
def api_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The one database the app servers of this session share: Postgres when configured."""
    if postgres_admin_url() is not None:
        url: str = request.getfixturevalue("postgres_url")
        return url
    database_url = f"sqlite:///{tmp_path_factory.mktemp('api-database') / 'credits.db'}"
    prepare_database(database_url, "migrate")
    return database_url


@pytest.fixture(scope="session")
def api_server(
    api_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApp]:
    """The backend with the service API enabled, on Postgres when configured.

    No Stripe key and STRIPE_SIMULATOR=true: purchases go to the built-in checkout simulator.
    """
    directory = tmp_path_factory.mktemp("api-server")
    env = {"SERVICE_API_KEY": SERVICE_KEY, "STRIPE_SIMULATOR": "true"}
    with running_app(api_database_url, directory, backend_only=True, env=env) as app:
        yield app


@pytest.fixture(scope="session")
def api_database_engine(api_database_url: str) -> Iterator[Engine]:
    """This process's engine on the shared database (test setup, assertions on the ledger)."""
    engine = make_engine(api_database_url)
    yield engine
    engine.dispose()


@contextmanager
def _client_for(app: RunningApp, engine: Engine, timeout: float) -> Iterator[ApiClient]:
    """A cookie-less HTTP client for `app`, with this process's services on its database."""
    use_engine(engine)
    with httpx.Client(base_url=app.base_url, timeout=timeout, cookies=no_cookie_jar()) as http:
        yield ApiClient(http)


@pytest.fixture
def api(api_server: RunningApp, api_database_engine: Engine) -> Iterator[ApiClient]:
    """An HTTP client for the running app; services in this process use the same database.

    The client keeps no cookies: a request is authenticated only by what the test sends.
    """
    with _client_for(api_server, api_database_engine, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def fake_stripe() -> Iterator[FakeStripeServer]:
    """A fake Stripe API over HTTP (the simulator behind a socket) that records every request."""
    with running_fake_stripe() as server:
        yield server


@pytest.fixture(scope="session")
def stripe_api(
    api_database_url: str, fake_stripe: FakeStripeServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApp]:
    """The backend configured for "real" Stripe: the real stripe-python client, pointed at the
    fake server, and webhooks verified with `FAKE_WEBHOOK_SECRET`. Same database as `api_server`.
    """
    directory = tmp_path_factory.mktemp("stripe-api-server")
    env = {
        "SERVICE_API_KEY": SERVICE_KEY,
        "STRIPE_SECRET_KEY": FAKE_STRIPE_KEY,
        "STRIPE_API_BASE": fake_stripe.url,
        "STRIPE_WEBHOOK_SECRET": FAKE_WEBHOOK_SECRET,
    }
    with running_app(api_database_url, directory, backend_only=True, env=env) as app:
        yield app


@pytest.fixture
def stripe_api_client(
    stripe_api: RunningApp, api_database_engine: Engine, fake_stripe: FakeStripeServer
) -> Iterator[ApiClient]:
    """An HTTP client for the Stripe-configured app; this process (and so the fake Stripe's
    session store) uses the app's database, and the fake starts each test with a clean record.
    """
    fake_stripe.reset()
    with _client_for(stripe_api, api_database_engine, timeout=60) as client:
        yield client
    fake_stripe.reset()


@pytest.fixture
def stripe_in_process(
    monkeypatch: pytest.MonkeyPatch, fake_stripe: FakeStripeServer
) -> Iterator[None]:
    """This process configured like `stripe_api`, so billing code called in-process (the success
    page's fulfillment, `start_checkout`) also talks to the fake Stripe over HTTP."""
    monkeypatch.setenv("STRIPE_SECRET_KEY", FAKE_STRIPE_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", fake_stripe.url)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", FAKE_WEBHOOK_SECRET)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()  # the next reader sees the environment monkeypatch restores


AI_TEST_MODEL = "gpt-4o-mini"
AI_TEST_TIMEOUT_SECONDS = 2.0
AI_TEST_CONCURRENCY_CAP = 20  # AI requests in flight per user: room for the 20-request races


@pytest.fixture(scope="session")
def fake_openai() -> Iterator[FakeOpenAIServer]:
    """A fake OpenAI-compatible chat server over HTTP that records every request."""
    with running_fake_openai() as server:
        yield server


@pytest.fixture(scope="session")
def ai_api_server(
    api_database_url: str, fake_openai: FakeOpenAIServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApp]:
    """The backend with `AI_BASE_URL` pointing at the fake OpenAI server (default model
    `AI_TEST_MODEL`, provider timeout `AI_TEST_TIMEOUT_SECONDS`, at most `AI_TEST_CONCURRENCY_CAP`
    AI requests in flight per user). Same database as `api_server`.
    """
    directory = tmp_path_factory.mktemp("ai-api-server")
    env = {
        "SERVICE_API_KEY": SERVICE_KEY,
        "AI_BASE_URL": fake_openai.base_url,
        "AI_API_KEY": FAKE_API_KEY,
        "AI_MODEL": AI_TEST_MODEL,
        "AI_TIMEOUT_SECONDS": str(AI_TEST_TIMEOUT_SECONDS),
        "AI_MAX_CONCURRENT_PER_USER": str(AI_TEST_CONCURRENCY_CAP),
    }
    with running_app(api_database_url, directory, backend_only=True, env=env) as app:
        yield app


@pytest.fixture
def ai_api(
    ai_api_server: RunningApp, api_database_engine: Engine, fake_openai: FakeOpenAIServer
) -> Iterator[ApiClient]:
    """An HTTP client for the AI-configured app; the fake provider starts each test clean."""
    fake_openai.reset()
    with _client_for(ai_api_server, api_database_engine, timeout=60) as client:
        yield client
    fake_openai.reset()
