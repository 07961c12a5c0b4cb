"""Stored 2Bot conversations: per user and wallet context, reopened, deleted, expired, durable."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine, update

from credits_app.ai.conversations import (
    ConversationNotFound,
    StoredMessage,
    append_messages,
    delete_conversation,
    get_conversation,
    list_conversations,
    purge_expired_conversations,
    start_conversation,
)
from credits_app.auth.errors import OrgNotFound
from credits_app.clock import utcnow
from credits_app.credits.owners import WalletOwner
from credits_app.db import make_engine, unit_of_work, use_engine
from credits_app.models import AiConversation
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


def test_conversations_idle_past_the_retention_are_deleted(any_engine: Engine) -> None:
    user = make_user("forgetful")
    owner = WalletOwner.user(user.id)
    old, recent = stored_turn(user.id, owner), stored_turn(user.id, owner)
    with unit_of_work() as db:
        db.execute(
            update(AiConversation)
            .where(AiConversation.id == old)  # type: ignore[arg-type]
            .values(updated_at=utcnow() - timedelta(days=31))
        )
    assert [c.id for c in list_conversations(user.id, owner)] == [recent]
    with pytest.raises(ConversationNotFound):
        get_conversation(user.id, old)
    assert purge_expired_conversations() == 0


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
