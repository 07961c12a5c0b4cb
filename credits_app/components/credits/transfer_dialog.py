"""Send credits: whom to, how many, then a confirmation naming both wallets.

Takes one `TransferDialogView` (state/transfer_presenters.py) and the events that change it.
Step one is the form (a person by email or one of your orgs from a personal wallet; a member
or another org you manage from an org wallet), with the amount checked as the API checks it;
step two repeats what will happen ("Send 12.5 credits from your personal wallet to …") before
anything moves, because a transfer cannot be undone by its sender.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import reflex as rx

from credits_app import styles
from credits_app.components.dialog_parts import (
    LABEL_STYLE,
    action_row,
    cancel_button,
    error_callout,
    field_message,
    labelled_field,
    summary_box,
    summary_line,
)

EventCallback = Callable[..., Any]


class TransferEvents(NamedTuple):
    """What the dialog's controls do (bound to `TransferState` by the view)."""

    on_open_change: EventCallback
    on_kind: EventCallback
    on_email: EventCallback
    on_member: EventCallback
    on_org: EventCallback
    on_amount: EventCallback
    on_note: EventCallback
    on_review: EventCallback
    on_back: EventCallback
    on_confirm: EventCallback


def send_credits_button(on_click: EventCallback) -> rx.Component:
    """The button that opens the dialog (in the credits heading)."""
    return rx.button(
        rx.icon("send", size=styles.ICON_SIZE),
        "Send credits",
        size="2",
        variant="soft",
        on_click=on_click,
        id="send-credits",
    )


def transfer_dialog(view: rx.Var[Any], events: TransferEvents) -> rx.Component:
    """The two-step dialog; nothing moves before "Send" on the second step."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.vstack(
                rx.dialog.title("Send credits", margin="0"),
                rx.dialog.description(
                    "From ",
                    view.wallet_label,
                    rx.cond(view.available, rx.fragment(" · ", view.available), ""),
                    size=styles.BODY_SIZE,
                    id="send-credits-from",
                    **styles.CAPTION_STYLE,
                ),
                rx.cond(view.confirming, _confirmation(view), _form(view, events)),
                rx.cond(view.error, error_callout(view.error, "send-credits-error")),
                _actions(view, events),
                spacing=styles.GAP_MEDIUM,
                width="100%",
            ),
            max_width="460px",
            id="send-credits-dialog",
        ),
        open=view.open,
        on_open_change=events.on_open_change,
    )


def _form(view: rx.Var[Any], events: TransferEvents) -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.text("Send to", **LABEL_STYLE),
            rx.radio_group.root(
                rx.foreach(
                    view.kinds,
                    lambda kind: rx.radio_group.item(
                        kind.label, value=kind.value, class_name="send-kind"
                    ),
                ),
                value=view.kind,
                on_change=events.on_kind,
                direction="column",
                spacing="2",
                disabled=view.submitting,
                id="send-kind",
                aria_label="Send to",
            ),
            spacing="1",
            width="100%",
        ),
        rx.match(
            view.kind,
            ("email", _email_field(view, events)),
            ("member", _picker("Member", "send-member", view.members, view.member_id, events)),
            _org_field(view, events),
        ),
        rx.cond(
            view.recipient_error,
            field_message("send-recipient-error", view.recipient_error),
        ),
        labelled_field(
            "Amount (credits)",
            "send-amount",
            rx.input(
                value=view.amount,
                on_change=events.on_amount,
                placeholder="e.g. 12.5",
                input_mode="decimal",
                auto_complete="off",
                id="send-amount",
                width="100%",
            ),
        ),
        rx.cond(view.amount_error, field_message("send-amount-error", view.amount_error)),
        labelled_field(
            "Note (optional, both sides see it)",
            "send-note",
            rx.input(
                value=view.note,
                on_change=events.on_note,
                max_length=500,
                id="send-note",
                width="100%",
            ),
        ),
        spacing="3",
        width="100%",
    )


def _email_field(view: rx.Var[Any], events: TransferEvents) -> rx.Component:
    return labelled_field(
        "Their email",
        "send-email",
        rx.input(
            value=view.email,
            on_change=events.on_email,
            type="email",
            placeholder="name@example.com",
            auto_complete="off",
            id="send-email",
            width="100%",
        ),
    )


def _org_field(view: rx.Var[Any], events: TransferEvents) -> rx.Component:
    return rx.cond(
        view.orgs.length() > 0,
        _picker("Organization", "send-org", view.orgs, view.org_id, events),
        rx.text(view.no_orgs, size=styles.BODY_SIZE, id="send-no-orgs", **styles.CAPTION_STYLE),
    )


def _picker(
    label: str,
    element_id: str,
    choices: rx.Var[Any],
    value: rx.Var[Any],
    events: TransferEvents,
) -> rx.Component:
    on_change = events.on_member if element_id == "send-member" else events.on_org
    return labelled_field(
        label,
        element_id,
        rx.select.root(
            rx.select.trigger(
                placeholder=f"Choose {label.lower()}",
                id=element_id,
                width="100%",
                aria_label=label,
            ),
            rx.select.content(
                rx.foreach(
                    choices,
                    lambda choice: rx.select.item(choice.label, value=choice.value),
                ),
                position="popper",
            ),
            value=value,
            on_change=on_change,
            size="2",
        ),
    )


def _confirmation(view: rx.Var[Any]) -> rx.Component:
    """What will happen, in one box: the amount, from where, to whom."""
    return summary_box(
        summary_line("Send", view.summary_amount, emphasis=True),
        summary_line("From", view.wallet_label),
        summary_line("To", view.summary_to),
        rx.cond(view.note, summary_line("Note", view.note)),
        rx.text(
            "Credits keep their expiry dates. A transfer cannot be taken back by the sender.",
            size=styles.SMALL_SIZE,
            **styles.CAPTION_STYLE,
        ),
        id="send-credits-summary",
    )


def _actions(view: rx.Var[Any], events: TransferEvents) -> rx.Component:
    secondary = rx.cond(
        view.confirming,
        rx.button(
            "Back",
            variant="soft",
            color_scheme="gray",
            size="3",
            disabled=view.submitting,
            on_click=events.on_back,
            id="send-back",
            width=styles.FULL_WIDTH_ON_PHONES,
        ),
        cancel_button(),
    )
    primary = rx.cond(
        view.confirming,
        rx.button(
            rx.icon("send", size=styles.ICON_SIZE),
            "Send ",
            view.summary_amount,
            size="3",
            loading=view.submitting,
            on_click=events.on_confirm,
            id="send-confirm",
            width=styles.FULL_WIDTH_ON_PHONES,
        ),
        rx.button(
            "Review",
            size="3",
            disabled=~view.can_review,
            on_click=events.on_review,
            id="send-review",
            width=styles.FULL_WIDTH_ON_PHONES,
        ),
    )
    return action_row(secondary, primary)
