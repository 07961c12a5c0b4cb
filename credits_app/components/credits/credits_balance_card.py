"""The balance card: a big, readable credit balance with a muted label and the unit."""

import reflex as rx

from credits_app import styles


def credits_balance_card(
    balance: rx.Var[str] | str,
    *,
    label: str = "Personal balance",
    caption: rx.Var[str] | str = "",
    message: rx.Var[str] | str = "",
    loading: rx.Var[bool] | bool = False,
) -> rx.Component:
    """Render a balance that is already formatted, so the card never does money arithmetic.

    A non-empty `message` (e.g. "no wallet yet") replaces the amount, so no stale number shows.
    """
    amount = rx.hstack(
        rx.text(balance, id="credits-balance", **styles.BALANCE_STYLE),
        rx.text(styles.CREDITS_UNIT, size=styles.UNIT_SIZE, **styles.UNIT_STYLE),
        align="baseline",
        spacing=styles.GAP_SMALL,
    )
    return rx.box(
        rx.vstack(
            rx.text(label, size=styles.LABEL_SIZE, **styles.CARD_LABEL_STYLE),
            rx.cond(
                message,
                rx.callout(message, icon="info", size="1", id="credits-balance-message"),
                rx.skeleton(amount, loading=loading),
            ),
            rx.cond(
                caption,
                rx.text(caption, size=styles.LABEL_SIZE, **styles.CAPTION_STYLE),
            ),
            spacing=styles.GAP_MEDIUM,
        ),
        **styles.CARD_STYLE,
    )
