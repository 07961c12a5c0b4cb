"""Webhook fulfillment claims its event id in the transaction that credits (SQLite and Postgres).

Signed `checkout.session.completed` events of the built-in simulator go through
`handle_stripe_webhook`, the code the route runs: copies of one event delivered together
credit once and the others are duplicates that did no work; a claim that is rolled back (a
failure after it, or its transaction simply ending) leaves the event to the next delivery;
and a first delivery is one transaction that starts with the claim and asks Stripe nothing.
"""

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, text

from credits_app.billing.checkout import start_checkout
from credits_app.billing.stripe_events import already_handled, stripe_events
from credits_app.billing.stripe_gateway import webhook_secret
from credits_app.billing.stripe_simulator import complete_session, signed_event
from credits_app.billing.webhooks import handle_stripe_webhook
from credits_app.clock import utcnow
from credits_app.credits.amounts import MAX_AMOUNT_CREDITS
from credits_app.credits.credit_service import deduct_personal_credits, grant_personal_credits
from credits_app.credits.errors import BalanceLimitExceeded
from credits_app.credits.wallet_service import WalletOwner
from credits_app.db import unit_of_work
from credits_app.settings import get_settings
from tests.conftest import make_user
from tests.support.lots import assert_lots_match_ledger
from tests.support.races import race
from tests.support.stripe_events import UNITS_PER_CREDIT, entry_types, purchase_for

STARTER_UNITS = 1_000 * UNITS_PER_CREDIT
COMPLETED = "checkout.session.completed"


@pytest.fixture(autouse=True)
def _simulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("STRIPE_SIMULATOR", "true")
    for name in ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def paid_event() -> tuple[WalletOwner, str, bytes, str]:
    """A starter purchase paid in the simulator: its owner, session id and signed event."""
    buyer = make_user("buyer")
    owner = WalletOwner.user(buyer.id)
    started = start_checkout(buyer.id, owner, "starter", return_path="/credits")
    session = complete_session(started.session_id)
    payload, header = signed_event(COMPLETED, session, webhook_secret())
    return owner, started.session_id, payload, header


def event_id_of(payload: bytes) -> str:
    event_id: str = json.loads(payload)["id"]
    return event_id


def test_copies_of_one_event_delivered_together_credit_once_and_the_rest_are_duplicates(
    any_engine: Engine,
) -> None:
    owner, session_id, payload, header = paid_event()

    outcomes = race([lambda: handle_stripe_webhook(payload, header)] * 8, threads=8)

    # Never `already_fulfilled`: a copy that passed the event-id read waits on the claim of
    # the first and then finds the id taken, before it reads the purchase.
    assert sorted(outcomes) == ["duplicate"] * 7 + ["fulfilled"]
    assert entry_types(owner) == ["purchase"]
    assert purchase_for(session_id).status == "fulfilled"
    assert_lots_match_ledger(owner)


def test_a_fulfillment_that_fails_after_its_claim_leaves_the_event_to_the_redelivery(
    any_engine: Engine,
) -> None:
    """The credit is refused inside the transaction (the wallet is at its largest balance):
    the claim rolls back with it, so Stripe's redelivery of the same event credits."""
    owner, session_id, payload, header = paid_event()
    with unit_of_work() as db:  # 500 credits short of the largest balance, in grants' steps
        for amount in [MAX_AMOUNT_CREDITS] * 99 + [MAX_AMOUNT_CREDITS - 500]:
            grant_personal_credits(owner.id, amount, description="nearly full", session=db)

    with pytest.raises(BalanceLimitExceeded):
        handle_stripe_webhook(payload, header)

    assert not already_handled(event_id_of(payload))
    assert purchase_for(session_id).status == "pending"
    assert set(entry_types(owner)) == {"grant"}

    deduct_personal_credits(owner.id, "1000000", category="other")
    assert handle_stripe_webhook(payload, header) == "fulfilled"
    assert handle_stripe_webhook(payload, header) == "duplicate"
    assert entry_types(owner)[-2:] == ["usage", "purchase"]
    assert_lots_match_ledger(owner)


