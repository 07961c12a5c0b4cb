"""The History tab: the ledger of the wallet in context, filtered and paged by keyset cursor.

The service pages newest-first with an opaque cursor; going back means remembering the cursor
each visited page started from, so the state keeps that small stack instead of offsets.
"""

import reflex as rx

from credits_app.billing.packages import list_active_packages
from credits_app.credits.credit_service import get_history
from credits_app.credits.errors import CreditsError
from credits_app.state.history_presenters import (
    ALL,
    HistoryView,
    category_options,
    history_view,
    type_options,
)
from credits_app.state.service_calls import call_service
from credits_app.state.wallet_context_state import WalletContextState

PAGE_SIZE = 10
TYPE_VALUES = frozenset(option.value for option in type_options())
CATEGORY_VALUES = frozenset(option.value for option in category_options())


class HistoryState(rx.State):
    """One page of ledger rows plus the filters and cursors that produced it."""

    type_filter: str = ALL
    category_filter: str = ALL
    history: HistoryView = HistoryView()
    loaded_for: str = ""  # the WalletContextState.key these rows belong to ("" = none yet)
    _page_starts: list[str] = [""]  # cursor each visited page started from ("" = newest)
    _next_cursor: str = ""
    _package_names: dict[str, str] = {}

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """The newest page with the current filters (on page load and after a purchase)."""
        self._page_starts = [""]
        return await self._fetch()

    @rx.event
    async def refresh_first_page(self) -> rx.event.EventSpec | None:
        """The balance moved: re-read the newest page, unless the user is reading older ones."""
        if len(self._page_starts) > 1 or not self.loaded_for:
            return None
        return await self._fetch()

    @rx.event
    async def set_type_filter(self, value: str) -> rx.event.EventSpec | None:
        self.type_filter = value if value in TYPE_VALUES else ALL
        return await self.load()

    @rx.event
    async def set_category_filter(self, value: str) -> rx.event.EventSpec | None:
        self.category_filter = value if value in CATEGORY_VALUES else ALL
        return await self.load()

    @rx.event
    async def clear_filters(self) -> rx.event.EventSpec | None:
        self.type_filter = self.category_filter = ALL
        return await self.load()

    @rx.event
    async def next_page(self) -> rx.event.EventSpec | None:
        if not self._next_cursor:
            return None
        self._page_starts = [*self._page_starts, self._next_cursor]
        return await self._fetch()

    @rx.event
    async def previous_page(self) -> rx.event.EventSpec | None:
        if len(self._page_starts) <= 1:
            return None
        self._page_starts = self._page_starts[:-1]
        return await self._fetch()

    def _filtered(self) -> bool:
        return self.type_filter != ALL or self.category_filter != ALL

    async def _fetch(self) -> rx.event.EventSpec | None:
        context = await self.get_state(WalletContextState)
        owner = context.wallet_owner()
        if owner is None:
            return None
        try:
            if not self._package_names:
                packages = await call_service(list_active_packages)
                self._package_names = {package.id: package.name for package in packages}
            page = await call_service(
                get_history,
                owner,
                type=None if self.type_filter == ALL else self.type_filter,
                category=None if self.category_filter == ALL else self.category_filter,
                limit=PAGE_SIZE,
                cursor=self._page_starts[-1] or None,
            )
        except CreditsError as error:
            return rx.toast.error(error.message)
        self._next_cursor = page.next_cursor or ""
        self.history = history_view(
            page.items,
            package_names=self._package_names,
            page_number=len(self._page_starts),
            has_next=page.next_cursor is not None,
            filtered=self._filtered(),
        )
        self.loaded_for = context.key
        return None
