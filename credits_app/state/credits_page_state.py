"""The credits page itself: which tab is open (Usage, History, Purchase or Settings), in the URL.

The tab can be chosen by URL (`?tab=purchase`, which the sidebar's Billing link uses), by the
tabs themselves, or by a "Buy credits" button. Choosing one pushes `?tab=…` onto the browser's
history, so a reload stays on it and Back returns to the previous tab (`show_tab_from_history`,
called by components/history_listener.py).
"""

import json

import reflex as rx

TABS = ("usage", "history", "purchase", "settings")
DEFAULT_TAB = "usage"


def tab_url_script(tab: str, *, replace: bool = False) -> str:
    """JS that puts `?tab=<tab>` in the address bar (dropping other query parameters, such as
    Checkout's return ones), as a new history entry or in place of the current one."""
    method = "replaceState" if replace else "pushState"
    return (
        "(() => { const url = new URL(window.location.href); url.search = '';"
        f" url.searchParams.set('tab', {json.dumps(tab)});"
        f" if (url.href !== window.location.href) window.history.{method}(null, '', url); }})()"
    )


class CreditsPageState(rx.State):
    """The open tab of the credits page."""

    tab: str = DEFAULT_TAB

    @rx.event
    def open_tab_from_url(self) -> None:
        """On load: the `tab` query parameter, else the Usage tab."""
        requested = self.router.url.query_parameters.get("tab", DEFAULT_TAB)
        self.tab = requested if requested in TABS else DEFAULT_TAB

    @rx.event
    def set_tab(self, tab: str) -> rx.event.EventSpec | None:
        """Open a tab and record it in the URL (a new history entry)."""
        if tab not in TABS or tab == self.tab:
            return None
        self.tab = tab
        return rx.call_script(tab_url_script(tab))

    @rx.event
    def show_tab(self, tab: str) -> None:
        """Open a tab without touching the URL: for links that navigate there themselves."""
        if tab in TABS:
            self.tab = tab

    @rx.event
    def show_tab_from_history(self, tab: str) -> None:
        """Back or Forward landed on another entry of this page: open the tab it names."""
        self.tab = tab if tab in TABS else DEFAULT_TAB
