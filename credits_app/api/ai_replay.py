"""An AI route's answer, given once per Idempotency-Key (`ai/request_keys.py` keeps the rule).

The route hands over what the user asked for and how to answer it. Without a key the answer
is simply produced. With one, a new key is claimed, the answer produced and kept, and a
replay gets the kept body back with `Idempotent-Replayed: true`, as Stripe marks its own
replays. An answer that fails gives the key back.
"""

from collections.abc import Awaitable, Callable

from fastapi import Response
from starlette.concurrency import run_in_threadpool

from credits_app.ai import request_keys

REPLAYED_HEADER = "Idempotent-Replayed"


async def answer_once(
    user_id: int,
    idempotency_key: str | None,
    feature: str,
    request: object,
    produce: Callable[[], Awaitable[Response]],
) -> Response:
    """`produce()`'s response, or the one the key's first request got."""
    key = request_keys.request_key(user_id, idempotency_key, feature, request)
    if key is None:
        return await produce()
    claimed = await run_in_threadpool(request_keys.claim, key)
    if isinstance(claimed, str):
        return Response(claimed, media_type="application/json", headers={REPLAYED_HEADER: "true"})
    try:
        response = await produce()
    except Exception:
        await run_in_threadpool(request_keys.release, claimed)
        raise
    await run_in_threadpool(request_keys.keep_answer, claimed, bytes(response.body).decode())
    return response
