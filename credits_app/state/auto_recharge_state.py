"""The saved card and auto-recharge cards: thin doors onto `payment_methods` and
`auto_recharge`, which check the caller's rights themselves (org: owners/admins change).

Enabling auto-recharge while the wallet is already below the new threshold first opens a
confirmation that says the card will be charged now; only "Enable and charge now" saves.
"""

import json
import logging
from dataclasses import replace

import reflex as rx

from credits_app.billing import auto_recharge, payment_methods
from credits_app.credits.amounts import units_to_credits
from credits_app.credits.errors import CreditsError
from credits_app.credits.owners import WalletOwner
from credits_app.state.auth_state import AuthState
from credits_app.state.auto_recharge_presenters import (
    AutoRechargeCardView,
    PaymentMethodView,
    auto_recharge_card_view,
    check_rule_form,
    payment_method_view,
)
from credits_app.state.service_calls import call_service
from credits_app.state.wallet_context_state import WalletContextState, credits_path
from credits_app.state.wallet_overview_state import WalletOverviewState

logger = logging.getLogger(__name__)
SIGN_IN_AGAIN = "Sign in again to change auto-recharge."


class AutoRechargeState(rx.State):
    """One view object per card; the form lives inside the auto-recharge view."""

    card: PaymentMethodView = PaymentMethodView()
    rule: AutoRechargeCardView = AutoRechargeCardView()
    available_units: int = 0

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """Read the card and the rule of the wallet in context."""
        context = await self.get_state(WalletContextState)
        auth = await self.get_state(AuthState)
        owner = context.wallet_owner()
        if owner is None or not auth.user_id:
            return None
        can_edit = not context.is_org or context.role in ("owner", "admin")
        query = self.router.url.query_parameters
        if query.get("card") == "saved" and query.get("session_id"):
            # Back from the setup Checkout: store the card now, whether or not the webhook
            # has arrived (idempotent; the session must belong to a wallet's own customer).
            try:
                await call_service(payment_methods.complete_card_setup, query["session_id"])
            except Exception:
                logger.warning("Could not complete card setup %s on return", query["session_id"])
        try:
            view = await call_service(auto_recharge.get_auto_recharge, auth.user_id, owner)
            card = await call_service(payment_methods.get_card, auth.user_id, owner)
        except CreditsError as error:
            return rx.toast.error(error.message)
        self.card = payment_method_view(card, can_edit=can_edit)
        self.rule = auto_recharge_card_view(view, can_edit=can_edit)
        self.available_units = view.available
        return None

    @rx.event
    def set_form_enabled(self, value: bool) -> None:
        self.rule = replace(self.rule, form_enabled=value, error="")

    @rx.event
    def set_threshold(self, value: str) -> None:
        self.rule = replace(self.rule, threshold=value, error="")

    @rx.event
    def set_recharge_to(self, value: str) -> None:
        self.rule = replace(self.rule, recharge_to=value, error="")

    @rx.event
    def set_cap(self, value: str) -> None:
        self.rule = replace(self.rule, cap=value, error="")

    @rx.event
    def set_confirm_open(self, value: bool) -> None:
        if not self.rule.saving:
            self.rule = replace(self.rule, confirm_open=value)

    @rx.event
    async def save(self) -> rx.event.EventSpec | list[rx.event.EventType[()]] | None:
        """Save, or first ask when enabling below the threshold would charge right away."""
        form = check_rule_form(self.rule.threshold, self.rule.recharge_to, self.rule.cap)
        if form.error:
            self.rule = replace(self.rule, error=form.error)
            return None
        turning_on = self.rule.form_enabled and not self.rule.enabled
        if turning_on and self.available_units < form.threshold and self.rule.has_card:
            self.rule = replace(self.rule, confirm_open=True)
            return None
        return await self._put()

    @rx.event
    async def confirm_charge(self) -> rx.event.EventSpec | list[rx.event.EventType[()]] | None:
        """The user agreed to be charged now."""
        self.rule = replace(self.rule, confirm_open=False)
        return await self._put()

    async def _put(self) -> rx.event.EventSpec | list[rx.event.EventType[()]] | None:
        owner, user_id = await self._caller()
        if owner is None or not user_id:
            return rx.toast.error(SIGN_IN_AGAIN)
        form = check_rule_form(self.rule.threshold, self.rule.recharge_to, self.rule.cap)
        try:
            view = await call_service(
                auto_recharge.put_auto_recharge,
                user_id,
                owner,
                {
                    "enabled": self.rule.form_enabled,
                    "threshold": units_to_credits(form.threshold),
                    "recharge_to": units_to_credits(form.recharge_to),
                    "monthly_cap_cents": form.cap_cents,
                },
            )
        except CreditsError as error:
            self.rule = replace(self.rule, error=error.message)
            return None
        self.rule = auto_recharge_card_view(view, can_edit=self.rule.can_edit)
        self.available_units = view.available
        return [WalletOverviewState.refresh, rx.toast.success("Auto-recharge saved.")]

    @rx.event
    async def add_card(self) -> rx.event.EventSpec | None:
        """Open a setup-mode Checkout to save (or replace) the wallet's card."""
        owner, user_id = await self._caller()
        context = await self.get_state(WalletContextState)
        if owner is None or not user_id:
            return rx.toast.error(SIGN_IN_AGAIN)
        try:
            started = await call_service(
                payment_methods.start_card_setup,
                user_id,
                owner,
                return_path=credits_path(context.slug),
            )
        except CreditsError as error:
            return rx.toast.error(error.message)
        # A full page load: Checkout is outside this single-page app.
        return rx.call_script(f"window.ucSession.go({json.dumps(started.checkout_url)})")

    @rx.event
    async def remove_card(self) -> rx.event.EventSpec | list[rx.event.EventType[()]] | None:
        """Forget the saved card (auto-recharge then waits for a new one)."""
        owner, user_id = await self._caller()
        if owner is None or not user_id:
            return rx.toast.error(SIGN_IN_AGAIN)
        try:
            await call_service(payment_methods.remove_card, user_id, owner)
        except CreditsError as error:
            return rx.toast.error(error.message)
        return [AutoRechargeState.load, rx.toast.success("Card removed.")]

    async def _caller(self) -> tuple[WalletOwner | None, int | None]:
        context = await self.get_state(WalletContextState)
        auth = await self.get_state(AuthState)
        return context.wallet_owner(), await auth.verified_user_id()
