"""The package catalog as a grid of cards: credits, bonus, price, price per 1,000 credits.

The popular package is outlined and badged. When the viewer may not buy (an org member who
is not an owner or admin) the cards stay visible for reference, the buy buttons disappear,
and a note says why and whom to ask.
"""

from collections.abc import Callable
from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.card import card_header

StrProp = rx.Var[str] | str
BoolProp = rx.Var[bool] | bool


def credits_purchase_packages(
    packages: rx.Var[list[Any]],
    *,
    on_choose: Callable[[rx.Var[str]], Any],
    on_custom: Any = None,
    can_buy: BoolProp = True,
    blocked_reason: StrProp = "",
    wallet_label: StrProp = "",
) -> rx.Component:
    """Render the grid; `on_choose(package_id)` opens the confirmation dialog, `on_custom`
    the dialog on a custom amount (priced by the volume tiers)."""
    return rx.vstack(
        card_header(
            "Buy credits",
            rx.fragment(
                "Credits are added to ", rx.text.strong(wallet_label), " right after payment."
            ),
            rx.hstack(
                rx.icon("lock", size=styles.SMALL_ICON_SIZE),
                rx.text("Secure checkout by Stripe", size=styles.SMALL_SIZE),
                align="center",
                spacing="1",
                **styles.CAPTION_STYLE,
            ),
        ),
        rx.cond(
            can_buy,
            rx.fragment(),
            rx.callout(
                blocked_reason,
                icon="shield-alert",
                color_scheme="gray",
                variant="surface",
                width="100%",
                id="purchase-blocked",
            ),
        ),
        rx.grid(
            rx.foreach(packages, lambda package: _package_card(package, on_choose, can_buy)),
            columns=styles.PACKAGE_GRID_COLUMNS,
            spacing=styles.GAP_MEDIUM,
            width="100%",
            id="package-grid",
        ),
        rx.cond(
            can_buy,
            rx.flex(
                rx.vstack(
                    rx.text("Need a different amount?", size="3", weight="bold"),
                    rx.text(
                        "Buy any whole number of credits; the more you buy, the less each costs.",
                        size=styles.BODY_SIZE,
                        **styles.CAPTION_STYLE,
                    ),
                    spacing="1",
                ),
                rx.button(
                    rx.icon("calculator", size=styles.ICON_SIZE),
                    "Buy a custom amount",
                    variant="soft",
                    size="3",
                    on_click=on_custom,
                    id="buy-custom",
                    width=styles.FULL_WIDTH_ON_PHONES,
                ),
                justify="between",
                align=rx.breakpoints(initial="start", sm="center"),
                direction=rx.breakpoints(initial="column", sm="row"),
                gap="12px",
                id="custom-amount-offer",
                **styles.SURFACE_STYLE,
            ),
        )
        if on_custom is not None
        else rx.fragment(),
        spacing=styles.GAP_MEDIUM,
        width="100%",
    )


def _package_card(
    package: rx.Var[Any], on_choose: Callable[[rx.Var[str]], Any], can_buy: BoolProp
) -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.text(package.name, size="3", weight="bold"),
                rx.cond(
                    package.popular,
                    rx.badge("Most popular", variant="solid", radius="full"),
                ),
                justify="between",
                align="center",
                width="100%",
                min_height="24px",
            ),
            rx.vstack(
                rx.hstack(
                    rx.text(package.total_credits, **PRICE_STYLE),
                    rx.text(styles.CREDITS_UNIT, size=styles.BODY_SIZE, **styles.UNIT_STYLE),
                    align="baseline",
                    spacing="1",
                ),
                rx.text(
                    rx.cond(
                        package.has_bonus,
                        rx.fragment(package.base_credits, " + ", package.bonus_credits, " bonus"),
                        "No bonus",
                    ),
                    size=styles.BODY_SIZE,
                    color=rx.cond(
                        package.has_bonus, styles.CREDIT_TEXT_COLOR, styles.MUTED_TEXT_COLOR
                    ),
                    weight="medium",
                ),
                spacing="1",
                align="start",
            ),
            rx.divider(),
            rx.hstack(
                rx.text(package.price, size="5", weight="bold", **styles.NUMBER_STYLE),
                rx.cond(
                    package.savings,
                    rx.badge(package.savings, color_scheme=styles.CREDIT_COLOR, variant="soft"),
                ),
                justify="between",
                align="center",
                width="100%",
            ),
            rx.text(
                rx.fragment(package.price_per_thousand, " per 1,000 credits"),
                size=styles.SMALL_SIZE,
                **styles.CAPTION_STYLE,
            ),
            rx.spacer(),
            rx.cond(
                can_buy,
                rx.button(
                    rx.icon("shopping-cart", size=styles.ICON_SIZE),
                    "Buy ",
                    package.name,
                    width="100%",
                    size="3",
                    variant=rx.cond(package.popular, "solid", "soft"),
                    on_click=on_choose(package.id),
                    class_name="buy-package",
                    custom_attrs={"data-package": package.id},
                ),
            ),
            spacing="3",
            height="100%",
            width="100%",
        ),
        class_name="package-card",
        **PACKAGE_CARD_STYLE,
        # The popular package is outlined in the accent colour.
        box_shadow=rx.cond(package.popular, styles.POPULAR_SHADOW, styles.SHADOW),
        border=rx.cond(package.popular, POPULAR_BORDER, styles.CARD_BORDER),
    )


PACKAGE_CARD_STYLE: dict[str, Any] = {
    key: value for key, value in styles.SURFACE_STYLE.items() if key not in {"box_shadow", "border"}
} | {"height": "100%"}
PRICE_STYLE: dict[str, Any] = {
    "font_size": "28px",
    "font_weight": "700",
    "letter_spacing": "-0.01em",
    "font_variant_numeric": "tabular-nums",
}
POPULAR_BORDER = "1px solid transparent"
