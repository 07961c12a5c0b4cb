"""The Refund dialog of a History row: a thin door onto `credits/spend_refunds.refund_own_spend`.

Only rows the history marks refundable (`refundableAmount`: marketplace spends within the
refund window with something left) offer it; the service checks all of that again (and who
may refund an org's spend) and its answer shows in the dialog. One idempotency key per opened
dialog, so a double click refunds once. The credits go back into the lots the spend was paid
with; the header and the history follow at once.
"""

import uuid
from collections.abc import AsyncIterator

import reflex as rx

from credits_app.credits.amounts import format_balance
from credits_app.credits.errors import CreditsError
from credits_app.credits.spend_refunds import refund_own_spend
from credits_app.state.auth_state import AuthState
from credits_app.state.history_state import HistoryState
from credits_app.state.service_calls import call_service
from credits_app.state.transfer_presenters import (
    RefundDialogView,
    RefundForm,
    refund_dialog_view,
    refund_units,
)
from credits_app.state.wallet_context_state import WalletContextState
from credits_app.state.wallet_overview_state import WalletOverviewState

SESSION_EXPIRED = "Your session has ended. Sign in again to refund."


class RefundState(rx.State):
    """The entry being refunded, all of it or a part, and the last error."""

    dialog_open: bool = False
    submitting: bool = False
    entry_id: str = ""
    description: str = ""
    refundable_units: int = 0
    until: str = ""
    until_utc: str = ""
    partial: bool = False
    amount: str = ""
    reason: str = ""
    error: str = ""
    _key: str = ""

    def _form(self) -> RefundForm:
        return RefundForm(
            entry_id=self.entry_id,
            description=self.description,
            refundable_units=self.refundable_units,
            until=self.until,
            until_utc=self.until_utc,
            partial=self.partial,
            amount=self.amount,
            reason=self.reason,
        )

    @rx.var
    def view(self) -> RefundDialogView:
        return refund_dialog_view(
            self._form(), open=self.dialog_open, submitting=self.submitting, error=self.error
        )

    @rx.event
    async def open_dialog(self, entry_id: str) -> None:
        """Open the dialog for a row on screen that offers a refund."""
        history = await self.get_state(HistoryState)
        row = next((r for r in history.history.rows if r.id == entry_id), None)
        if row is None or not row.refundable_units:
            return
        self.entry_id, self.description = row.id, row.description
        self.refundable_units = row.refundable_units
        self.until, self.until_utc = row.refundable_until, row.refundable_until_utc
        self.partial, self.amount, self.reason, self.error = False, "", "", ""
        self.submitting = False
        self._key = uuid.uuid4().hex
        self.dialog_open = True

    @rx.event
    def set_open(self, is_open: bool) -> None:
        if not self.submitting:
            self.dialog_open = is_open

    @rx.event
    def set_partial(self, value: str) -> None:
        """ "all" or "part" (the radio group); a part needs an amount."""
        if not self.submitting:
            self.partial, self.error = value == "part", ""

    @rx.event
    def set_amount(self, value: str) -> None:
        self.amount, self.error = value[:40], ""

    @rx.event
    def set_reason(self, value: str) -> None:
        self.reason = value[:400]

    @rx.event
    async def confirm(self) -> AsyncIterator[rx.event.EventSpec | None]:
        """Refund: the service checks the entry, the window and the amount under the lock."""
        units, _ = refund_units(self._form())
        if self.submitting or not units:
            return
        context = await self.get_state(WalletContextState)
        owner = context.wallet_owner()
        auth = await self.get_state(AuthState)
        user_id = await auth.verified_user_id()
        if owner is None or not user_id:
            self.error = SESSION_EXPIRED
            return
        self.submitting, self.error = True, ""
        yield
        try:
            result = await call_service(
                refund_own_spend,
                user_id,
                owner,
                int(self.entry_id),
                self.amount.strip() if self.partial else None,
                reason=self.reason.strip() or None,
                idempotency_key=self._key,
            )
        except CreditsError as error:
            self.submitting, self.error = False, error.message
            return
        self.submitting = self.dialog_open = False
        yield rx.toast.success(f"Refunded {format_balance(result.refunded_amount)} credits.")
        # The header (and with it the first history page), then the page on screen, whose
        # row now offers less (or nothing) to refund.
        yield [WalletOverviewState.refresh, HistoryState.reload]
