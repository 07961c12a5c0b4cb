"""The History tab: the ledger of the wallet in context, filtered and paged by keyset cursor.

The service pages newest-first with an opaque cursor; going back means remembering the cursor
each visited page started from, so the state keeps that small stack instead of offsets.
"""

from datetime import date
from urllib.parse import urlencode

import reflex as rx

from credits_app.billing.packages import list_active_packages
from credits_app.credits.credit_service import HistoryPage, get_history
from credits_app.credits.day_range import day_range, parse_time_zone
from credits_app.credits.entry_lots import LotUse, lots_used
from credits_app.credits.errors import CreditsError
from credits_app.credits.history_export import HistoryFilter
from credits_app.credits.owners import WalletOwner
from credits_app.state.history_presenters import (
    ALL,
    EMPTY_ROW,
    HistoryRow,
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
    search: str = ""
    date_from: str = ""  # YYYY-MM-DD (a day in `time_zone`) or ""
    date_to: str = ""
    time_zone: str = "UTC"  # the browser's IANA zone, reported on mount (set_time_zone)
    history: HistoryView = HistoryView()
    export_href: str = ""  # the CSV download of exactly these filters
    selected_id: str = ""  # the entry open in the detail drawer ("" = closed)
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
    async def reload(self) -> rx.event.EventSpec | None:
        """Re-read the page on screen (a refund changed what one of its rows offers)."""
        if not self.loaded_for:
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
    async def set_search(self, value: str) -> rx.event.EventSpec | None:
        self.search = value[:200]
        return await self.load()

    @rx.event
    async def set_date_from(self, value: str) -> rx.event.EventSpec | None:
        self.date_from = value if _is_day(value) else ""
        return await self.load()

    @rx.event
    async def set_date_to(self, value: str) -> rx.event.EventSpec | None:
        self.date_to = value if _is_day(value) else ""
        return await self.load()

    @rx.event
    async def set_time_zone(self, zone: str) -> rx.event.EventSpec | None:
        """The browser's zone: the date range means days there, as the times on screen do."""
        try:
            parse_time_zone(zone)
        except CreditsError:
            return None
        if zone == self.time_zone:
            return None
        self.time_zone = zone
        return await self.load() if self.date_from or self.date_to else None

    @rx.event
    async def clear_filters(self) -> rx.event.EventSpec | None:
        self.type_filter = self.category_filter = ALL
        self.search = self.date_from = self.date_to = ""
        return await self.load()

    @rx.event
    def open_entry(self, entry_id: str) -> None:
        """Show one entry in the detail drawer."""
        self.selected_id = entry_id

    @rx.event
    def close_entry(self) -> None:
        self.selected_id = ""

    @rx.var
    def drawer_open(self) -> bool:
        return self.selected_id != ""

    @rx.var
    def selected(self) -> HistoryRow:
        """The entry in the drawer (an empty row when none is open)."""
        for row in self.history.rows:
            if row.id == self.selected_id:
                return row
        return EMPTY_ROW

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
        return bool(
            self.type_filter != ALL
            or self.category_filter != ALL
            or self.search
            or self.date_from
            or self.date_to
        )

    def _filters(self) -> HistoryFilter:
        since, until = day_range(
            _day(self.date_from), _day(self.date_to), parse_time_zone(self.time_zone)
        )
        return HistoryFilter(
            type=None if self.type_filter == ALL else self.type_filter,
            category=None if self.category_filter == ALL else self.category_filter,
            since=since,
            until=until,
            search=self.search.strip() or None,
        )

    async def _fetch(self) -> rx.event.EventSpec | None:
        context = await self.get_state(WalletContextState)
        owner = context.wallet_owner()
        if owner is None:
            return None
        try:
            if not self._package_names:
                packages = await call_service(list_active_packages)
                self._package_names = {package.id: package.name for package in packages}
            page, lots = await call_service(
                _page_with_lots, owner, self._filters(), self._page_starts[-1] or None
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
            lots=lots,
        )
        self.export_href = export_url(context.org_id, self._export_query())
        self.loaded_for = context.key
        return None

    def _export_query(self) -> dict[str, str]:
        query = {
            "type": "" if self.type_filter == ALL else self.type_filter,
            "category": "" if self.category_filter == ALL else self.category_filter,
            "from": self.date_from,
            "to": self.date_to,
            "q": self.search.strip(),
            "tz": self.time_zone if (self.date_from or self.date_to) else "",
        }
        return {key: value for key, value in query.items() if value}


def _page_with_lots(
    owner: WalletOwner, filters: HistoryFilter, cursor: str | None
) -> tuple[HistoryPage, dict[int, list[LotUse]]]:
    """One page of entries and the lots its debits used (for the drawer): two reads."""
    page = get_history(
        owner,
        type=filters.type,
        category=filters.category,
        since=filters.since,
        until=filters.until,
        search=filters.search,
        limit=PAGE_SIZE,
        cursor=cursor,
    )
    debits = [item.id for item in page.items if item.amount < 0]
    return page, lots_used(owner, debits)


def export_url(org_id: int, query: dict[str, str]) -> str:
    """GET …/credits/history/export with the tab's filters (the session cookie signs it)."""
    path = f"/api/orgs/{org_id}/credits/history/export" if org_id else "/api/credits/history/export"
    return f"{path}?{urlencode(query)}" if query else path


def _is_day(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _day(value: str) -> date | None:
    return date.fromisoformat(value) if value else None
