"""Stored 2Bot conversations over REST: list (per wallet context), read with messages, delete.

The same service the widget uses (`ai.conversations`), so both doors see the same history and
the same rules: only the conversation's own user reaches it, an org context needs membership
(outsiders 404 `org_not_found`), and anyone else's or an expired conversation is 404
`conversation_not_found`, never a 403 that would reveal it exists.
"""

from datetime import datetime
from typing import Annotated

from fastapi import Path, Query, Response

from credits_app.ai import conversations
from credits_app.ai.conversations import Conversation, ConversationPage, StoredMessage
from credits_app.api.deps import AsciiInteger, CurrentUser, Cursor, Limit
from credits_app.api.encoding import respond
from credits_app.api.responses import api_router
from credits_app.api.schemas import Body, Credits, WalletRef
from credits_app.credits.owners import WalletOwner

router = api_router("2bot-ai")

OrgIdQuery = Annotated[
    int | None,
    AsciiInteger,
    Query(
        alias="orgId",
        ge=1,
        le=2**31 - 1,
        description="The organization wallet context (omit for the personal one)",
    ),
]
ConversationId = Annotated[
    int,
    AsciiInteger,
    Path(alias="conversationId", ge=1, le=2**63 - 1, description="Conversation id"),
]


class ConversationSummaryOut(Body):
    id: int
    title: str
    wallet: WalletRef
    message_count: int
    created_at: datetime | None
    updated_at: datetime


class ConversationsOut(Body):
    items: list[ConversationSummaryOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: ConversationPage, owner: WalletOwner) -> "ConversationsOut":
        wallet = WalletRef(type=owner.kind.value, id=owner.id)
        return cls(
            items=[
                ConversationSummaryOut(
                    id=item.id,
                    title=item.title,
                    wallet=wallet,
                    message_count=item.messages,
                    created_at=item.created_at,
                    updated_at=item.updated_at,
                )
                for item in page.items
            ],
            next_cursor=page.next_cursor,
        )


class StoredMessageOut(Body):
    role: str
    kind: str
    content: str
    model: str
    credits_used: Credits | None
    created_at: datetime | None

    @classmethod
    def of(cls, message: StoredMessage) -> "StoredMessageOut":
        return cls(
            role=message.role,
            kind=message.kind,
            content=message.content,
            model=message.model,
            credits_used=message.credits_used,
            created_at=message.created_at,
        )


class ConversationOut(Body):
    id: int
    title: str
    wallet: WalletRef
    created_at: datetime | None
    updated_at: datetime | None
    messages: list[StoredMessageOut]

    @classmethod
    def of(cls, conversation: Conversation) -> "ConversationOut":
        owner = conversation.owner
        return cls(
            id=conversation.id,
            title=conversation.title,
            wallet=WalletRef(type=owner.kind.value, id=owner.id),
            created_at=conversation.created_at,
            updated_at=conversation.updated_at,
            messages=[StoredMessageOut.of(m) for m in conversation.messages],
        )


@router.get("/2bot-ai/conversations", response_model=ConversationsOut)
def list_conversations(
    user: CurrentUser, org_id: OrgIdQuery = None, limit: Limit = 20, cursor: Cursor = None
) -> Response:
    """My conversations in the wallet context (`orgId` for an org's), most recently used first."""
    owner = WalletOwner.org(org_id) if org_id is not None else WalletOwner.user(user.id)
    page = conversations.list_conversation_page(user.id, owner, limit=limit, cursor=cursor)
    return respond(ConversationsOut.of(page, owner))


@router.get("/2bot-ai/conversations/{conversationId}", response_model=ConversationOut)
def get_conversation(user: CurrentUser, conversation_id: ConversationId) -> Response:
    """One of my conversations with its messages, oldest first."""
    return respond(ConversationOut.of(conversations.get_conversation(user.id, conversation_id)))


@router.delete("/2bot-ai/conversations/{conversationId}", status_code=204)
def delete_conversation(user: CurrentUser, conversation_id: ConversationId) -> Response:
    """Delete one of my conversations and its messages."""
    conversations.delete_conversation(user.id, conversation_id)
    return Response(status_code=204)
