"""POST /api/2bot-ai/chat: one credited chat turn (personal wallet, or an org's for members).

With `"stream": true` the reply comes as Server-Sent Events (DESIGN §4b): `data: {"delta"}`
events, then `data: {"done": true, "usage", "creditsUsed", "newBalance"}`. Refusals (402, 429,
bad input) and a provider that fails before the first piece are ordinary JSON errors; a
provider failing mid-way sends `data: {"error": {...}}` before the final event, which charges
what was produced. A client that disconnects cancels the upstream request and pays for the
tokens produced until then (never more than the hold).

An `Idempotency-Key` makes a turn retry-safe: its retries get the first answer and are charged
nothing more (`api/ai_replay.py`). A streamed turn cannot be replayed as it was streamed, so a
key with `"stream": true` is a 400 `invalid_argument`.
"""

from contextlib import AsyncExitStack
from typing import Any, Literal

from fastapi import Response
from pydantic import Field

from credits_app.ai.chat import ChatResult, chat
from credits_app.ai.chat_stream import ChatStream, chat_stream
from credits_app.ai.providers import ChatMessage, ProviderError
from credits_app.api.ai_replay import answer_once
from credits_app.api.deps import CurrentUser, IdempotencyKey
from credits_app.api.encoding import respond
from credits_app.api.event_stream import EventStreamResponse, sse_event
from credits_app.api.responses import api_router
from credits_app.api.schemas import Body, Credits
from credits_app.credits.errors import InvalidArgument

router = api_router("2bot-ai")


class MessageIn(Body):
    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1, max_length=32_000)


class ChatIn(Body):
    messages: list[MessageIn] = Field(min_length=1, max_length=50)
    model: str | None = Field(default=None, min_length=1, max_length=200)
    org_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    stream: bool = False


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
            usage=_usage(result),
            credits_used=result.credits_used,
            new_balance=result.new_balance,
        )


STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/event-stream": {
                "schema": {
                    "type": "object",
                    "description": 'With "stream": true, one Server-Sent Event each: data: '
                    '{"delta"} pieces, then data: {"done": true, "usage", "creditsUsed", '
                    '"newBalance"}',
                    "properties": {"data": {"type": "string"}, "event": {"type": "string"}},
                }
            }
        }
    }
}


@router.post("/2bot-ai/chat", response_model=ChatOut, responses=STREAM_DOC)
async def chat_turn(
    body: ChatIn, user: CurrentUser, idempotency_key: IdempotencyKey = None
) -> Response:
    """Hold the worst-case cost, ask the model, charge the reported usage; 402 when short."""
    messages = [ChatMessage(m.role, m.content) for m in body.messages]
    if not body.stream:

        async def produce() -> Response:
            result = await chat(user.id, messages, model=body.model, org_id=body.org_id)
            return respond(ChatOut.of(result))

        return await answer_once(user.id, idempotency_key, "chat", body.model_dump(), produce)
    if idempotency_key is not None:
        raise InvalidArgument(
            "A streamed turn cannot be replayed: send it without stream to use an Idempotency-Key.",
            field="stream",
        )
    stack = AsyncExitStack()
    stream = await stack.enter_async_context(
        chat_stream(user.id, messages, model=body.model, org_id=body.org_id)
    )
    return EventStreamResponse(_events(stream), stack.aclose)


async def _events(stream: ChatStream) -> Any:
    try:
        async for delta in stream.deltas():
            yield sse_event({"delta": delta})
    except ProviderError as error:
        yield sse_event({"error": {"code": error.code, "message": error.message}})
    result = await stream.finish()
    yield sse_event(
        {
            "done": True,
            "usage": _usage(result).model_dump(by_alias=True),
            "creditsUsed": result.credits_used,
            "newBalance": result.new_balance,
        }
    )


def _usage(result: ChatResult) -> UsageOut:
    return UsageOut(input_tokens=result.input_tokens, output_tokens=result.output_tokens)
