"""Stored 2Bot conversations: per user and wallet context, listed, reopened, deleted by their owner.

The widget writes each answered turn here, so the history survives a restart and is the same
on every instance. Only the conversation's own user may read, extend or delete it (anyone else
gets `ConversationNotFound`, as if it did not exist); an org context also needs membership.
Conversations idle longer than `AI_CONVERSATION_RETENTION_DAYS` are deleted whenever the user's
list is read, and by `purge_expired_conversations` for everyone.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from credits_app.auth.organizations import require_member
from credits_app.clock import utcnow
from credits_app.credits.categories import OwnerKind
from credits_app.credits.errors import CreditsError, InvalidArgument
from credits_app.credits.owners import WalletOwner
from credits_app.db import unit_of_work
from credits_app.models import AiConversation, AiMessage
from credits_app.settings import get_settings

MAX_TITLE_CHARS = 60
MAX_CONTENT_CHARS = 32_000
LIST_LIMIT = 20
ROLES = frozenset({"user", "assistant"})
KINDS = frozenset({"text", "image", "voice"})


class ConversationNotFound(CreditsError):
    """No such conversation for this user."""

    code = "conversation_not_found"

    def __init__(self) -> None:
        super().__init__("There is no such conversation.")


@dataclass(frozen=True)
class StoredMessage:
    role: str
    kind: str
    content: str
    model: str
    credits: str


@dataclass(frozen=True)
class ConversationSummary:
    id: int
    title: str
    updated_at: datetime
    messages: int


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    owner: WalletOwner
    messages: list[StoredMessage]


def start_conversation(user_id: int, owner: WalletOwner, first_message: str) -> int:
    """A new conversation in the wallet context, titled by its first message."""
    _require_context(user_id, owner)
    title = " ".join(first_message.split())[:MAX_TITLE_CHARS] or "New conversation"
    with unit_of_work() as db:
        row = AiConversation(
            user_id=user_id, owner_kind=owner.kind.value, owner_id=owner.id, title=title
        )
        db.add(row)
        db.flush()
        assert row.id is not None
        return row.id


def append_messages(user_id: int, conversation_id: int, messages: list[StoredMessage]) -> None:
    """Add lines to the user's conversation (one transaction) and mark it used now."""
    for message in messages:
        if message.role not in ROLES or message.kind not in KINDS:
            raise InvalidArgument("A stored message needs a known role and kind.")
    with unit_of_work() as db:
        _owned(db, user_id, conversation_id)
        now = utcnow()
        for message in messages:
            db.add(
                AiMessage(
                    conversation_id=conversation_id,
                    role=message.role,
                    kind=message.kind,
                    content=message.content[:MAX_CONTENT_CHARS],
                    model=message.model[:200],
                    credits=message.credits[:40],
                    created_at=now,
                )
            )
        db.execute(
            update(AiConversation)
            .where(col(AiConversation.id) == conversation_id)
            .values(updated_at=now)
        )


def list_conversations(user_id: int, owner: WalletOwner) -> list[ConversationSummary]:
    """The user's conversations in this wallet context, most recently used first."""
    _require_context(user_id, owner)
    with unit_of_work() as db:
        _purge(db, user_id=user_id)
        count = (
            select(func.count(col(AiMessage.id)))
            .where(col(AiMessage.conversation_id) == col(AiConversation.id))
            .scalar_subquery()
        )
        rows = db.execute(
            select(
                col(AiConversation.id),
                col(AiConversation.title),
                col(AiConversation.updated_at),
                count,
            )
            .where(
                col(AiConversation.user_id) == user_id,
                col(AiConversation.owner_kind) == owner.kind.value,
                col(AiConversation.owner_id) == owner.id,
            )
            .order_by(col(AiConversation.updated_at).desc(), col(AiConversation.id).desc())
            .limit(LIST_LIMIT)
        ).all()
    return [ConversationSummary(int(r[0]), r[1], r[2], int(r[3])) for r in rows]


def get_conversation(user_id: int, conversation_id: int) -> Conversation:
    """One of the user's conversations with its messages, oldest first."""
    with unit_of_work() as db:
        row = _owned(db, user_id, conversation_id)
        owner = WalletOwner(OwnerKind(row.owner_kind), row.owner_id)
        messages = db.execute(
            select(AiMessage)
            .where(col(AiMessage.conversation_id) == conversation_id)
            .order_by(col(AiMessage.id))
        ).scalars()
        stored = [StoredMessage(m.role, m.kind, m.content, m.model, m.credits) for m in messages]
    return Conversation(conversation_id, row.title, owner, stored)


def delete_conversation(user_id: int, conversation_id: int) -> None:
    """Delete the user's conversation and its messages."""
    with unit_of_work() as db:
        _owned(db, user_id, conversation_id)
        db.execute(delete(AiMessage).where(col(AiMessage.conversation_id) == conversation_id))
        db.execute(delete(AiConversation).where(col(AiConversation.id) == conversation_id))


def purge_expired_conversations() -> int:
    """Delete every conversation idle past the retention period; returns how many."""
    with unit_of_work() as db:
        return _purge(db)


def _purge(db: Session, *, user_id: int | None = None) -> int:
    cutoff = utcnow() - timedelta(days=get_settings().ai_conversation_retention_days)
    expired = select(col(AiConversation.id)).where(col(AiConversation.updated_at) < cutoff)
    if user_id is not None:
        expired = expired.where(col(AiConversation.user_id) == user_id)
    ids = list(db.execute(expired).scalars())
    if ids:
        db.execute(delete(AiMessage).where(col(AiMessage.conversation_id).in_(ids)))
        db.execute(delete(AiConversation).where(col(AiConversation.id).in_(ids)))
    return len(ids)


def _owned(db: Session, user_id: int, conversation_id: int) -> AiConversation:
    row = db.get(AiConversation, conversation_id)
    if row is None or row.user_id != user_id:
        raise ConversationNotFound()
    return row


def _require_context(user_id: int, owner: WalletOwner) -> None:
    if owner.kind == OwnerKind.ORG:
        require_member(user_id, owner.id)
    elif owner.id != user_id:
        raise ConversationNotFound()
