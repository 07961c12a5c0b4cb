"""The bell: the signed-in user's unread count and latest notifications, kept fresh.

Read by every private page's on_load (after the session is known); then pushed by the
server the moment the user's inbox changes anywhere (`state/bell_push.py`: a committed
notification, in any process or instance, re-reads this state for each open tab and Reflex
sends the new count). As fallbacks it re-reads whenever
the balance on screen moved (`WalletOverviewState` triggers `refresh`) and on a slow poll
(`NOTIFICATIONS_POLL_SECONDS`), for a tab that missed a push (Redis away, a reconnect).
"""

import contextlib

import reflex as rx

from credits_app.clock import utcnow
from credits_app.credits.errors import CreditsError
from credits_app.notifications import inbox
from credits_app.settings import get_settings
from credits_app.state.auth_state import AuthState
from credits_app.state.bell_push import remember_tab
from credits_app.state.notification_presenters import NotificationRow, badge_text, notification_row
from credits_app.state.service_calls import call_service

PANEL_SIZE = 20


class NotificationState(rx.State):
    """What the bell shows."""

    rows: list[NotificationRow] = []
    unread_count: int = 0
    loaded: bool = False
    refresh_interval_ms: int = get_settings().notifications_poll_seconds * 1000

    @rx.var
    def badge(self) -> str:
        """The count on the bell ("" hides the badge)."""
        return badge_text(self.unread_count)

    @rx.var
    def bell_label(self) -> str:
        """What a screen reader says for the bell."""
        count = self.unread_count
        return f"Notifications, {count} unread" if count else "Notifications"

    @rx.event
    async def refresh(self) -> rx.event.EventSpec | None:
        """Re-read the latest notifications (nothing before the session is known), and
        remember this tab so the server can push the next change to it."""
        auth = await self.get_state(AuthState)
        if not auth.user_id:
            return None
        await remember_tab(auth.user_id, self.router.session.client_token)
        error = await self._reload()
        return rx.toast.error(error) if error else None

    async def _reload(self) -> str | None:
        """Read the inbox into this state; the error message, if it could not. Also what a
        server push runs (outside any browser event)."""
        auth = await self.get_state(AuthState)
        if not auth.user_id:
            return None
        try:
            page = await call_service(inbox.list_notifications, auth.user_id, limit=PANEL_SIZE)
        except CreditsError as error:
            return error.message
        slugs = {org["id"]: org["slug"] for org in auth.orgs}
        now = utcnow()
        self.rows = [notification_row(item, now, slugs) for item in page.items]
        self.unread_count = page.unread_count
        self.loaded = True
        return None

    @rx.event
    async def tick(self, _now: str = "") -> rx.event.EventSpec | None:
        """The timer fired."""
        return await self.refresh()

    @rx.event
    async def mark_read(self, notification_id: int) -> rx.event.EventSpec | None:
        """A row was opened: it is read now."""
        auth = await self.get_state(AuthState)
        if auth.user_id:
            # Gone meanwhile (or another user's): the refresh below shows the truth.
            with contextlib.suppress(CreditsError):
                await call_service(inbox.mark_read, auth.user_id, notification_id)
        return await self.refresh()

    @rx.event
    async def mark_all_read(self) -> rx.event.EventSpec | None:
        """Clear the badge."""
        auth = await self.get_state(AuthState)
        if auth.user_id:
            await call_service(inbox.mark_all_read, auth.user_id)
        return await self.refresh()
