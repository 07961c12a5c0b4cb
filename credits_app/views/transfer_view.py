"""The Send credits and Refund dialogs bound to their states (rendered once per credits page)."""

import reflex as rx

from credits_app.components.credits.refund_dialog import RefundEvents, refund_dialog
from credits_app.components.credits.transfer_dialog import (
    TransferEvents,
    send_credits_button,
    transfer_dialog,
)
from credits_app.state.refund_state import RefundState
from credits_app.state.transfer_state import TransferState
from credits_app.state.wallet_context_state import WalletContextState


def send_credits_action() -> rx.Component:
    """The heading's "Send credits": everyone on their own wallet, owners and admins on an
    org's (the service checks again; the button being shown is not a permission)."""
    return rx.cond(
        WalletContextState.ready & WalletContextState.can_buy,
        send_credits_button(TransferState.open_dialog),
    )


def send_credits_dialog() -> rx.Component:
    return transfer_dialog(
        TransferState.view,
        TransferEvents(
            on_open_change=TransferState.set_open,
            on_kind=TransferState.set_kind,
            on_email=TransferState.set_email,
            on_member=TransferState.set_member,
            on_org=TransferState.set_org,
            on_amount=TransferState.set_amount,
            on_note=TransferState.set_note,
            on_review=TransferState.review,
            on_back=TransferState.back,
            on_confirm=TransferState.confirm,
        ),
    )


def refund_entry_dialog() -> rx.Component:
    return refund_dialog(
        RefundState.view,
        RefundEvents(
            on_open_change=RefundState.set_open,
            on_mode=RefundState.set_partial,
            on_amount=RefundState.set_amount,
            on_reason=RefundState.set_reason,
            on_confirm=RefundState.confirm,
        ),
    )
