"""The webhook endpoints card of the Settings tab (owners and admins of an org, or the user)."""

from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.card import card, card_header
from credits_app.state.webhook_endpoints_state import WebhookEndpointsState as W


def webhooks_card() -> rx.Component:
    """Endpoints with test/delete, and a form to add one; the secret shows once after adding."""
    return rx.cond(
        W.can_manage,
        card(
            card_header(
                "Webhooks",
                "Signed (Standard Webhooks) POSTs of the events you choose, retried for 24 h.",
            ),
            rx.cond(
                W.rows.length() > 0,  # type: ignore[attr-defined]
                rx.vstack(rx.foreach(W.rows, _endpoint), spacing="2", width="100%"),
                rx.text("No endpoints yet.", size=styles.BODY_SIZE, color=styles.MUTED_TEXT_COLOR),
            ),
            rx.cond(W.secret != "", _secret_once()),
            _add_form(),
        ),
        rx.fragment(),
    )


def _endpoint(row: Any) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text(row.url, size=styles.BODY_SIZE, weight="medium", word_break="break-all"),
            rx.text(row.events, size=styles.SMALL_SIZE, color=styles.MUTED_TEXT_COLOR),
            rx.text(
                row.deliveries,
                size=styles.SMALL_SIZE,
                color=styles.MUTED_TEXT_COLOR,
                class_name="uc-webhook-deliveries",
            ),
            spacing="0",
            align="start",
            min_width="0",
        ),
        rx.hstack(
            rx.button("Send test event", size="1", variant="soft", on_click=W.send_test(row.id)),
            rx.button(
                "Delete", size="1", variant="soft", color_scheme="red", on_click=W.remove(row.id)
            ),
            spacing="2",
        ),
        justify="between",
        align="center",
        gap="12px",
        wrap="wrap",
        width="100%",
        class_name="uc-webhook-endpoint",
        **styles.WEBHOOK_ROW_STYLE,
    )


def _secret_once() -> rx.Component:
    return rx.callout(
        rx.vstack(
            rx.text("Signing secret (shown only now; store it in your receiver):"),
            rx.code(W.secret, id="webhook-secret", word_break="break-all"),
            rx.button("I stored it", size="1", variant="soft", on_click=W.forget_secret),
            spacing="2",
            align="start",
        ),
        icon="key-round",
        width="100%",
    )


def _add_form() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.input(
                value=W.new_url,
                on_change=W.set_new_url,
                placeholder="https://example.com/webhooks/credits",
                id="webhook-url",
                width="100%",
            ),
            rx.button("Add endpoint", on_click=W.add, id="webhook-add"),
            width="100%",
        ),
        rx.flex(
            rx.foreach(
                W.event_choices,
                lambda choice: rx.checkbox(
                    choice[0],
                    checked=choice[1] == "on",
                    on_change=lambda on: W.toggle_event(choice[0], on),
                    size="1",
                ),
            ),
            wrap="wrap",
            gap="10px",
        ),
        rx.cond(
            W.error != "",
            rx.text(
                W.error,
                size=styles.SMALL_SIZE,
                color=styles.CRITICAL_TEXT_COLOR,
                id="webhook-error",
            ),
        ),
        spacing="2",
        width="100%",
    )
