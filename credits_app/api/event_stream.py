"""Server-Sent Events that notice a client going away, for streamed 2Bot replies.

Starlette's `StreamingResponse` learns of a disconnect only when a write fails (ASGI 2.4
servers), which can be long after the client left while a slow model keeps generating. This
response also listens for `http.disconnect` and cancels the producer at once: leaving the
producer's `async with` closes the upstream request and charges what was produced. After the
stream (finished or cancelled) it runs `on_close` outside the cancelled scope, so the
settlement is always written.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress
from typing import Any

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from credits_app.api.encoding import ExactJSONResponse

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse_event(data: Any) -> bytes:
    """One `data: <json>` event, numbers exact as in every other answer."""
    return b"data: " + ExactJSONResponse(data).body + b"\n\n"


class EventStreamResponse(StreamingResponse):
    """`text/event-stream` from `events`; `on_close` runs once the stream is over or abandoned."""

    def __init__(
        self, events: AsyncIterator[bytes], on_close: Callable[[], Awaitable[None]]
    ) -> None:
        super().__init__(events, headers=SSE_HEADERS, media_type="text/event-stream")
        self.on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with anyio.create_task_group() as group:

                async def watch_for_disconnect() -> None:
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    group.cancel_scope.cancel()

                group.start_soon(watch_for_disconnect)
                with suppress(OSError):  # a failed write: the client is gone
                    await self._stream(send)
                group.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await self.on_close()

    async def _stream(self, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        async for chunk in self.body_iterator:
            data = chunk if isinstance(chunk, bytes) else chunk.encode()  # type: ignore[union-attr]
            await send({"type": "http.response.body", "body": data, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
