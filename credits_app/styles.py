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

# Semantic colour names (Radix scales) for states the user must notice.
OK_COLOR = "grass"
LOW_COLOR = "amber"
CRITICAL_COLOR = "red"
CREDIT_COLOR = "grass"  # money coming in

# Colours, as Radix scale steps so light and dark mode both stay readable.
PAGE_BACKGROUND = rx.color("gray", 2)
SURFACE_BACKGROUND = rx.color("gray", 1)
SUBTLE_BACKGROUND = rx.color("gray", 3)
HOVER_BACKGROUND = rx.color("gray", 4)
BORDER_COLOR = rx.color("gray", 5)
TEXT_COLOR = rx.color("gray", 12)
MUTED_TEXT_COLOR = rx.color("gray", 11)
ACCENT_TEXT_COLOR = rx.color("accent", 11)
ACCENT_SOFT_BACKGROUND = rx.color("accent", 3)
BRAND_MARK_BACKGROUND = rx.color("accent", 9)
BRAND_MARK_TEXT_COLOR = rx.color("accent", 1)
CREDIT_TEXT_COLOR = rx.color(CREDIT_COLOR, 11)
DEBIT_TEXT_COLOR = rx.color("gray", 12)
LOW_TEXT_COLOR = rx.color(LOW_COLOR, 11)
CRITICAL_TEXT_COLOR = rx.color(CRITICAL_COLOR, 11)
SHADOW = "0 1px 2px rgba(16, 24, 40, 0.06), 0 1px 3px rgba(16, 24, 40, 0.10)"
POPULAR_SHADOW = "0 0 0 2px var(--accent-9), 0 8px 24px rgba(62, 99, 221, 0.18)"

# Chart colours: Plotly draws on canvas/SVG and cannot read CSS variables, so these are hex.
# One colour per usage category, in `CreditUsageCategory` order (the order of the traces).
CHART_CATEGORY_COLORS = ["#3E63DD", "#12A594", "#E54666", "#F76B15", "#8E4EC6", "#8B8D98"]
CHART_TEXT_COLOR = "#60646C"
CHART_GRID_COLOR = "#E8E8EC"
CHART_PAPER_COLOR = "#FCFCFD"  # Radix slate 1, the card's background
CHART_DARK_TEXT_COLOR = "#B0B4BA"  # Radix slate dark 11
CHART_DARK_GRID_COLOR = "#2B2D31"  # Radix slate dark 5
CHART_DARK_PAPER_COLOR = "#111113"  # Radix slate dark 1
CHART_FONT_SIZE = 12
CHART_HEIGHT = "320px"

# Sizes and spacing.
FONT_FAMILY = "Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
TOP_BAR_HEIGHT = "56px"
SIDEBAR_WIDTH = "240px"
CONTENT_MAX_WIDTH = "1120px"
AUTH_CARD_MAX_WIDTH = "400px"
PAGE_PADDING_X = ["16px", "16px", "24px", "32px"]
PAGE_PADDING_Y = ["20px", "20px", "28px", "32px"]
CARD_PADDING = ["16px", "20px", "24px"]
CONTENT_BOTTOM_CLEARANCE = "96px"  # below the page content: the assistant launcher's room
BORDER_RADIUS = "12px"
BRAND_MARK_SIZE = "28px"
BALANCE_FONT_SIZE = ["34px", "40px", "44px"]
BALANCE_PLACEHOLDER_HEIGHT = "48px"  # one line of the balance, so nothing jumps when it lands
HEADING_SIZE = "6"  # Radix size scale "1".."9"
SECTION_HEADING_SIZE = "4"
BRAND_SIZE = "4"
BODY_SIZE = "2"
SMALL_SIZE = "1"
UNIT_SIZE = "4"
GAP_SMALL = "2"  # Radix spacing scale "1".."9"
GAP_MEDIUM = "4"
GAP_LARGE = "6"
ICON_SIZE = 16
SMALL_ICON_SIZE = 14
# Responsive Radix props: phone, tablet, laptop and up (Radix breakpoints xs/sm/md/lg).
PACKAGE_GRID_COLUMNS = rx.breakpoints(initial="1", xs="2", lg="4")
FEATURE_GRID_COLUMNS = rx.breakpoints(initial="2", md="4")
BREAKDOWN_GRID_COLUMNS = rx.breakpoints(initial="1", md="2")
HISTORY_TABLE_MIN_WIDTH = "720px"
# `display` values that show an element only below / from the tablet breakpoint (768px).
FULL_WIDTH_ON_PHONES = ["100%", "auto"]
NARROW_ONLY = ["flex", "flex", "none"]
WIDE_ONLY = ["none", "none", "block"]
SKELETON_ROWS = 5


