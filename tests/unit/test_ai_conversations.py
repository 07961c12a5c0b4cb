"""Stored 2Bot conversations: per user and wallet context, reopened, deleted, expired, durable."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update

from credits_app.ai.conversations import (
    ConversationNotFound,
    StoredMessage,
    append_messages,
    delete_conversation,
    get_conversation,
    list_conversation_page,
    list_conversations,
    purge_expired_conversations,
    start_conversation,
)
from credits_app.auth.accounts import Role, add_member
from credits_app.auth.errors import OrgNotFound
from credits_app.auth.members import remove_member
from credits_app.clock import utcnow
from credits_app.credits.errors import InvalidArgument, InvalidCursor
from credits_app.credits.owners import WalletOwner
from credits_app.db import make_engine, unit_of_work, use_engine
from credits_app.jobs.catalog import PURGE_CONVERSATIONS, default_registry
from credits_app.jobs.registry import Registry
from credits_app.jobs.worker import Worker, WorkerOptions
from credits_app.models import AiConversation, AiMessage
from tests.conftest import make_org, make_user

QUESTION = StoredMessage("user", "text", "What is a credit hold?", "", "")
ANSWER = StoredMessage("assistant", "text", "A reservation.", "Demo model", "0.0123")


def stored_turn(user_id: int, owner: WalletOwner) -> int:
    conversation_id = start_conversation(user_id, owner, QUESTION.content)
    append_messages(user_id, conversation_id, [QUESTION, ANSWER])
    return conversation_id


def test_a_turn_is_stored_and_reopened_in_order(any_engine: Engine) -> None:
    user = make_user("talker")
    owner = WalletOwner.user(user.id)
    conversation_id = stored_turn(user.id, owner)
    follow_up = StoredMessage("user", "voice", "And how long?", "Demo model", "0.0006")
    append_messages(user.id, conversation_id, [follow_up])
    stored = get_conversation(user.id, conversation_id)
    assert (stored.title, stored.owner) == ("What is a credit hold?", owner)
    assert stored.messages == [QUESTION, ANSWER, follow_up]
    [summary] = list_conversations(user.id, owner)
    assert (summary.id, summary.messages) == (conversation_id, 3)


def test_conversations_are_listed_per_wallet_context_newest_first(any_engine: Engine) -> None:
    user = make_user("member")
    org = make_org(user, "studio")
    personal, org_wallet = WalletOwner.user(user.id), WalletOwner.org(org.id)
    first = stored_turn(user.id, personal)
    in_org = stored_turn(user.id, org_wallet)
    second = stored_turn(user.id, personal)
    append_messages(user.id, first, [ANSWER])  # used last: listed first
    assert [c.id for c in list_conversations(user.id, personal)] == [first, second]
    assert [c.id for c in list_conversations(user.id, org_wallet)] == [in_org]


def test_only_the_owner_reads_extends_or_deletes_a_conversation(any_engine: Engine) -> None:
    owner_user, other = make_user("owner"), make_user("other")
    conversation_id = stored_turn(owner_user.id, WalletOwner.user(owner_user.id))
    for attempt in (
        lambda: get_conversation(other.id, conversation_id),
        lambda: append_messages(other.id, conversation_id, [QUESTION]),
        lambda: delete_conversation(other.id, conversation_id),
        lambda: list_conversations(other.id, WalletOwner.user(owner_user.id)),
    ):
        with pytest.raises(ConversationNotFound):
            attempt()
    with pytest.raises(OrgNotFound):  # an org context needs membership
        list_conversations(other.id, WalletOwner.org(make_org(owner_user, "private").id))
    delete_conversation(owner_user.id, conversation_id)
    with pytest.raises(ConversationNotFound):
        get_conversation(owner_user.id, conversation_id)
    assert list_conversations(owner_user.id, WalletOwner.user(owner_user.id)) == []


def backdate(conversation_id: int, days: int) -> None:
    with unit_of_work() as db:
        db.execute(
            update(AiConversation)
            .where(AiConversation.id == conversation_id)  # type: ignore[arg-type]
            .values(updated_at=utcnow() - timedelta(days=days))
        )


def stored_ids() -> set[int]:
    with unit_of_work() as db:
        return set(db.execute(select(AiConversation.id)).scalars())  # type: ignore[call-overload]


def test_conversations_idle_past_the_retention_are_hidden_then_purged(any_engine: Engine) -> None:
    user = make_user("forgetful")
    owner = WalletOwner.user(user.id)
    old, recent = stored_turn(user.id, owner), stored_turn(user.id, owner)
    backdate(old, 31)
    assert [c.id for c in list_conversations(user.id, owner)] == [recent]
    with pytest.raises(ConversationNotFound):
        get_conversation(user.id, old)
    assert old in stored_ids(), "reading hides it; deleting is the periodic job's work"
    assert purge_expired_conversations() >= 1
    assert old not in stored_ids() and recent in stored_ids()
    with unit_of_work() as db:
        assert db.execute(select(AiMessage).where(AiMessage.conversation_id == old)).first() is None  # type: ignore[arg-type]


def test_the_purge_deletes_a_large_backlog_in_batches(sqlite_engine: Engine) -> None:
    user = make_user("hoarder")
    owner = WalletOwner.user(user.id)
    expired = [stored_turn(user.id, owner) for _ in range(7)]
    for conversation_id in expired:
        backdate(conversation_id, 40)
    kept = stored_turn(user.id, owner)
    assert purge_expired_conversations(batch=3) == 7
    assert stored_ids() == {kept}


def test_the_worker_purges_expired_conversations_on_its_periodic_schedule(
    sqlite_engine: Engine,
) -> None:
    user = make_user("idle")
    owner = WalletOwner.user(user.id)
    old, recent = stored_turn(user.id, owner), stored_turn(user.id, owner)
    backdate(old, 31)
    catalog = default_registry()
    assert catalog.periodic[PURGE_CONVERSATIONS].every() == timedelta(hours=1)
    only_purge = Registry(
        kinds={PURGE_CONVERSATIONS: catalog.kinds[PURGE_CONVERSATIONS]},
        periodic={PURGE_CONVERSATIONS: catalog.periodic[PURGE_CONVERSATIONS]},
    )
    worker = Worker(only_purge, WorkerOptions(lease=timedelta(seconds=30)))
    assert worker.schedule_periodic() == 1
    assert worker.schedule_periodic() == 0, "once per period"
    assert worker.run_due() == 1
    assert stored_ids() == {recent}


def test_an_org_conversation_closes_to_a_user_who_left_the_org(any_engine: Engine) -> None:
    owner_user, member = make_user("boss"), make_user("leaver")
    org = make_org(owner_user, "team")
    add_member(org.id, member.id, Role.MEMBER)
    conversation_id = stored_turn(member.id, WalletOwner.org(org.id))
    assert get_conversation(member.id, conversation_id).owner == WalletOwner.org(org.id)
    remove_member(owner_user.id, org.id, member.id)
    for attempt in (
        lambda: get_conversation(member.id, conversation_id),
        lambda: delete_conversation(member.id, conversation_id),
    ):
        with pytest.raises(ConversationNotFound):
            attempt()


def test_conversations_are_paged_by_cursor_without_repeats(any_engine: Engine) -> None:
    user = make_user("pager")
    owner = WalletOwner.user(user.id)
    ids = [stored_turn(user.id, owner) for _ in range(5)]
    first = list_conversation_page(user.id, owner, limit=2)
    assert [c.id for c in first.items] == ids[:-3:-1] and first.next_cursor
    append_messages(user.id, ids[0], [ANSWER])  # used while paging: moves to the front
    second = list_conversation_page(user.id, owner, limit=2, cursor=first.next_cursor)
    assert [c.id for c in second.items] == [ids[2], ids[1]] and second.next_cursor is None
    with pytest.raises(InvalidCursor):
        list_conversation_page(user.id, owner, cursor="not-ours")
    with pytest.raises(InvalidArgument):
        list_conversation_page(user.id, owner, limit=101)


def test_a_restart_sees_the_same_history(sqlite_engine: Engine) -> None:
    user = make_user("durable")
    owner = WalletOwner.user(user.id)
    conversation_id = stored_turn(user.id, owner)
    use_engine(make_engine(str(sqlite_engine.url)))  # a new process: a new engine, same file
    assert get_conversation(user.id, conversation_id).messages == [QUESTION, ANSWER]


def test_a_stored_message_needs_a_known_role_and_kind(any_engine: Engine) -> None:
    user = make_user("strict")
    conversation_id = start_conversation(user.id, WalletOwner.user(user.id), "hi")
    with pytest.raises(Exception, match="role and kind"):
        append_messages(user.id, conversation_id, [StoredMessage("robot", "text", "x", "", "")])
