"""The Billing page: the wallet's purchases, receipts, and the viewer's pending checkouts.

Every action goes through `billing.purchase_history`, which checks who may see and do what
(an org's billing: owners and admins; a pending checkout: the buyer who opened it), exactly as
the API does; the page only hides what the service would refuse anyway.
"""

import json

import reflex as rx

from credits_app.billing.purchase_history import (
    abandon_checkout,
    list_purchases,
    resume_checkout_url,
)
from credits_app.credits.errors import CreditsError
from credits_app.credits.owners import WalletOwner
from credits_app.state.auth_state import AuthState
from credits_app.state.billing_presenters import PurchaseRow, pending_rows, purchase_rows
from credits_app.state.service_calls import call_service
from credits_app.state.wallet_context_state import WalletContextState

PAGE_SIZE = 20  # purchases per "Show more"


class BillingState(rx.State):
    """What the Billing page lists for the wallet in context."""

    purchases: list[PurchaseRow] = []
    loaded: bool = False
    busy_id: int = 0  # the purchase whose resume/abandon is under way
    has_more: bool = False  # older purchases than those shown
    _next_cursor: str = ""

    @rx.var
    def pending(self) -> list[PurchaseRow]:
        return pending_rows(self.purchases)

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """Read the purchases (after the wallet context resolved)."""
        self.loaded, self.busy_id = False, 0
        self.purchases = []
        self._remember_cursor(None)
        context = await self.get_state(WalletContextState)
        owner = context.wallet_owner()
        if owner is None or not context.can_buy:  # org members: the page says whom to ask
            self.loaded = True
            return None
        auth = await self.get_state(AuthState)
        try:
            page = await call_service(list_purchases, auth.user_id, owner, limit=PAGE_SIZE)
        except CreditsError as error:
            self.loaded = True
            return rx.toast.error(error.message)
        self.purchases = purchase_rows(page.items, context.org_id)
        self._remember_cursor(page.next_cursor)
        self.loaded = True
        return None

    @rx.event
    async def show_more(self) -> rx.event.EventSpec | None:
        """The next older purchases, below those shown."""
        context = await self.get_state(WalletContextState)
        owner, user_id = await self._actor()
        if owner is None or not user_id or not self._next_cursor:
            return None
        try:
            page = await call_service(
                list_purchases, user_id, owner, limit=PAGE_SIZE, cursor=self._next_cursor
            )
        except CreditsError as error:
            return rx.toast.error(error.message)
        self.purchases = [*self.purchases, *purchase_rows(page.items, context.org_id)]
        self._remember_cursor(page.next_cursor)
        return None

    def _remember_cursor(self, cursor: str | None) -> None:
        self._next_cursor, self.has_more = cursor or "", cursor is not None

    @rx.event
    async def resume(self, purchase_id: int) -> list[rx.event.EventSpec] | rx.event.EventSpec:
        """Send the browser back to the open Checkout Session of a pending purchase."""
        owner, user_id = await self._actor()
        if owner is None or not user_id:
            return rx.toast.error("Your session has ended. Sign in again.")
        self.busy_id = purchase_id
        try:
            url = await call_service(resume_checkout_url, user_id, owner, purchase_id)
        except CreditsError as error:
            self.busy_id = 0
            return [rx.toast.error(error.message), BillingState.load]
        return rx.call_script(f"window.ucSession.go({json.dumps(url)})")

    @rx.event
    async def abandon(self, purchase_id: int) -> list[rx.event.EventSpec] | rx.event.EventSpec:
        """Close a pending checkout at Stripe; nothing is charged."""
        owner, user_id = await self._actor()
        if owner is None or not user_id:
            return rx.toast.error("Your session has ended. Sign in again.")
        self.busy_id = purchase_id
        try:
            await call_service(abandon_checkout, user_id, owner, purchase_id)
        except CreditsError as error:
            self.busy_id = 0
            return [rx.toast.error(error.message), BillingState.load]
        self.busy_id = 0
        return [rx.toast.success("Checkout abandoned; nothing was charged."), BillingState.load]

    async def _actor(self) -> tuple[WalletOwner | None, int]:
        context = await self.get_state(WalletContextState)
        auth = await self.get_state(AuthState)
        return context.wallet_owner(), await auth.verified_user_id()
