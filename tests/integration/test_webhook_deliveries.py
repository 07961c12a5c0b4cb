"""Outgoing webhooks over real HTTP to a receiver in the test, verified with `standardwebhooks`.

Most tests run the `webhook.deliver` handler directly on the delivery they created (the
queue itself is tested in test_jobs.py), so they never touch other tests' jobs in the shared
database. The hanging-receiver and kill -9 tests run real workers on a scratch database.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from standardwebhooks.webhooks import Webhook

from credits_app.clock import frozen_at, utcnow
from credits_app.credits import credit_service as credits
from credits_app.credits.categories import TransactionType
from credits_app.credits.owners import WalletOwner
from credits_app.db import make_engine, unit_of_work, use_engine
from credits_app.jobs.catalog import default_registry
from credits_app.jobs.outbox import jobs
from credits_app.jobs.registry import JobContext, RetryLater
from credits_app.jobs.worker import Worker, WorkerOptions, running_in_thread
from credits_app.migrations import upgrade_to_head
from credits_app.notifications import endpoints
from credits_app.notifications.delivery import deliver_webhook, deliveries
from credits_app.notifications.policies import DELIVER_WEBHOOK, WEBHOOK_RETRY_FOR
from credits_app.notifications.url_guard import InvalidWebhookUrl, check_url
from credits_app.settings import get_settings
from tests.conftest import make_user
from tests.support.app_server import PROJECT_ROOT, app_environment
from tests.support.databases import postgres_admin_url, scratch_postgres_database
from tests.support.webhook_receiver import HANG, webhook_receiver


@pytest.fixture
def private_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receiver listens on 127.0.0.1: allow it, as WEBHOOK_ALLOW_PRIVATE_URLS=true does."""
    monkeypatch.setattr(get_settings(), "webhook_allow_private_urls", True)
    monkeypatch.setattr(get_settings(), "webhook_timeout_seconds", 2.0)


def subscribed_user(url: str) -> tuple[int, endpoints.CreatedEndpoint]:
    user = make_user()
    created = endpoints.create_endpoint(
        WalletOwner.user(user.id), user.id, url, ["purchase.completed", "balance.low"]
    )
    return user.id, created


def purchase(user_id: int, amount: str = "25") -> None:
    credits.grant_personal_credits(
        user_id, amount, description="Purchase", type=TransactionType.PURCHASE
    )


def delivery_ids(user_id: int, endpoint_id: int) -> list[int]:
    log = endpoints.list_deliveries(WalletOwner.user(user_id), endpoint_id)
    return [delivery.id for delivery in reversed(log)]


def attempt(delivery_id: int, number: int = 1) -> None:
    deliver_webhook(JobContext(0, DELIVER_WEBHOOK, {"deliveryId": delivery_id}, number, 60))


def delivery(delivery_id: int) -> dict:
    with unit_of_work() as db:
        row = db.execute(select(deliveries).where(deliveries.c.id == delivery_id)).one()
    return dict(row._mapping)


@pytest.mark.usefixtures("private_urls")
def test_a_delivery_is_signed_per_standard_webhooks_and_verifies(any_engine: Engine) -> None:
    with webhook_receiver() as receiver:
        user_id, created = subscribed_user(receiver.url)
        purchase(user_id)
        [delivery_id] = delivery_ids(user_id, created.endpoint.id)
        attempt(delivery_id)
        [request] = receiver.wait_for(1)
    payload = Webhook(created.secret).verify(request.body, request.headers)
    assert payload["type"] == "purchase.completed"
    assert payload["data"]["wallet"] == {"type": "user", "id": user_id}
    assert payload["data"]["amount"] == "25.0000"
    assert request.headers["webhook-id"] == f"msg_{delivery_id}"
    assert created.secret.startswith("whsec_")
    row = delivery(delivery_id)
    assert (row["status"], row["attempts"], row["last_status_code"]) == ("delivered", 1, 200)
    attempt(delivery_id, 2)  # a duplicate run of the job (at least once) sends nothing
    assert len(receiver.requests) == 1


@pytest.mark.usefixtures("private_urls")
def test_send_test_event_delivers_a_signed_test_to_that_endpoint(any_engine: Engine) -> None:
    with webhook_receiver() as receiver:
        user_id, created = subscribed_user(receiver.url)
        delivery_id = endpoints.send_test_event(WalletOwner.user(user_id), created.endpoint.id)
        attempt(delivery_id)
        [request] = receiver.wait_for(1)
    payload = Webhook(created.secret).verify(request.body, request.headers)
    assert payload["type"] == "webhook.test"
    assert payload["data"]["wallet"] == {"type": "user", "id": user_id}
    with pytest.raises(endpoints.EndpointNotFound):
        endpoints.send_test_event(WalletOwner.user(make_user().id), created.endpoint.id)


@pytest.mark.usefixtures("private_urls")
def test_a_500_is_retried_later_with_the_same_webhook_id(any_engine: Engine) -> None:
    with webhook_receiver(500) as receiver:
        user_id, created = subscribed_user(receiver.url)
        purchase(user_id)
        [delivery_id] = delivery_ids(user_id, created.endpoint.id)
        with pytest.raises(RetryLater) as retry:
            attempt(delivery_id)
        assert retry.value.delay == timedelta(seconds=30)
        failed = delivery(delivery_id)
        assert (failed["status"], failed["attempts"], failed["last_status_code"]) == (
            "pending",
            1,
            500,
        )
        attempt(delivery_id, 2)
        first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == f"msg_{delivery_id}"
    assert first.body == second.body
    Webhook(created.secret).verify(second.body, second.headers)
    assert delivery(delivery_id)["status"] == "delivered"