def theme() -> rx.Component:
    """The Radix theme for the whole app, so accent and radius are set once."""
    return rx.theme(
        accent_color=ACCENT_COLOR,
        gray_color=GRAY_COLOR,
        radius=RADIUS,
        scaling=SCALING,
        has_background=True,
        # Follows the app's colour mode: the system setting until the person picks one
        # with the toggle (remembered per browser by Reflex's colour-mode provider).
        appearance="inherit",
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
    "position": "sticky",
    "top": "0",
    "z_index": "10",
    "width": "100%",
    "background": SURFACE_BACKGROUND,
    "border_bottom": f"1px solid {BORDER_COLOR}",
}

TOP_BAR_INNER_STYLE: dict[str, Any] = {
    "height": TOP_BAR_HEIGHT,
    "width": "100%",
    "padding_x": PAGE_PADDING_X,
    "align": "center",
    "justify": "between",
}

SIDEBAR_STYLE: dict[str, Any] = {
    "width": SIDEBAR_WIDTH,
    "min_width": SIDEBAR_WIDTH,
    "align_self": "stretch",
    "min_height": f"calc(100vh - {TOP_BAR_HEIGHT})",
    "background": SURFACE_BACKGROUND,
    "border_right": f"1px solid {BORDER_COLOR}",
}

SIDEBAR_INNER_STYLE: dict[str, Any] = {
    "position": "sticky",
    "top": TOP_BAR_HEIGHT,
    "max_height": f"calc(100vh - {TOP_BAR_HEIGHT})",
    "overflow_y": "auto",
    "padding": "16px 12px",
}

SIDEBAR_SECTION_LABEL_STYLE: dict[str, Any] = {
    "color": MUTED_TEXT_COLOR,
    "font_weight": "500",
    "text_transform": "uppercase",
    "letter_spacing": "0.06em",
    "padding_x": "8px",
}

NAV_LINK_STYLE: dict[str, Any] = {
    "width": "100%",
    "padding": "8px 10px",
    "border_radius": "8px",
    "color": MUTED_TEXT_COLOR,
    "font_weight": "500",
    "_hover": {"background": HOVER_BACKGROUND, "color": TEXT_COLOR},
}

NAV_LINK_ACTIVE_STYLE: dict[str, Any] = NAV_LINK_STYLE | {
    "background": ACCENT_SOFT_BACKGROUND,
    "color": ACCENT_TEXT_COLOR,
    "_hover": {"background": ACCENT_SOFT_BACKGROUND, "color": ACCENT_TEXT_COLOR},
}

ORG_SWITCHER_STYLE: dict[str, Any] = {
    "width": "100%",
    "padding": "8px 10px",
    "border_radius": "8px",
    "border": f"1px solid {BORDER_COLOR}",
    "background": SURFACE_BACKGROUND,
    "color": TEXT_COLOR,
    "font": "inherit",
    "text_align": "left",
    "cursor": "pointer",
    "_hover": {"background": HOVER_BACKGROUND},
    "_focus_visible": {"outline": f"2px solid {rx.color('accent', 8)}", "outline_offset": "2px"},
}

