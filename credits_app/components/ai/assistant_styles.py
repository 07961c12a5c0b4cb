"""Styles used only by the assistant widget's newer parts (the shared theme is in styles.py)."""

from typing import Any

from credits_app import styles

IMAGE_PREVIEW_STYLE: dict[str, Any] = {
    "width": "100%",
    "max_width": "280px",
    "border_radius": styles.ASSISTANT_BUBBLE_RADIUS,
    "border": f"1px solid {styles.BORDER_COLOR}",
}
MODE_SWITCH_STYLE: dict[str, Any] = {"width": "100%", "margin_bottom": "8px"}
