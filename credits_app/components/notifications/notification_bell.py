"""The bell in the top bar: an unread badge, and a panel listing the latest notifications.

Stateless: it takes the rows (each with `id, title, body, when, when_exact, unread, severity,
href`), the badge text and the events to call. Opening a row marks it read and goes to the
wallet it is about.
"""

from typing import Any

import reflex as rx

from credits_app import styles


def notification_bell(
    rows: rx.Var[list[Any]],
    badge: rx.Var[str],
    label: rx.Var[str],
    *,
    on_open: Any,
    on_read: Any,
    on_read_all: Any,
) -> rx.Component:
    """The bell button and its popover panel."""
    return rx.popover.root(
        rx.popover.trigger(
            # The trigger is the button itself: Radix puts aria-expanded/-controls on it.
            rx.icon_button(
                rx.icon("bell", size=styles.ICON_SIZE),
                rx.cond(
                    badge != "",
                    rx.box(
                        badge,
                        id="notification-badge",
                        aria_hidden="true",
                        **styles.NOTIFICATION_BADGE_STYLE,
                    ),
                ),
                variant="ghost",
                color_scheme="gray",
                aria_label=label,
                id="notification-bell",
                position="relative",
            ),
        ),
        rx.popover.content(
            _panel(rows, on_read, on_read_all),
            aria_label="Notifications",
            **styles.NOTIFICATION_PANEL_STYLE,
        ),
        on_open_change=lambda _open: on_open,
    )


def _panel(rows: rx.Var[list[Any]], on_read: Any, on_read_all: Any) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Notifications", as_="h2", size="3"),
            rx.button(
                "Mark all read",
                size="1",
                variant="ghost",
                on_click=on_read_all,
                id="notifications-read-all",
            ),
            justify="between",
            align="center",
            width="100%",
        ),
        rx.cond(
            rows.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(
                rx.foreach(rows, lambda row: _row(row, on_read)),
                spacing="1",
                width="100%",
                id="notification-list",
            ),
            rx.text(
                "Nothing yet. Low-balance and limit alerts, purchases and refunds appear here.",
                size=styles.BODY_SIZE,
                color=styles.MUTED_TEXT_COLOR,
            ),
        ),
        spacing=styles.GAP_SMALL,
        width="100%",
    )


def _row(row: Any, on_read: Any) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.box(
                background=rx.match(
                    row.severity,
                    ("danger", styles.NOTIFICATION_SEVERITY_COLORS["danger"]),
                    ("warning", styles.NOTIFICATION_SEVERITY_COLORS["warning"]),
                    styles.NOTIFICATION_SEVERITY_COLORS["info"],
                ),
                opacity=rx.cond(row.unread, "1", "0.25"),
                **styles.NOTIFICATION_DOT_STYLE,
            ),
            rx.vstack(
                rx.text(
                    row.title, size=styles.BODY_SIZE, weight=rx.cond(row.unread, "bold", "regular")
                ),
                rx.text(row.body, size=styles.SMALL_SIZE, color=styles.MUTED_TEXT_COLOR),
                rx.text(
                    row.when,
                    size=styles.SMALL_SIZE,
                    color=styles.MUTED_TEXT_COLOR,
                    title=row.when_exact,
                ),
                spacing="0",
                align="start",
            ),
            align="start",
            spacing=styles.GAP_SMALL,
        ),
        href=row.href,
        on_click=on_read(row.id),
        underline="none",
        color=styles.TEXT_COLOR,
        class_name="uc-notification",
        **styles.NOTIFICATION_ROW_STYLE,
    )
