"""The Settings tab of a credits page: limit and thresholds, email alerts, one Save."""

from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.card import card, card_header
from credits_app.state.auto_recharge_state import AutoRechargeState
from credits_app.state.wallet_context_state import WalletContextState
from credits_app.state.wallet_settings_state import WalletSettingsState as S
from credits_app.state.webhook_endpoints_state import WebhookEndpointsState
from credits_app.views.billing_cards_view import billing_cards
from credits_app.views.webhooks_view import webhooks_card


def settings_view() -> rx.Component:
    """The wallet's spending settings (read-only for org members) and the user's email alerts."""
    return rx.vstack(
        card(
            card_header(
                "Limits and alerts",
                rx.cond(
                    S.can_edit,
                    "Leave a field empty for no limit or no alert.",
                    "Only owners and admins can change these.",
                ),
            ),
            rx.grid(
                _amount("monthly_limit", "Monthly limit", S.monthly_limit, S.set_monthly_limit),
                _amount(
                    "low_threshold", "Low balance alert at", S.low_threshold, S.set_low_threshold
                ),
                _amount(
                    "critical_threshold",
                    "Critical balance alert at",
                    S.critical_threshold,
                    S.set_critical_threshold,
                ),
                columns=rx.breakpoints(initial="1", sm="3"),
                spacing="4",
                width="100%",
            ),
        ),
        card(
            card_header("Email alerts", "Sent to your address, for all your wallets."),
            rx.hstack(
                rx.switch(
                    checked=S.email_enabled,
                    on_change=S.set_email_enabled,
                    id="settings-email-enabled",
                    aria_label="Email me alerts",
                ),
                rx.text("Email me alerts", size=styles.BODY_SIZE),
                align="center",
                spacing="2",
            ),
            rx.cond(
                S.email_enabled,
                rx.flex(
                    rx.foreach(S.email_choices, _email_choice),
                    wrap="wrap",
                    gap="12px",
                ),
            ),
        ),
        rx.hstack(
            rx.button(
                "Save settings",
                on_click=S.save,
                id="settings-save",
                size="2",
            ),
            rx.cond(
                WalletContextState.is_org & ~S.can_edit,
                rx.text(
                    "Your email choices are still saved.",
                    size=styles.SMALL_SIZE,
                    color=styles.MUTED_TEXT_COLOR,
                ),
            ),
            align="center",
            spacing="3",
        ),
        billing_cards(),
        webhooks_card(),
        spacing="4",
        width="100%",
        on_mount=[S.load, AutoRechargeState.load, WebhookEndpointsState.load],
    )


def _amount(name: str, label: str, value: rx.Var[str], on_change: Any) -> rx.Component:
    error = S.errors[name]
    return rx.vstack(
        rx.text(
            label, as_="label", html_for=f"settings-{name}", size=styles.BODY_SIZE, weight="medium"
        ),
        rx.input(
            value=value,
            on_change=on_change,
            id=f"settings-{name}",
            placeholder="None",
            input_mode="decimal",
            disabled=~S.can_edit,
            width="100%",
            aria_invalid=rx.cond(error, "true", "false"),
        ),
        rx.cond(
            error,
            rx.text(
                error,
                size=styles.SMALL_SIZE,
                color=styles.CRITICAL_TEXT_COLOR,
                id=f"settings-{name}-error",
            ),
        ),
        spacing="1",
        width="100%",
    )


def _email_choice(choice: rx.Var[list[str]]) -> rx.Component:
    return rx.checkbox(
        choice[1],
        checked=choice[2] == "on",
        on_change=lambda on: S.toggle_email_event(choice[0], on),
        id="settings-email-" + choice[0].to(str).replace(".", "-"),
    )
