"""The bell bound to `NotificationState`, with the timer that keeps it fresh."""

import reflex as rx

from credits_app.components.interval_timer import interval_timer
from credits_app.components.notifications.notification_bell import notification_bell
from credits_app.state.notification_state import NotificationState


def notification_center() -> rx.Component:
    """The top bar's bell: read by the page's on_load (the dashboard shell's, after the
    session is known: an on_mount read can run first and find no user), then pushed live,
    and re-read on open and every refresh interval."""
    return rx.fragment(
        notification_bell(
            NotificationState.rows,
            NotificationState.badge,
            NotificationState.bell_label,
            on_open=NotificationState.refresh,
            on_read=NotificationState.mark_read,
            on_read_all=NotificationState.mark_all_read,
        ),
        interval_timer(
            interval=NotificationState.refresh_interval_ms,
            on_tick=NotificationState.tick,
        ),
    )