AVATAR_MARK_STYLE: dict[str, Any] = {
    "width": "24px",
    "height": "24px",
    "min_width": "24px",
    "border_radius": "6px",
    "background": ACCENT_SOFT_BACKGROUND,
    "color": ACCENT_TEXT_COLOR,
    "font_size": "12px",
    "font_weight": "700",
    "align": "center",
    "justify": "center",
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

DASHBOARD_BODY_STYLE: dict[str, Any] = {
    "width": "100%",
    "align_items": "flex-start",
}

CONTENT_STYLE: dict[str, Any] = {
    "width": "100%",
    "min_width": "0",
    "max_width": CONTENT_MAX_WIDTH,
    "margin_x": "auto",
    "padding_x": PAGE_PADDING_X,
    "padding_top": PAGE_PADDING_Y,
    "padding_bottom": CONTENT_BOTTOM_CLEARANCE,
}

AUTH_PAGE_STYLE: dict[str, Any] = {
    "min_height": "100vh",
    "width": "100%",
    "padding": "24px 16px",
    "background": PAGE_BACKGROUND,
    "align": "center",
    "justify": "center",
}

AUTH_CARD_STYLE: dict[str, Any] = {
    "width": "100%",
    "max_width": AUTH_CARD_MAX_WIDTH,
    "padding": "32px",
    "border_radius": BORDER_RADIUS,
    "background": SURFACE_BACKGROUND,
    "border": f"1px solid {BORDER_COLOR}",
    "box_shadow": SHADOW,
}

SURFACE_STYLE: dict[str, Any] = {
    "width": "100%",
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


NUMBER_STYLE: dict[str, Any] = {
    "font_variant_numeric": "tabular-nums",
    "white_space": "nowrap",
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


CARD_BORDER = f"1px solid {BORDER_COLOR}"


EMPTY_STATE_STYLE: dict[str, Any] = {
    "width": "100%",
    "padding": "40px 16px",
    "border": f"1px dashed {BORDER_COLOR}",
    "border_radius": BORDER_RADIUS,
    "align": "center",
    "text_align": "center",
}

EMPTY_STATE_ICON_STYLE: dict[str, Any] = {
    "width": "44px",
    "height": "44px",
    "border_radius": "999px",
    "background": ACCENT_SOFT_BACKGROUND,
    "color": ACCENT_TEXT_COLOR,
    "align": "center",
    "justify": "center",
}


def banner_style(color: str, *, compact: bool = False) -> dict[str, Any]:
    """A full-width bar tinted with one Radix colour scale (e.g. LOW_COLOR)."""
    return {
        "width": "100%",
        "padding": "8px 10px" if compact else "14px 16px",
        "border_radius": BORDER_RADIUS,
        "background": rx.color(color, 2),
        "border": f"1px solid {rx.color(color, 6)}",
        "color": rx.color(color, 11),
    }


# The 2Bot AI assistant widget: a launcher bottom-right and a floating chat panel. Below the
# top bar (z-index 10), so on phones the panel slides in under it and the header balance stays
# in sight; dialogs and menus render in portals above the whole app.
ASSISTANT_Z_INDEX = "9"
ASSISTANT_PANEL_WIDTH = "400px"
ASSISTANT_OFFSET = ["16px", "24px"]  # from the viewport's edges (phones, then wider)
ASSISTANT_LAUNCHER_SIZE = "52px"
ASSISTANT_BUBBLE_RADIUS = "14px"
ASSISTANT_TYPING_ANIMATION = (
    "uc-typing 1.2s ease-in-out infinite"  # keyframes: assets/uc-assistant.css
)
STYLESHEETS = ["/uc-assistant.css"]
# Toasts at the bottom centre: bottom-right is the assistant's corner (launcher and panel).
TOAST_POSITION = "bottom-center"

ASSISTANT_LAUNCHER_STYLE: dict[str, Any] = {
    "position": "fixed",
    "right": ASSISTANT_OFFSET,
    "bottom": ASSISTANT_OFFSET,
    "z_index": ASSISTANT_Z_INDEX,
    "width": ASSISTANT_LAUNCHER_SIZE,
    "height": ASSISTANT_LAUNCHER_SIZE,
    "box_shadow": "0 6px 20px rgba(62, 99, 221, 0.35), 0 2px 6px rgba(16, 24, 40, 0.12)",
}

ASSISTANT_PANEL_STYLE: dict[str, Any] = {
    "position": "fixed",
    "z_index": ASSISTANT_Z_INDEX,
    # Phones: the full width under the top bar. Wider: a card above the launcher.
    "top": [TOP_BAR_HEIGHT, "auto"],
    "left": ["0", "auto"],
    "right": ["0", "24px"],
    "bottom": ["0", "88px"],
    "width": ["100%", ASSISTANT_PANEL_WIDTH],
    "height": ["auto", f"min(640px, calc(100vh - {TOP_BAR_HEIGHT} - 112px))"],
    "direction": "column",
    "background": SURFACE_BACKGROUND,
    "border": ["none", f"1px solid {BORDER_COLOR}"],  # phones: the top bar's line is enough
    "border_radius": ["0", "16px"],
    "box_shadow": "0 16px 48px rgba(16, 24, 40, 0.18), 0 4px 12px rgba(16, 24, 40, 0.08)",
    "overflow": "hidden",
}

ASSISTANT_HEADER_STYLE: dict[str, Any] = {
    "padding": "12px 12px 12px 16px",
    "border_bottom": f"1px solid {BORDER_COLOR}",
    "width": "100%",
    "align": "center",
    "justify": "between",
}

ASSISTANT_AVATAR_STYLE: dict[str, Any] = {
    "width": "32px",
    "height": "32px",
    "min_width": "32px",
    "border_radius": "10px",
    "background": BRAND_MARK_BACKGROUND,
    "color": BRAND_MARK_TEXT_COLOR,
    "align": "center",
    "justify": "center",
}

ASSISTANT_USAGE_STYLE: dict[str, Any] = {
    "padding": "12px 16px",
    "background": PAGE_BACKGROUND,
    "border_bottom": f"1px solid {BORDER_COLOR}",
    "width": "100%",
}

ASSISTANT_STAT_LABEL_STYLE: dict[str, Any] = CARD_LABEL_STYLE | {
    "font_size": "11px",
    "white_space": "nowrap",
}

ASSISTANT_MESSAGES_STYLE: dict[str, Any] = {
    # column-reverse keeps the view pinned to the newest message without any script.
    "flex": "1",
    "min_height": "0",
    "overflow_y": "auto",
    "display": "flex",
    "flex_direction": "column-reverse",
    "padding": "16px",
    "width": "100%",
}

ASSISTANT_USER_BUBBLE_STYLE: dict[str, Any] = {
    "max_width": "85%",
    "padding": "8px 12px",
    "border_radius": ASSISTANT_BUBBLE_RADIUS,
    "border_bottom_right_radius": "4px",
    "background": BRAND_MARK_BACKGROUND,
    "color": BRAND_MARK_TEXT_COLOR,
    "white_space": "pre-wrap",
    "overflow_wrap": "anywhere",
}

ASSISTANT_FAILED_BUBBLE_STYLE: dict[str, Any] = ASSISTANT_USER_BUBBLE_STYLE | {
    "background": SUBTLE_BACKGROUND,
    "color": MUTED_TEXT_COLOR,
    "border": f"1px dashed {BORDER_COLOR}",
}

ASSISTANT_REPLY_BUBBLE_STYLE: dict[str, Any] = {
    "max_width": "90%",
    "padding": "8px 12px",
    "border_radius": ASSISTANT_BUBBLE_RADIUS,
    "border_bottom_left_radius": "4px",
    "background": SUBTLE_BACKGROUND,
    "color": TEXT_COLOR,
    "white_space": "pre-wrap",
    "overflow_wrap": "anywhere",
}

ASSISTANT_TYPING_DOT_STYLE: dict[str, Any] = {
    "width": "6px",
    "height": "6px",
    "border_radius": "999px",
    "background": MUTED_TEXT_COLOR,
    "animation": ASSISTANT_TYPING_ANIMATION,
}

ASSISTANT_COMPOSER_STYLE: dict[str, Any] = {
    "padding": "12px 16px 10px",
    "border_top": f"1px solid {BORDER_COLOR}",
    "width": "100%",
    "background": SURFACE_BACKGROUND,
}

ASSISTANT_INPUT_STYLE: dict[str, Any] = {
    # One line to start (Radix's default is ~3), growing with the text up to ~6 lines.
    "flex": "1",
    "min_height": "40px",
    "& textarea": {
        "field_sizing": "content",
        "padding_y": "9px",
        "max_height": "132px",
        "resize": "none",
    },
}

ASSISTANT_SUGGESTION_STYLE: dict[str, Any] = {
    "cursor": "pointer",
    "white_space": "normal",
    "height": "auto",
    "padding_y": "6px",
    "text_align": "left",
}

# --- Notifications bell and the Settings tab ---------------------------------------------------

NOTIFICATION_BADGE_STYLE: dict[str, Any] = {
    "position": "absolute",
    "top": "-4px",
    "right": "-6px",
    "min_width": "18px",
    "height": "18px",
    "padding": "0 5px",
    "border_radius": "9px",
    "background": rx.color(CRITICAL_COLOR, 9),
    "color": "white",
    "font_size": "11px",
    "font_weight": "700",
    "line_height": "18px",
    "text_align": "center",
    "pointer_events": "none",
}

NOTIFICATION_PANEL_STYLE: dict[str, Any] = {
    "width": "min(380px, calc(100vw - 24px))",
    "max_height": "min(480px, 70vh)",
    "overflow_y": "auto",
    "padding": "12px",
}

NOTIFICATION_ROW_STYLE: dict[str, Any] = {
    "display": "block",
    "width": "100%",
    "padding": "8px",
    "border_radius": BORDER_RADIUS,
    "_hover": {"background": HOVER_BACKGROUND},
}

NOTIFICATION_DOT_STYLE: dict[str, Any] = {
    "width": "8px",
    "height": "8px",
    "border_radius": "4px",
    "margin_top": "6px",
    "flex_shrink": "0",
}

WEBHOOK_ROW_STYLE: dict[str, Any] = {
    "padding": "10px 12px",
    "border": f"1px solid {BORDER_COLOR}",
    "border_radius": BORDER_RADIUS,
}

# The dot before a notification: how urgent it is.
NOTIFICATION_SEVERITY_COLORS = {
    "danger": rx.color(CRITICAL_COLOR, 9),
    "warning": rx.color(LOW_COLOR, 9),
    "info": rx.color(ACCENT_COLOR, 9),
}
