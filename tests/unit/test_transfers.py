"""Transfers between wallets (DESIGN §3b): lots preserved, both sides linked, all or nothing.

Every test runs on SQLite and Postgres and checks the lot invariants of every wallet it used.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from credits_app.auth.accounts import Role, add_member
from credits_app.auth.errors import Forbidden, OrgNotFound
from credits_app.clock import frozen_at
from credits_app.credits import credit_service as credits
from credits_app.credits import lot_reads, wallet_settings
from credits_app.credits.amounts import Units
from credits_app.credits.categories import LotSource, OwnerKind
from credits_app.credits.drafts import NewLot
from credits_app.credits.errors import IdempotencyConflict, InsufficientCredits, InvalidAmount
from credits_app.credits.owners import WalletOwner
from credits_app.credits.transfers import (
    Recipient,
    RecipientNotFound,
    SelfTransfer,
    transfer,
    transfers,
)
from credits_app.credits.wallet_service import lots
from credits_app.db import unit_of_work
from credits_app.notifications.inbox import list_notifications
from tests.conftest import make_org, make_user
from tests.support.lots import assert_lots_match_ledger

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CREDIT = 10_000
DAY = timedelta(days=1)
_used: list[WalletOwner] = []


@pytest.fixture(autouse=True)
def _database(any_engine: Engine) -> Iterator[None]:
    _used.clear()
    with frozen_at(NOW):
        yield
        for owner in _used:
            assert_lots_match_ledger(owner)


def person(name: str = "sender") -> tuple[int, str, WalletOwner]:
    user = make_user(name)
    owner = WalletOwner.user(user.id)
    _used.append(owner)
    return user.id, user.email, owner


def to_email(email: str) -> Recipient:
    return Recipient(OwnerKind.USER, email=email)


def test_transfer_moves_lots_with_their_expiry_priority_and_cost_basis() -> None:
    sender_id, _, sender = person()
    _, email, receiver = person("receiver")
    soon = NOW + 5 * DAY
    credits.grant(
        sender,
        15,
        description="bought",
        type="purchase",
        lots=(
            NewLot(10 * CREDIT, LotSource.PURCHASE, None, 50, 1000, "usd"),
            NewLot(5 * CREDIT, LotSource.BONUS, soon, 50),
        ),
    )
    result = transfer(sender_id, sender, to_email(email), "7")
    assert result.new_balance == 8 and result.amount == 7
    assert credits.balance(receiver) == 7
    got = lot_reads.list_lots(receiver)
    # The bonus lot (soonest expiry) went first and keeps its expiry; 2 paid credits follow.
    assert [(lot.source, lot.remaining // CREDIT, lot.expires_at) for lot in got] == [
        ("transfer", 5, soon),
        ("transfer", 2, None),
    ]
    with unit_of_work() as db:
        cost = db.execute(
            select(transfers.c.in_entry_id).where(transfers.c.id == result.transfer_id)
        ).scalar_one()
        costs = db.execute(select(lots.c.cost_minor).where(lots.c.entry_id == cost)).scalars()
        assert sorted(c for c in costs if c is not None) == [200]  # 2/10 of 1000 cents


def test_both_entries_carry_the_transfer_id_and_the_counterparty() -> None:
    sender_id, _sender_email, sender = person()
    _, email, receiver = person("receiver")
    credits.grant(sender, 10, description="grant")
    result = transfer(sender_id, sender, to_email(email), 3, note="lunch")
    out = credits.get_history(sender).items[0]
    incoming = credits.get_history(receiver).items[0]
    assert (out.type, out.category, out.amount) == ("transfer_out", "transfer", -3)
    assert (incoming.type, incoming.category, incoming.amount) == ("transfer_in", "transfer", 3)
    assert out.metadata["transferId"] == incoming.metadata["transferId"] == result.transfer_id
    assert out.metadata["counterparty"]["email"] == email
    assert incoming.metadata["counterparty"]["name"] == "Sender"
    assert "email" not in incoming.metadata["counterparty"]
    assert out.metadata["note"] == incoming.metadata["note"] == "lunch"


def test_a_short_transfer_moves_nothing() -> None:
    sender_id, _, sender = person()
    _, email, receiver = person("receiver")
    credits.grant(sender, 2, description="grant")
    with pytest.raises(InsufficientCredits):
        transfer(sender_id, sender, to_email(email), 3)
    assert credits.balance(sender) == 2 and credits.balance(receiver) == 0
    with unit_of_work() as db:
        rows = db.execute(select(transfers.c.id).where(transfers.c.actor_user_id == sender_id))
        assert rows.first() is None
    assert credits.get_history(receiver).items == []


def test_expired_lots_are_never_transferred() -> None:
    sender_id, _, sender = person()
    _, email, receiver = person("receiver")
    credits.grant(
        sender, 5, description="promo", lots=(NewLot(5 * CREDIT, LotSource.PROMOTION, NOW + DAY),)
    )
    with frozen_at(NOW + 2 * DAY), pytest.raises(InsufficientCredits):
        transfer(sender_id, sender, to_email(email), 1)
    assert credits.balance(receiver) == 0


@pytest.mark.parametrize("amount", ["0", "-1", "0.00001", "abc", 0])
def test_bad_amounts_are_refused(amount: object) -> None:
    sender_id, _, sender = person()
    _, email, _ = person("receiver")
    credits.grant(sender, 5, description="grant")
    with pytest.raises(InvalidAmount):
        transfer(sender_id, sender, to_email(email), amount)  # type: ignore[arg-type]
    assert credits.balance(sender) == 5


def test_self_and_unknown_recipients_are_refused() -> None:
    sender_id, email, sender = person()
    credits.grant(sender, 5, description="grant")
    with pytest.raises(SelfTransfer):
        transfer(sender_id, sender, to_email(email.upper()), 1)
    with pytest.raises(RecipientNotFound):
        transfer(sender_id, sender, to_email("nobody@example.com"), 1)
    assert credits.balance(sender) == 5


def test_personal_to_an_org_only_when_the_sender_belongs_to_it() -> None:
    sender_id, _, sender = person()
    stranger = make_user("stranger")
    theirs = make_org(stranger, "theirs")
    credits.grant(sender, 5, description="grant")
    with pytest.raises(RecipientNotFound):
        transfer(sender_id, sender, Recipient(OwnerKind.ORG, id=theirs.id), 1)
    add_member(theirs.id, sender_id, Role.MEMBER)
    transfer(sender_id, sender, Recipient(OwnerKind.ORG, id=theirs.id), 1)
    assert credits.balance(WalletOwner.org(theirs.id)) == 1


def test_org_transfers_are_for_managers_and_to_members_or_managed_orgs() -> None:
    owner = make_user("owner")
    member = make_user("member")
    outsider = make_user("outsider")
    org = make_org(owner, "acme")
    other = make_org(owner, "other")
    add_member(org.id, member.id, Role.MEMBER)
    source = WalletOwner.org(org.id)
    _used.extend([source, WalletOwner.org(other.id), WalletOwner.user(member.id)])
    credits.grant(source, 10, description="grant")
    with pytest.raises(Forbidden):
        transfer(member.id, source, Recipient(OwnerKind.USER, id=member.id), 1)
    with pytest.raises(OrgNotFound):
        transfer(outsider.id, source, Recipient(OwnerKind.USER, id=outsider.id), 1)
    with pytest.raises(RecipientNotFound):
        transfer(owner.id, source, Recipient(OwnerKind.USER, id=outsider.id), 1)
    transfer(owner.id, source, Recipient(OwnerKind.USER, id=member.id), 2)
    transfer(owner.id, source, Recipient(OwnerKind.ORG, id=other.id), 3)
    with pytest.raises(SelfTransfer):
        transfer(owner.id, source, Recipient(OwnerKind.ORG, id=org.id), 1)
    assert credits.balance(source) == 5
    assert credits.balance(WalletOwner.user(member.id)) == 2
    assert credits.balance(WalletOwner.org(other.id)) == 3


def test_one_key_for_the_pair_replays_and_a_changed_request_conflicts() -> None:
    sender_id, _, sender = person()
    _, email, receiver = person("receiver")
    credits.grant(sender, 10, description="grant")
    first = transfer(sender_id, sender, to_email(email), 4, idempotency_key="k1")
    again = transfer(sender_id, sender, to_email(email), 4, idempotency_key="k1")
    assert again.replayed and again.transfer_id == first.transfer_id
    assert again.new_balance == first.new_balance == 6
    with pytest.raises(IdempotencyConflict):
        transfer(sender_id, sender, to_email(email), 5, idempotency_key="k1")
    assert credits.balance(sender) == 6 and credits.balance(receiver) == 4


def test_transfers_do_not_count_toward_the_monthly_limit() -> None:
    sender_id, _, sender = person()
    _, email, _ = person("receiver")
    credits.grant(sender, 100, description="grant")
    wallet_settings.update_wallet_settings(sender, {"monthly_limit": Units(10 * CREDIT)})
    transfer(sender_id, sender, to_email(email), 50)
    assert wallet_settings.get_balance_overview(sender).used_this_month == 0
    credits.deduct(sender, 10, category="other")  # the whole limit is still there


def test_an_operator_transfer_records_the_operator() -> None:
    _, _, sender = person()
    _, email, receiver = person("receiver")
    credits.grant(sender, 3, description="grant")
    transfer(None, sender, to_email(email), 3, operator="ops-anna", note="move")
    assert credits.get_history(receiver).items[0].metadata["operator"] == "ops-anna"


def test_a_transfer_notifies_the_sender_and_the_recipient() -> None:
    sender_id, _, sender = person()
    receiver_id, email, _receiver = person("receiver")
    credits.grant(sender, 10, description="grant")
    transfer(sender_id, sender, to_email(email), 3)
    sent = [item.kind for item in list_notifications(sender_id).items]
    received = [item.kind for item in list_notifications(receiver_id).items]
    assert "transfer.sent" in sent
    assert "transfer.received" in received
