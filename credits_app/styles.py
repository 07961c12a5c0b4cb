"""Every colour, size and spacing of the UI, in one place: components read only from here."""

from typing import Any

import reflex as rx

APP_NAME = "Universal Credits"
CREDITS_UNIT = "credits"

# Radix Themes palette and shape (https://www.radix-ui.com/themes/docs/theme/color).
ACCENT_COLOR = "indigo"
GRAY_COLOR = "slate"
RADIUS = "large"
SCALING = "100%"

# Colours, as Radix scale steps so light and dark mode both stay readable.
PAGE_BACKGROUND = rx.color("gray", 2)
SURFACE_BACKGROUND = rx.color("gray", 1)
BORDER_COLOR = rx.color("gray", 5)
TEXT_COLOR = rx.color("gray", 12)
MUTED_TEXT_COLOR = rx.color("gray", 11)
ACCENT_TEXT_COLOR = rx.color("accent", 11)
ACCENT_SOFT_BACKGROUND = rx.color("accent", 3)
BRAND_MARK_BACKGROUND = rx.color("accent", 9)
BRAND_MARK_TEXT_COLOR = rx.color("accent", 1)
SHADOW = "0 1px 2px rgba(16, 24, 40, 0.06), 0 1px 3px rgba(16, 24, 40, 0.10)"

# Sizes and spacing.
FONT_FAMILY = "Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
TOP_BAR_HEIGHT = "56px"
CONTENT_MAX_WIDTH = "960px"
CARD_MAX_WIDTH = "420px"
PAGE_PADDING_X = "24px"
PAGE_PADDING_Y = "32px"
CARD_PADDING = "24px"
BORDER_RADIUS = "12px"
BRAND_MARK_SIZE = "28px"
BALANCE_FONT_SIZE = "44px"
BALANCE_LINE_HEIGHT = "1.1"
BALANCE_LETTER_SPACING = "-0.02em"
HEADING_SIZE = "6"  # Radix size scale "1".."9"
BRAND_SIZE = "4"
LABEL_SIZE = "2"
UNIT_SIZE = "4"
GAP_SMALL = "2"  # Radix spacing scale "1".."9"
GAP_MEDIUM = "4"
GAP_LARGE = "6"


def theme() -> rx.Component:
    """The Radix theme for the whole app, so accent and radius are set once."""
    return rx.theme(
        accent_color=ACCENT_COLOR,
        gray_color=GRAY_COLOR,
        radius=RADIUS,
        scaling=SCALING,
        has_background=True,
    )


BASE_STYLE: dict[str, Any] = {
    "font_family": FONT_FAMILY,
    "color": TEXT_COLOR,
}

PAGE_STYLE: dict[str, Any] = {
    "min_height": "100vh",
    "width": "100%",
    "background": PAGE_BACKGROUND,
}

TOP_BAR_STYLE: dict[str, Any] = {
    "width": "100%",
    "background": SURFACE_BACKGROUND,
    "border_bottom": f"1px solid {BORDER_COLOR}",
}

TOP_BAR_INNER_STYLE: dict[str, Any] = {
    "height": TOP_BAR_HEIGHT,
    "width": "100%",
    "max_width": CONTENT_MAX_WIDTH,
    "margin_x": "auto",
    "padding_x": PAGE_PADDING_X,
    "align": "center",
}

BRAND_MARK_STYLE: dict[str, Any] = {
    "width": BRAND_MARK_SIZE,
    "height": BRAND_MARK_SIZE,
    "border_radius": "8px",
    "background": BRAND_MARK_BACKGROUND,
    "color": BRAND_MARK_TEXT_COLOR,
    "font_weight": "700",
    "align": "center",
    "justify": "center",
}

CONTENT_STYLE: dict[str, Any] = {
    "width": "100%",
    "max_width": CONTENT_MAX_WIDTH,
    "margin_x": "auto",
    "padding_x": PAGE_PADDING_X,
    "padding_y": PAGE_PADDING_Y,
}

CARD_STYLE: dict[str, Any] = {
    "width": "100%",
    "max_width": CARD_MAX_WIDTH,
    "padding": CARD_PADDING,
    "border_radius": BORDER_RADIUS,
    "background": SURFACE_BACKGROUND,
    "border": f"1px solid {BORDER_COLOR}",
    "box_shadow": SHADOW,
}

CARD_LABEL_STYLE: dict[str, Any] = {
    "color": MUTED_TEXT_COLOR,
    "font_weight": "500",
    "text_transform": "uppercase",
    "letter_spacing": "0.06em",
}

BALANCE_STYLE: dict[str, Any] = {
    "font_size": BALANCE_FONT_SIZE,
    "font_weight": "700",
    "line_height": BALANCE_LINE_HEIGHT,
    "letter_spacing": BALANCE_LETTER_SPACING,
    "color": TEXT_COLOR,
    "font_variant_numeric": "tabular-nums",
}

UNIT_STYLE: dict[str, Any] = {
    "color": MUTED_TEXT_COLOR,
    "font_weight": "500",
}

CAPTION_STYLE: dict[str, Any] = {
    "color": MUTED_TEXT_COLOR,
}

LINK_STYLE: dict[str, Any] = {
    "color": ACCENT_TEXT_COLOR,
    "font_weight": "500",
}
