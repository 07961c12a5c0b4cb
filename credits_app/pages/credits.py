"""The /credits page (the demo user's balance) and the index page that leads to it."""

import reflex as rx

from credits_app import styles
from credits_app.components.credits.credits_balance_card import credits_balance_card
from credits_app.state.credits_page_state import CreditsPageState
from credits_app.templates import template


@template(route="/", title=styles.APP_NAME)
def index() -> rx.Component:
    """A landing page that points at the credits page until the dashboard exists."""
    return rx.vstack(
        rx.heading("Welcome", size=styles.HEADING_SIZE),
        rx.text(
            "One credit currency for personal and organization wallets.",
            **styles.CAPTION_STYLE,
        ),
        rx.link("Go to your credits →", href="/credits", id="credits-link", **styles.LINK_STYLE),
        spacing=styles.GAP_MEDIUM,
    )


@template(route="/credits", title="Credits", on_load=CreditsPageState.load_balance)
def credits_page() -> rx.Component:
    """The personal balance of the viewer (for now the demo user)."""
    return rx.vstack(
        rx.vstack(
            rx.heading("Credits", size=styles.HEADING_SIZE),
            rx.text(
                "One balance for AI usage, marketplace purchases, premium features "
                "and subscriptions.",
                **styles.CAPTION_STYLE,
            ),
            spacing=styles.GAP_SMALL,
        ),
        credits_balance_card(
            CreditsPageState.balance,
            caption=rx.cond(
                CreditsPageState.owner_name,
                "Demo account: " + CreditsPageState.owner_name,
                "",
            ),
            message=CreditsPageState.message,
            loading=CreditsPageState.loading,
        ),
        spacing=styles.GAP_LARGE,
        width="100%",
    )
