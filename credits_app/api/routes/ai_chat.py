"""POST /api/2bot-ai/chat: one credited chat turn (personal wallet, or an org's for members)."""

from typing import Literal

from fastapi import Response
from pydantic import Field

from credits_app.ai.chat import ChatResult, chat
from credits_app.ai.providers import ChatMessage
from credits_app.api.deps import CurrentUser
from credits_app.api.encoding import respond
from credits_app.api.responses import api_router
from credits_app.api.schemas import Body, Credits

router = api_router("2bot-ai")


class MessageIn(Body):
    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1, max_length=32_000)


class ChatIn(Body):
    messages: list[MessageIn] = Field(min_length=1, max_length=50)
    model: str | None = Field(default=None, min_length=1, max_length=200)
    org_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class MessageOut(Body):
    role: str
    content: str


class UsageOut(Body):
    input_tokens: int
    output_tokens: int


class ChatOut(Body):
    message: MessageOut
    model: str
    usage: UsageOut
    credits_used: Credits
    new_balance: Credits

    @classmethod
    def of(cls, result: ChatResult) -> "ChatOut":
        return cls(
            message=MessageOut(role=result.message.role, content=result.message.content),
            model=result.model,
            usage=UsageOut(input_tokens=result.input_tokens, output_tokens=result.output_tokens),
            credits_used=result.credits_used,
            new_balance=result.new_balance,
        )


@router.post("/2bot-ai/chat", response_model=ChatOut)
def chat_turn(body: ChatIn, user: CurrentUser) -> Response:
    """Hold the worst-case cost, ask the model, charge the reported usage; 402 when short."""
    messages = [ChatMessage(m.role, m.content) for m in body.messages]
    result = chat(user.id, messages, model=body.model, org_id=body.org_id)
    return respond(ChatOut.of(result))