@pytest.mark.usefixtures("private_urls")
def test_a_delivery_still_failing_after_24_hours_is_marked_failed(any_engine: Engine) -> None:
    with webhook_receiver(503, 503) as receiver:
        user_id, created = subscribed_user(receiver.url)
        purchase(user_id)
        [delivery_id] = delivery_ids(user_id, created.endpoint.id)
        with frozen_at(utcnow() + WEBHOOK_RETRY_FOR - timedelta(seconds=1)):
            attempt(delivery_id)  # the next try would be past the 24 hours: give up now
        receiver.wait_for(1)
    row = delivery(delivery_id)
    assert (row["status"], row["next_attempt_at"], row["last_status_code"]) == ("failed", None, 503)


@pytest.mark.usefixtures("private_urls")
def test_redirects_are_not_followed(any_engine: Engine) -> None:
    with webhook_receiver(302) as receiver:
        user_id, created = subscribed_user(receiver.url)
        purchase(user_id)
        [delivery_id] = delivery_ids(user_id, created.endpoint.id)
        with pytest.raises(RetryLater):
            attempt(delivery_id)
        assert len(receiver.wait_for(1)) == 1
    assert delivery(delivery_id)["last_status_code"] == 302


def test_no_delivery_reaches_a_private_address_with_the_flag_off(
    any_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with webhook_receiver() as receiver:
        monkeypatch.setattr(get_settings(), "webhook_allow_private_urls", True)
        user_id, created = subscribed_user(receiver.url.replace("127.0.0.1", "localhost"))
        purchase(user_id)
        monkeypatch.setattr(get_settings(), "webhook_allow_private_urls", False)
        [delivery_id] = delivery_ids(user_id, created.endpoint.id)
        with pytest.raises(RetryLater):
            attempt(delivery_id)
        assert receiver.requests == []
    row = delivery(delivery_id)
    assert row["status"] == "pending" and row["last_status_code"] is None
    assert "non-public address" in row["last_error"]


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://user:pw@example.com/hook",
        "ftp://example.com",
        "not a url",
        "https://example.com/\x00",
        "https://exämple.com/",
    ],
)
def test_endpoint_urls_must_be_https_and_public(url: str) -> None:
    with pytest.raises(InvalidWebhookUrl):
        check_url(url)


def test_a_public_https_url_is_accepted() -> None:
    assert check_url("https://93.184.215.14/hook") == "https://93.184.215.14/hook"


@pytest.fixture
def scratch_database(postgres_url: str) -> Iterator[tuple[str, Engine]]:
    admin_url = postgres_admin_url()
    assert admin_url is not None
    with scratch_postgres_database(admin_url, prefix="webhooks_test") as url:
        engine = make_engine(url)
        upgrade_to_head(engine, log=False)
        use_engine(engine)
        yield url, engine
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.usefixtures("private_urls")
def test_a_hanging_receiver_does_not_block_other_deliveries(
    scratch_database: tuple[str, Engine],
) -> None:
    with webhook_receiver(HANG) as hanging, webhook_receiver() as healthy:
        slow_user, _ = subscribed_user(hanging.url)
        fast_user, fast = subscribed_user(healthy.url)
        purchase(slow_user)
        hanging_worker = Worker(default_registry(), WorkerOptions(poll_seconds=0.05))
        with running_in_thread(hanging_worker):
            hanging.wait_for(1)  # the worker is now stuck on the hanging receiver...
            purchase(fast_user)
            healthy.wait_for(1)  # ...and still delivers to the healthy one
            assert not hanging.release.is_set()
        [fast_delivery] = delivery_ids(fast_user, fast.endpoint.id)
        assert delivery(fast_delivery)["status"] == "delivered"


@pytest.mark.postgres
def test_a_worker_killed_mid_delivery_leaves_it_to_be_delivered_once(
    scratch_database: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = scratch_database
    monkeypatch.setattr(get_settings(), "webhook_allow_private_urls", True)
    env = {
        "WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        "JOBS_LEASE_SECONDS": "1",
        "JOBS_POLL_SECONDS": "0.1",
    }
    with webhook_receiver(HANG) as receiver:
        user_id, created = subscribed_user(receiver.url)
        purchase(user_id)
        doomed = _worker_process(url, env)
        try:
            receiver.wait_for(1)
        finally:
            os.kill(doomed.pid, signal.SIGKILL)
            doomed.wait(timeout=10)
        second = _worker_process(url, env)
        try:
            first, retried = receiver.wait_for(2)
            [delivery_id] = delivery_ids(user_id, created.endpoint.id)
            _wait_delivered(delivery_id)
        finally:
            second.terminate()
            second.wait(timeout=30)
    assert first.headers["webhook-id"] == retried.headers["webhook-id"] == f"msg_{delivery_id}"
    assert json.loads(first.body) == json.loads(retried.body)
    row = delivery(delivery_id)
    assert (row["status"], row["attempts"]) == ("delivered", 1), "recorded once, by the survivor"
    with unit_of_work() as db:
        job = db.execute(
            select(jobs.c.status, jobs.c.attempts).where(jobs.c.kind == DELIVER_WEBHOOK)
        ).one()
    assert tuple(job) == ("done", 2)


def _worker_process(database_url: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "credits_app", "worker"],
        cwd=PROJECT_ROOT,
        env=app_environment(database_url, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_delivered(delivery_id: int) -> None:
    deadline = time.monotonic() + 30
    while delivery(delivery_id)["status"] != "delivered":
        assert time.monotonic() < deadline, delivery(delivery_id)
        time.sleep(0.05)
