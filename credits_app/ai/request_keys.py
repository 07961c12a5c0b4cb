"""Idempotency-Keys of 2Bot AI requests (DESIGN §4b): a retry never asks the model and charges
again. The first request claims the key (one row, unique per user and key) before anything is
charged, and stores its answer once it has one. A replay with the same request gets that
answer. A different request with the same key is a 409 `idempotency_conflict`, and a copy
that races the first one is a 409 `idempotency_key_in_use`. A request that fails (402, the
provider down, bad input) charged nothing and gives its key back, so a retry runs again.
"""

from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from credits_app.clock import utcnow
from credits_app.credits.drafts import request_fingerprint
from credits_app.credits.errors import IdempotencyConflict, IdempotencyKeyInUse
from credits_app.db import read_only, unit_of_work, violates
from credits_app.models import AiRequestKey

KEY_INDEX = "uq_ai_request_keys_user_key"


@dataclass(frozen=True)
class RequestKey:
    """The user's key and the fingerprint of the request it came with."""

    user_id: int
    key: str
    request_hash: str


@dataclass(frozen=True)
class Claim:
    """This request holds the key: it answers (`keep_answer`) or gives it back (`release`)."""

    row_id: int


def request_key(
    user_id: int, idempotency_key: str | None, feature: str, request: object
) -> RequestKey | None:
    """The key of one AI request (None without one); `request` is what the user asked for, in
    JSON-able form, so the same key on another feature or input is told apart."""
    if idempotency_key is None:
        return None
    return RequestKey(user_id, idempotency_key, request_fingerprint([feature, request]))


def claim(key: RequestKey) -> Claim | str:
    """Claim a new key, or the stored answer (the JSON body) of the request it already had."""
    try:
        with unit_of_work() as db:
            row = AiRequestKey(
                user_id=key.user_id, idempotency_key=key.key, request_hash=key.request_hash
            )
            db.add(row)
            db.flush()
            assert row.id is not None
            return Claim(row.id)
    except IntegrityError as error:
        if not violates(error, KEY_INDEX, sqlite_columns="ai_request_keys.idempotency_key"):
            raise
    return _stored_answer(key)


def keep_answer(claim: Claim, body: str) -> None:
    """The request was answered (and charged): its retries get this body."""
    with unit_of_work() as db:
        db.execute(
            update(AiRequestKey)
            .where(col(AiRequestKey.id) == claim.row_id)
            .values(response_body=body, answered_at=utcnow())
        )


def release(claim: Claim) -> None:
    """The request failed before it charged anything: the key is free for a retry."""
    with unit_of_work() as db:
        db.execute(delete(AiRequestKey).where(col(AiRequestKey.id) == claim.row_id))


def _stored_answer(key: RequestKey) -> str:
    with read_only() as db:
        row = db.exec(
            select(AiRequestKey).where(
                col(AiRequestKey.user_id) == key.user_id,
                col(AiRequestKey.idempotency_key) == key.key,
            )
        ).one_or_none()
    if row is None:  # the first request failed and gave the key back meanwhile
        raise IdempotencyKeyInUse(key.key)
    if row.request_hash != key.request_hash:
        raise IdempotencyConflict(key.key)
    if row.response_body is None:
        raise IdempotencyKeyInUse(key.key)
    return row.response_body
