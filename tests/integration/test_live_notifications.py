"""The inbox signal behind the live bell: sent once the change commits, never on rollback.

Embedded mode hands it to in-process subscribers; with REDIS_URL it is one PUBLISH that every
app instance hears (a real redis-server started by the test). The Reflex half (pushing the
count to the tab) is tested in a browser (tests/e2e/test_live_bell.py, tests/cluster).
"""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine

from credits_app.credits import credit_service as credits
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_settings import update_wallet_settings
from credits_app.db import unit_of_work
from credits_app.notifications import live
from credits_app.notifications.inbox import mark_all_read
from credits_app.settings import get_settings
from tests.conftest import make_user
from tests.support.private_servers import PrivateRedis, private_redis


class Heard:
    """What the subscriber of this process was told."""

    def __init__(self) -> None:
        self.signals: list[frozenset[int]] = []

    def __call__(self, user_ids: frozenset[int]) -> None:
        self.signals.append(user_ids)


@pytest.fixture
def heard(monkeypatch: pytest.MonkeyPatch) -> Iterator[Heard]:
    monkeypatch.setattr(get_settings(), "redis_url", None)
    listener = Heard()
    unsubscribe = live.subscribe(listener)
    yield listener
    unsubscribe()


def cross_low(user_id: int) -> None:
    credits.grant_personal_credits(user_id, "50", description="start")
    update_wallet_settings(WalletOwner.user(user_id), {"low_threshold": "40"})
    credits.deduct_personal_credits(user_id, "20", category="other")


def test_a_committed_alert_signals_its_user_once_after_commit(
    any_engine: Engine, heard: Heard
) -> None:
    user = make_user()
    cross_low(user.id)
    assert heard.signals == [frozenset({user.id})]
    mark_all_read(user.id)  # reading in one tab clears the badge in the others
    assert heard.signals[-1] == frozenset({user.id}) and len(heard.signals) == 2


def test_a_rolled_back_alert_signals_nobody(any_engine: Engine, heard: Heard) -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "50", description="start")
    update_wallet_settings(WalletOwner.user(user.id), {"low_threshold": "40"})

    class Abort(Exception):
        pass

    with pytest.raises(Abort), unit_of_work() as db:
        credits.deduct_personal_credits(user.id, "20", category="other", session=db)
        raise Abort
    assert heard.signals == []
    credits.deduct_personal_credits(user.id, "20", category="other")  # the same crossing, kept
    assert heard.signals == [frozenset({user.id})]


@pytest.fixture
def redis_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateRedis]:
    with private_redis(tmp_path / "redis") as server:
        monkeypatch.setattr(get_settings(), "redis_url", server.url)
        yield server


def test_with_redis_the_signal_is_published_for_every_instance(
    any_engine: Engine, redis_server: PrivateRedis
) -> None:
    local = Heard()
    unsubscribe = live.subscribe(local)
    client = redis.Redis.from_url(redis_server.url)
    pubsub = client.pubsub()
    pubsub.subscribe(live.CHANNEL)
    assert pubsub.get_message(timeout=5)["type"] == "subscribe"  # type: ignore[index]
    received: list[frozenset[int]] = []
    done = threading.Event()

    def listen() -> None:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=10)
        if message:
            received.append(live.decode(message["data"]))
        done.set()

    listener = threading.Thread(target=listen)
    listener.start()
    try:
        user = make_user()
        cross_low(user.id)
        assert done.wait(15)
    finally:
        listener.join(15)
        unsubscribe()
        pubsub.close()
        client.close()
    assert received == [frozenset({user.id})]
    assert local.signals == [], "with Redis, in-process subscribers hear it through Redis"


def test_a_malformed_message_names_nobody() -> None:
    assert live.decode(b"not json") == frozenset()
    assert live.decode('{"userIds": ["x"]}') == frozenset()
    assert live.decode(live.encode([3, 1, 3])) == frozenset({1, 3})


def test_with_a_local_signal_socket_a_committed_alert_reaches_the_process_bound_to_it(
    any_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The embedded default's API workers (deploy/embedded.py) have no tabs: they send the
    signal as one datagram to the page process, which bound LIVE_SIGNAL_SOCKET."""
    path = str(tmp_path / "live.sock")
    monkeypatch.setattr(get_settings(), "redis_url", None)
    monkeypatch.setattr(get_settings(), "live_signal_socket", path)
    in_process = Heard()
    unsubscribe = live.subscribe(in_process)
    receiver = live.bind_local(path)
    try:
        user = make_user()
        cross_low(user.id)
        receiver.settimeout(5)
        assert live.decode(receiver.recv(65536)) == frozenset({user.id})
        assert in_process.signals == [], "the socket replaces the in-process subscribers"
    finally:
        unsubscribe()
        receiver.close()


def test_a_signal_to_a_socket_nobody_bound_is_logged_and_the_deduction_still_commits(
    any_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(get_settings(), "redis_url", None)
    monkeypatch.setattr(get_settings(), "live_signal_socket", str(tmp_path / "nobody.sock"))
    user = make_user()
    cross_low(user.id)
    assert credits.get_personal_balance(user.id) == 30
