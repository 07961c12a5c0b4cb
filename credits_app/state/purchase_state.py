"""The Purchase tab: the package catalog, the Buy dialog and the jump to Checkout.

The browser only ever names a package id or a whole number of credits; prices come from the
server's catalog or its volume pricing inside `start_checkout`. A custom amount's live quote
comes from the same `pricing.quote` Checkout is priced by, so the dialog shows exactly what
Stripe will charge. Org purchases are re-checked here (owner or admin) exactly as the API's
`OrgManager` dependency does, because the button being hidden is not a permission check.
"""

import json
from collections.abc import AsyncIterator

import reflex as rx

from credits_app.auth.organizations import require_manager
from credits_app.billing.checkout import start_checkout
from credits_app.billing.packages import list_active_packages
from credits_app.billing.pricing import load_tiers, purchase_range, quote
from credits_app.credits.errors import CreditsError
from credits_app.state.auth_state import AuthState
from credits_app.state.purchase_presenters import (
    PackageCard,
    QuoteView,
    package_cards,
    quote_view,
    range_hint,
)
from credits_app.state.service_calls import call_service
from credits_app.state.wallet_context_state import WalletContextState, credits_path

SESSION_EXPIRED = "Your session has ended. Sign in again to buy credits."


class PurchaseState(rx.State):
    """The catalog, which package the dialog is confirming, and the checkout hand-off."""

    packages: list[PackageCard] = []
    selected_id: str = ""
    dialog_open: bool = False
    show_picker: bool = False  # opened from outside the grid: choose the package in the dialog
    submitting: bool = False
    error: str = ""
    mode: str = "package"  # package | custom
    custom_credits: str = ""  # what the buyer typed
    quote: QuoteView = QuoteView()
    quote_error: str = ""
    custom_range: str = ""  # "100 to 10,000,000 credits"

    @rx.var
    def selected(self) -> PackageCard:
        """The package being confirmed (an empty card when none is)."""
        for package in self.packages:
            if package.id == self.selected_id:
                return package
        return PackageCard()

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """Read the catalog and close any dialog left open from an earlier visit."""
        self.dialog_open = self.submitting = False
        self.error = ""
        try:
            self.packages = package_cards(await call_service(list_active_packages))
        except CreditsError as error:
            return rx.toast.error(error.message)
        return None

    @rx.event
    def choose(self, package_id: str) -> None:
        """Open the confirmation dialog for a package."""
        self.selected_id = package_id
        self.error = ""
        self.mode = "package"
        self.show_picker = False
        self.dialog_open = True

    @rx.event
    async def open_buy_dialog(self) -> rx.event.EventSpec | None:
        """Open the dialog from outside the package grid (the AI assistant's "Buy credits"):
        the popular package preselected, and a picker to choose another."""
        if self.submitting:
            return None
        if not self.packages:
            try:
                self.packages = package_cards(await call_service(list_active_packages))
            except CreditsError as error:
                return rx.toast.error(error.message)
        if not self.packages:
            return rx.toast.error("No credit packages are on sale right now.")
        if self.selected_id not in {package.id for package in self.packages}:
            popular = [package for package in self.packages if package.popular]
            self.selected_id = (popular or self.packages)[0].id
        self.error = ""
        self.mode = "package"
        self.show_picker = True
        self.dialog_open = True
        return None

    @rx.event
    async def open_custom(self) -> None:
        """Open the dialog on the custom amount (the Purchase tab's and Billing page's button)."""
        if self.submitting:
            return
        if not self.packages:
            self.packages = package_cards(await call_service(list_active_packages))
        if self.packages and self.selected_id not in {p.id for p in self.packages}:
            self.selected_id = self.packages[0].id
        self.error = ""
        self.show_picker = True
        self.dialog_open = True
        await self._switch_mode("custom")

    @rx.event
    async def set_mode(self, mode: str | list[str]) -> None:
        """Package or custom amount (the dialog's switch)."""
        if not self.submitting and isinstance(mode, str):
            await self._switch_mode(mode)

    async def _switch_mode(self, mode: str) -> None:
        """The custom side also shows the allowed range, read once from the tiers."""
        if mode not in ("package", "custom"):
            return
        self.mode, self.error = mode, ""
        if mode == "custom" and not self.custom_range:
            try:
                self.custom_range = range_hint(purchase_range(await call_service(load_tiers)))
            except CreditsError as error:
                self.quote_error = error.message

    @rx.event
    async def set_custom_credits(self, value: str) -> None:
        """Quote what the buyer typed, with the same function Checkout is priced by."""
        self.custom_credits, self.error = value.strip()[:20], ""
        if not self.custom_credits:
            self.quote, self.quote_error = QuoteView(), ""
            return
        try:
            quoted = await call_service(quote, self.custom_credits)
        except CreditsError as error:
            self.quote, self.quote_error = QuoteView(), error.message
            return
        self.quote, self.quote_error = quote_view(quoted), ""

    @rx.event
    def select_package(self, package_id: str) -> None:
        """The dialog's picker changed the package (only catalog ids are accepted)."""
        if not self.submitting and package_id in {package.id for package in self.packages}:
            self.selected_id = package_id
            self.error = ""

    @rx.event
    def set_dialog_open(self, is_open: bool) -> None:
        """Close (or open) the dialog, unless a checkout is already being opened."""
        if not self.submitting:
            self.dialog_open = is_open

    @rx.event
    async def confirm(self) -> AsyncIterator[rx.event.EventSpec | None]:
        """Open a Checkout Session for the selected package and send the browser there."""
        context = await self.get_state(WalletContextState)
        owner = context.wallet_owner()
        custom = self.mode == "custom"
        if owner is None or (not custom and not self.selected_id):
            return
        if custom and not self.quote.valid:
            self.error = self.quote_error or "Enter how many credits to buy."
            return
        self.submitting, self.error = True, ""
        yield
        auth = await self.get_state(AuthState)
        user_id = await auth.verified_user_id()
        if not user_id:
            self.submitting, self.error = False, SESSION_EXPIRED
            return
        try:
            if context.is_org:
                await call_service(require_manager, user_id, owner.id)
            started = await call_service(
                start_checkout,
                user_id,
                owner,
                None if custom else self.selected_id,
                credits=self.custom_credits if custom else None,
                return_path=credits_path(context.slug),
            )
        except CreditsError as error:
            self.submitting, self.error = False, error.message
            return
        # A full page load, not rx.redirect: Checkout is outside this single-page app.
        yield rx.call_script(f"window.ucSession.go({json.dumps(started.checkout_url)})")
