"""Coming back from Checkout: credit the purchase now, tell the user, refresh the figures.

Stripe's success URL carries `?checkout=success&session_id=…`. We fulfill right here instead
of waiting for the webhook; `fulfill_checkout_session` is exactly-once (unique session id in
the same transaction as the credit), so racing the webhook is safe and whichever comes second
reports "already fulfilled". Either way the user sees how many credits arrived.
"""

import logging

import reflex as rx

from credits_app.billing.fulfillment import FulfillmentOutcome, fulfill_checkout_session
from credits_app.billing.purchase_lookup import find_purchase_by_session
from credits_app.credits.amounts import format_balance
from credits_app.credits.errors import CreditsError
from credits_app.state.credits_page_state import CreditsPageState, tab_url_script
from credits_app.state.history_state import HistoryState
from credits_app.state.service_calls import call_service
from credits_app.state.wallet_context_state import WalletContextState
from credits_app.state.wallet_overview_state import WalletOverviewState

logger = logging.getLogger(__name__)

CREDITED = {FulfillmentOutcome.FULFILLED, FulfillmentOutcome.ALREADY_FULFILLED}


class CheckoutReturnState(rx.State):
    """Handles the `checkout` query parameter once per return; holds no data of its own."""

    @rx.event
    async def handle_return(self) -> list[rx.event.EventType[()]] | None:
        """On load of a credits page: react to `?checkout=success|cancel`, then drop the query."""
        query = self.router.url.query_parameters
        outcome = query.get("checkout")
        context = await self.get_state(WalletContextState)
        if outcome not in {"success", "cancel"} or context.status != "ready":
            return None  # signed out: the login redirect keeps the query for after sign-in
        page = await self.get_state(CreditsPageState)
        if outcome == "cancel":
            page.tab = "purchase"  # back where they were choosing
            # Drop Checkout's query (a reload says nothing) and keep the tab instead.
            forget_query = rx.call_script(tab_url_script(page.tab, replace=True))
            return [
                rx.toast.info(
                    "Checkout cancelled", description="No payment was taken. Nothing changed."
                ),
                forget_query,
            ]
        notice = await self._fulfill(query.get("session_id", ""))
        page.tab = "history"  # where the purchase now is the newest entry
        forget_query = rx.call_script(tab_url_script(page.tab, replace=True))
        return [WalletOverviewState.refresh, HistoryState.load, notice, forget_query]

    async def _fulfill(self, session_id: str) -> rx.event.EventSpec:
        """Credit the session's purchase (if it belongs to this wallet) and say what happened."""
        context = await self.get_state(WalletContextState)
        owner = context.wallet_owner()
        purchase = await call_service(find_purchase_by_session, session_id) if session_id else None
        if owner is None or purchase is None or purchase.owner != owner:
            return rx.toast.error("We could not find that purchase for this wallet.")
        try:
            result = await call_service(fulfill_checkout_session, session_id)
        except CreditsError as error:
            return rx.toast.error(error.message)
        except Exception:  # Stripe unreachable: the webhook will still credit the purchase
            logger.exception("Fulfilling Checkout Session %s on return failed", session_id)
            return rx.toast.warning(
                "Payment received; confirming it takes a moment.",
                description="Your credits appear as soon as the payment provider confirms.",
            )
        if result in CREDITED:
            return rx.toast.success(
                f"{format_balance(purchase.credits)} credits added",
                description=(
                    f"{purchase.package_id.title()} package · {context.wallet_label}"
                    if purchase.package_id
                    else f"Custom amount · {context.wallet_label}"
                ),
            )
        return rx.toast.info(
            "Payment is processing",
            description="Your credits appear as soon as the payment completes.",
        )