@pytest.mark.postgres  # waiting on another transaction's index entry (SQLite: one writer)
@pytest.mark.parametrize(
    ("ending", "expected"), [("commit", "duplicate"), ("rollback", "fulfilled")]
)
def test_a_copy_waits_for_an_uncommitted_claim_and_acts_on_how_it_ends(
    postgres_engine: Engine, ending: str, expected: str
) -> None:
    """Another transaction holds the event id (a copy mid-fulfillment): this copy waits for
    it, then is a duplicate if it committed, or does the work if it rolled back (a crash)."""
    owner, session_id, payload, header = paid_event()
    claim = {"id": event_id_of(payload), "type": COMPLETED, "outcome": "x", "received_at": utcnow()}
    started = threading.Event()
    with postgres_engine.connect() as other, ThreadPoolExecutor(1) as pool:
        transaction = other.begin()
        other.execute(insert(stripe_events).values(**claim))

        def deliver() -> str:
            started.set()
            return handle_stripe_webhook(payload, header)

        copy = pool.submit(deliver)
        started.wait()
        assert _waits_on_a_lock(postgres_engine)
        assert not copy.done()
        # The waiting copy holds no purchase lock (claim first, lock after): the first copy
        # can still lock the purchase, as its fulfillment will, so the two never deadlock.
        other.execute(_LOCK_PURCHASE_NOWAIT, {"session_id": session_id})
        getattr(transaction, ending)()
        assert copy.result(timeout=30) == expected

    assert purchase_for(session_id).status == (
        "fulfilled" if expected == "fulfilled" else "pending"
    )
    assert entry_types(owner) == (["purchase"] if expected == "fulfilled" else [])


_LOCK_PURCHASE_NOWAIT = text(
    "SELECT id FROM purchases WHERE stripe_session_id = :session_id FOR UPDATE NOWAIT"
)
WAITING_ON_A_LOCK = text(
    "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
)


def _waits_on_a_lock(engine: Engine) -> bool:
    """True once some session of this database waits on a lock (polled for up to 10 s)."""
    deadline = time.monotonic() + 10
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            if connection.execute(WAITING_ON_A_LOCK).first() is not None:
                return True
            connection.rollback()
            time.sleep(0.02)
    return False


def test_a_first_delivery_claims_first_in_one_transaction_and_a_redelivery_is_one_read(
    any_engine: Engine,
) -> None:
    handle_stripe_webhook(*paid_event()[2:])  # warm: compiled statements, the cached secret
    owner, _, payload, header = paid_event()
    seen: list[str] = []
    commits: list[object] = []

    def statement(*args: Any) -> None:
        seen.append(" ".join(str(args[2]).split()))

    def commit(connection: object) -> None:
        commits.append(connection)

    event.listen(any_engine, "before_cursor_execute", statement)
    event.listen(any_engine, "commit", commit)
    try:
        assert handle_stripe_webhook(payload, header) == "fulfilled"
        first, first_commits = seen[:], len(commits)
        seen.clear()
        assert handle_stripe_webhook(payload, header) == "duplicate"
        again, again_commits = seen[:], len(commits) - first_commits
    finally:
        event.remove(any_engine, "before_cursor_execute", statement)
        event.remove(any_engine, "commit", commit)

    sql = [s for s in first if not s.startswith(("BEGIN", "PRAGMA"))]
    assert sql[0].startswith("SELECT stripe_events.id FROM stripe_events"), sql
    if any_engine.dialect.name == "postgresql":  # the claim, and the purchase lock after it
        assert sql[1].startswith("WITH claimed AS (INSERT INTO stripe_events"), sql
        assert "ON CONFLICT" in sql[1] and sql[1].endswith("FOR UPDATE) AS locked ON true")
        assert len(sql) == 8, sql  # + wallet lock, move, 3 of notifications, purchase update
    else:
        assert sql[1].startswith("INSERT INTO stripe_events") and "ON CONFLICT" in sql[1], sql
    assert not any("simulated_checkout_sessions" in s or "app_secrets" in s for s in sql), sql
    assert first_commits == 1
    assert [s for s in again if not s.startswith(("BEGIN", "PRAGMA"))] == sql[:1]
    assert again_commits == 0
    assert entry_types(owner) == ["purchase"]
