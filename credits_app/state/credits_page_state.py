"""The credits page itself: which tab is open (Usage, History or Purchase).

The tab can be chosen by URL (`?tab=purchase`, which the sidebar's Billing link uses), by the
tabs themselves, or by the "Buy credits" button.
"""

import reflex as rx

TABS = ("usage", "history", "purchase")
DEFAULT_TAB = "usage"


class CreditsPageState(rx.State):
    """The open tab of the credits page."""

    tab: str = DEFAULT_TAB

    @rx.event
    def open_tab_from_url(self) -> None:
        """On load: the `tab` query parameter, else the Usage tab."""
        requested = self.router.url.query_parameters.get("tab", DEFAULT_TAB)
        self.tab = requested if requested in TABS else DEFAULT_TAB

    @rx.event
    def set_tab(self, tab: str) -> None:
        if tab in TABS:
            self.tab = tab
