"""A streamed chat turn: the reply arrives piece by piece, the charge at the end.

Same money rule as `chat`, stretched over the stream: the worst case (prompt estimate + the
full output budget) is held before the provider is asked; the first piece is awaited before
the caller answers, so a 402, 429 or provider failure is still an ordinary error with nothing
charged. Then the pieces flow, and when the stream ends, fails or is abandoned (the client
disconnected: leaving the `async with` cancels the upstream request) the tokens actually
produced are charged:

- the provider's reported usage when it sent one (valid whole counts only), else
- the prompt estimate plus what was streamed (the larger of its character estimate and the
  number of pieces), so a partial answer is never free,
- never more than the hold (`settle_hold` caps it), and nothing when no text came at all.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

import anyio

from credits_app.ai.chat import (
    MAX_OUTPUT_TOKENS,
    ChatResult,
    chat_charge,
    resolve_chat_model,
    validate_messages,
    worst_case_units,
)
from credits_app.ai.credited import Charge, blocking, release, settle, wallet_owner
from credits_app.ai.providers import (
    AiProvider,
    ChatMessage,
    ProviderError,
    StreamChunk,
    estimate_tokens,
)
from credits_app.ai.request_slots import ai_request_slot
from credits_app.credits import credit_holds
from credits_app.credits.amounts import units_to_credits


@dataclass
class _Produced:
    text: str = ""
    pieces: int = 0
    usage: tuple[int, int] | None = None
    finished: bool = False


class ChatStream:
    """An admitted streamed turn: iterate `deltas()`, then `finish()` for the charge."""

    def __init__(
        self,
        hold_id: int,
        model: str,
        messages: list[ChatMessage],
        chunks: AsyncIterator[StreamChunk],
        first: StreamChunk | None,
    ) -> None:
        self.model = model
        self._hold_id = hold_id
        self._messages = messages
        self._chunks = chunks
        self._first = first
        self._produced = _Produced()
        self._result: ChatResult | None = None

    @property
    def text(self) -> str:
        """The reply so far."""
        return self._produced.text

    async def deltas(self) -> AsyncIterator[str]:
        """The reply's pieces as the provider produces them; a failure mid-way raises
        `ProviderError` after what came before was delivered (and will be charged)."""
        pending = self._first
        self._first = None
        while True:
            if pending is None:
                try:
                    pending = await anext(self._chunks)
                except StopAsyncIteration:
                    self._produced.finished = True
                    return
            chunk, pending = pending, None
            if chunk.usage is not None:
                self._produced.usage = chunk.usage
            if chunk.delta:
                self._produced.text += chunk.delta
                self._produced.pieces += 1
                yield chunk.delta

    async def finish(self) -> ChatResult:
        """Charge what was produced (once; later calls return the same result)."""
        if self._result is not None:
            return self._result
        input_tokens, output_tokens = self._tokens()
        charge = chat_charge(
            self.model, input_tokens, output_tokens, streamed=True, complete=self._produced.finished
        )
        if output_tokens == 0:  # no text at all: nothing was delivered, nothing is charged
            charge = Charge(0, charge.description, charge.metadata)
        settled = await settle(self._hold_id, charge)
        self._result = ChatResult(
            message=ChatMessage("assistant", self._produced.text),
            model=self.model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            credits_used=units_to_credits(settled.charged),
            new_balance=units_to_credits(settled.balance_after),
        )
        return self._result

    def _tokens(self) -> tuple[int, int]:
        produced = self._produced
        if not produced.text:
            return 0, 0
        counted = min(max(estimate_tokens(produced.text), produced.pieces), MAX_OUTPUT_TOKENS)
        if produced.usage is not None:
            reported_input, reported_output = produced.usage
            return reported_input, max(reported_output, 1)
        return sum(estimate_tokens(m.content) for m in self._messages), counted


@asynccontextmanager
async def chat_stream(
    user_id: int,
    messages: list[ChatMessage],
    *,
    model: str | None = None,
    org_id: int | None = None,
    provider: AiProvider | None = None,
) -> AsyncIterator[ChatStream]:
    """Admit a streamed turn (hold placed, first piece received), charge it on the way out."""
    validate_messages(messages)
    provider, model = resolve_chat_model(model, provider)
    owner = await wallet_owner(user_id, org_id)
    async with ai_request_slot(user_id):
        hold_id = await blocking(credit_holds.place_hold, owner, worst_case_units(messages, model))
        chunks = provider.stream(messages, model, MAX_OUTPUT_TOKENS)
        try:
            first: StreamChunk | None = await anext(chunks)
        except StopAsyncIteration:
            first = None
        except BaseException:  # refused or failed before anything was streamed: no charge
            await release(hold_id)
            raise
        stream = ChatStream(hold_id, model, messages, chunks, first)
        try:
            yield stream
        finally:
            await _close(chunks)
            await stream.finish()  # shielded inside: written even when the request is cancelled


async def _close(chunks: AsyncIterator[StreamChunk]) -> None:
    """Stop the upstream request (an OpenAI-compatible server stops when the connection goes)."""
    close = getattr(chunks, "aclose", None)
    if close is None:
        return
    with anyio.CancelScope(shield=True):
        with suppress(ProviderError):
            await close()
