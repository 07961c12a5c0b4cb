"""The Purchase tab: the package catalog, the confirmation dialog and the jump to Checkout.

The browser only ever names a package id; prices come from the server's catalog inside
`start_checkout`. Org purchases are re-checked here (owner or admin) exactly as the API's
`OrgManager` dependency does, because the button being hidden is not a permission check.
"""

import json
from collections.abc import AsyncIterator

import reflex as rx

from credits_app.auth.organizations import require_manager
from credits_app.billing.checkout import start_checkout
from credits_app.billing.packages import list_active_packages
from credits_app.credits.errors import CreditsError
from credits_app.state.auth_state import AuthState
from credits_app.state.purchase_presenters import PackageCard, package_cards
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
        self.show_picker = True
        self.dialog_open = True
        return None

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
        if owner is None or not self.selected_id:
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
                self.selected_id,
                return_path=credits_path(context.slug),
            )
        except CreditsError as error:
            self.submitting, self.error = False, error.message
            return
        # A full page load, not rx.redirect: Checkout is outside this single-page app.
        yield rx.call_script(f"window.ucSession.go({json.dumps(started.checkout_url)})")
