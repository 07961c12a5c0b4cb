"""The hold-before-call money rule of every 2Bot feature, written once.

1. Take one of the user's AI request slots (429 above the cap), then HOLD the most the request
   can cost on the wallet, atomically (`credit_holds.place_hold`): concurrent requests each
   reserve their own share, so together they can never overdraw it. Not enough credits → 402
   before the provider is called.
2. Call the provider (async: waiting holds no thread).  Failure, timeout or cancellation →
   release the hold, charge nothing.
3. Settle: charge the price of what the provider actually delivered, as one `usage` entry in
   `ai_usage` with model/feature metadata. `settle_hold` never charges below zero or above the
   hold, whatever the provider reported. If the ledger refuses the settlement, the hold is
   released and the error raised: nothing charged.

The database work is synchronous (one short transaction each) and runs in a worker thread.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, ParamSpec, TypeVar

import anyio
import anyio.to_thread

from credits_app.ai.request_slots import ai_request_slot
from credits_app.auth.organizations import require_member
from credits_app.credits import credit_holds
from credits_app.credits.credit_holds import SettledHold
from credits_app.credits.owners import WalletOwner

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


@dataclass(frozen=True)
class Charge:
    """What a delivered result costs and how its ledger entry describes it."""

    units: int
    description: str
    metadata: Mapping[str, Any]


async def blocking(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """A synchronous service call (a DB transaction) in a worker thread."""
    return await anyio.to_thread.run_sync(partial(function, *args, **kwargs))


async def wallet_owner(user_id: int, org_id: int | None) -> WalletOwner:
    """The user's own wallet, or the org's for a member (outsiders: 404 `org_not_found`)."""
    if org_id is None:
        return WalletOwner.user(user_id)
    await blocking(require_member, user_id, org_id)
    return WalletOwner.org(org_id)


async def credited_call(
    user_id: int,
    owner: WalletOwner,
    hold_units: int,
    call: Callable[[], Awaitable[T]],
    price: Callable[[T], Charge],
) -> tuple[T, SettledHold]:
    """Hold `hold_units`, run `call`, charge `price(result)` (capped at the hold)."""
    async with ai_request_slot(user_id):
        hold_id = await blocking(credit_holds.place_hold, owner, hold_units)
        try:
            result = await call()
            settled = await settle(hold_id, price(result))
        except BaseException:
            # Provider failure, cancellation, or a settlement the ledger refused (e.g. the
            # monthly limit was lowered meanwhile): the caller is charged nothing, so the
            # reservation goes back now. A no-op when the hold is already closed.
            await release(hold_id)
            raise
    return result, settled


async def settle(hold_id: int, charge: Charge) -> SettledHold:
    """Book the charge (never negative, never above the hold) and release the rest.

    Shielded: a request cancelled while its charge is being written still writes it.
    """
    with anyio.CancelScope(shield=True):
        settled = await blocking(
            credit_holds.settle_hold,
            hold_id,
            max(0, charge.units),
            category="ai_usage",
            description=charge.description,
            metadata=charge.metadata,
        )
    return settled


async def release(hold_id: int) -> None:
    """Give the whole reservation back; shielded, so a cancelled request still does it."""
    with anyio.CancelScope(shield=True):
        await blocking(credit_holds.release_hold, hold_id)
