"""Stored 2Bot conversations: per user and wallet context, listed, reopened, deleted by their owner.

The widget writes each answered turn here, so the history survives a restart and is the same
on every instance. Only the conversation's own user may read, extend or delete it (anyone else
gets `ConversationNotFound`, as if it did not exist); an org context also needs membership, then
and now (a user who left the org no longer sees what they said in its context).
Conversations idle longer than `AI_CONVERSATION_RETENTION_DAYS` are deleted by
`purge_expired_conversations`, the worker's periodic `ai.purge_conversations` job; until it runs,
reads already hide them, so the retention holds to the second whatever the job's period.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, delete, func, or_, select, update
from sqlmodel import Session, col

from credits_app.auth.errors import OrgNotFound
from credits_app.auth.organizations import require_member
from credits_app.clock import as_utc, utcnow
from credits_app.credits.categories import OwnerKind
from credits_app.credits.errors import CreditsError, InvalidArgument
from credits_app.credits.history_cursor import decode_cursor, encode_cursor
from credits_app.credits.owners import WalletOwner
from credits_app.db import unit_of_work
from credits_app.models import AiConversation, AiMessage
from credits_app.settings import get_settings

MAX_TITLE_CHARS = 60
MAX_CONTENT_CHARS = 32_000
LIST_LIMIT = 20
MAX_PAGE = 100
PURGE_BATCH = 500
ROLES = frozenset({"user", "assistant"})
KINDS = frozenset({"text", "image", "voice"})


class ConversationNotFound(CreditsError):
    """No such conversation for this user."""

    code = "conversation_not_found"

    def __init__(self) -> None:
        super().__init__("There is no such conversation.")


@dataclass(frozen=True)
class StoredMessage:
    """One line as the widget showed it; `credits` is the cost's display text ("" for none)."""

    role: str
    kind: str
    content: str
    model: str
    credits: str
    # Stamped by the database; two lines are the same line whenever they were written.
    created_at: datetime | None = field(default=None, compare=False)

    @property
    def credits_used(self) -> Decimal | None:
        """The exact cost behind the display text (thousands separators dropped), if any."""
        try:
            return Decimal(self.credits.replace(",", "")) if self.credits else None
        except InvalidOperation:
            return None


@dataclass(frozen=True)
class ConversationSummary:
    id: int
    title: str
    updated_at: datetime
    messages: int
    created_at: datetime | None = None


@dataclass(frozen=True)
class ConversationPage:
    """Most recently used first, and the cursor of the next page (None on the last)."""

    items: list[ConversationSummary]
    next_cursor: str | None


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    owner: WalletOwner
    messages: list[StoredMessage]
    created_at: datetime | None = None
    updated_at: datetime | None = None


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
    """The widget's list: the first page of the user's conversations in this wallet context."""
    return list_conversation_page(user_id, owner, limit=LIST_LIMIT).items


def list_conversation_page(
    user_id: int, owner: WalletOwner, *, limit: int = LIST_LIMIT, cursor: str | None = None
) -> ConversationPage:
    """The user's conversations in this wallet context, most recently used first.

    Keyset-paged on (updated_at, id) with the history's opaque cursor: a conversation used
    while someone pages moves to the front and is not served twice further on.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidArgument(f"limit must be between 1 and {MAX_PAGE}.", field="limit")
    after = decode_cursor(cursor) if cursor is not None else None
    _require_context(user_id, owner)
    count = (
        select(func.count(col(AiMessage.id)))
        .where(col(AiMessage.conversation_id) == col(AiConversation.id))
        .scalar_subquery()
    )
    query = (
        select(
            col(AiConversation.id),
            col(AiConversation.title),
            col(AiConversation.updated_at),
            count,
            col(AiConversation.created_at),
        )
        .where(
            col(AiConversation.user_id) == user_id,
            col(AiConversation.owner_kind) == owner.kind.value,
            col(AiConversation.owner_id) == owner.id,
            col(AiConversation.updated_at) >= _cutoff(),
        )
        .order_by(col(AiConversation.updated_at).desc(), col(AiConversation.id).desc())
        .limit(limit + 1)
    )
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(
                col(AiConversation.updated_at) < at,
                and_(col(AiConversation.updated_at) == at, col(AiConversation.id) < last_id),
            )
        )
    with unit_of_work() as db:
        rows = db.execute(query).all()
    items = [
        ConversationSummary(int(r[0]), r[1], as_utc(r[2]), int(r[3]), as_utc(r[4]))
        for r in rows[:limit]
    ]
    more = len(rows) > limit
    return ConversationPage(
        items, encode_cursor(items[-1].updated_at, items[-1].id) if more else None
    )


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
        stored = [
            StoredMessage(m.role, m.kind, m.content, m.model, m.credits, as_utc(m.created_at))
            for m in messages
        ]
    return Conversation(
        conversation_id, row.title, owner, stored, as_utc(row.created_at), as_utc(row.updated_at)
    )


def delete_conversation(user_id: int, conversation_id: int) -> None:
    """Delete the user's conversation and its messages."""
    with unit_of_work() as db:
        _owned(db, user_id, conversation_id)
        db.execute(delete(AiMessage).where(col(AiMessage.conversation_id) == conversation_id))
        db.execute(delete(AiConversation).where(col(AiConversation.id) == conversation_id))


def purge_expired_conversations(*, batch: int = PURGE_BATCH) -> int:
    """Delete every conversation idle past the retention period; returns how many.

    In transactions of at most `batch` conversations, so a first run over a large backlog
    never holds one long transaction (each batch is complete on its own: rows and lines).
    """
    purged = 0
    while True:
        with unit_of_work() as db:
            done = _purge_batch(db, batch)
        purged += done
        if done < batch:
            return purged


def _purge_batch(db: Session, batch: int) -> int:
    expired = (
        select(col(AiConversation.id))
        .where(col(AiConversation.updated_at) < _cutoff())
        .order_by(col(AiConversation.id))
        .limit(batch)
    )
    ids = list(db.execute(expired).scalars())
    if ids:
        db.execute(delete(AiMessage).where(col(AiMessage.conversation_id).in_(ids)))
        db.execute(delete(AiConversation).where(col(AiConversation.id).in_(ids)))
    return len(ids)


def _cutoff() -> datetime:
    """Conversations last used before this are past the retention period."""
    return utcnow() - timedelta(days=get_settings().ai_conversation_retention_days)


def _owned(db: Session, user_id: int, conversation_id: int) -> AiConversation:
    """The user's live conversation, or `ConversationNotFound` (others', expired, left org)."""
    row = db.get(AiConversation, conversation_id)
    if row is None or row.user_id != user_id or as_utc(row.updated_at) < _cutoff():
        raise ConversationNotFound()
    if row.owner_kind == OwnerKind.ORG.value:
        try:
            require_member(user_id, row.owner_id, session=db)
        except OrgNotFound:
            raise ConversationNotFound() from None
    return row


def _require_context(user_id: int, owner: WalletOwner) -> None:
    if owner.kind == OwnerKind.ORG:
        require_member(user_id, owner.id)
    elif owner.id != user_id:
        raise ConversationNotFound()
