"""One decorator gives every page its shell and registers it with `rx.page`.

Two shells:
- `dashboard` (the default, for private pages): top bar with the header balance, sidebar with
  the org switcher and navigation, the 2Bot AI assistant (bottom-right) and the buy-credits
  dialog both of them can open. Its on_load checks the session (redirecting to login and
  back), resolves the wallet context, reads the balance and the bell before the page's own
  events, so every private page starts from the same facts. Shell data loads here, not on
  mount: a component's on_mount can reach the server before the session is resolved.
- `public` (login, register, the index redirect): the page's content alone.
"""

import functools
from collections.abc import Callable, Sequence
from typing import Literal

import reflex as rx
from reflex.event import EventType

from credits_app import styles
from credits_app.components.orgs.create_org_dialog import create_org_dialog
from credits_app.state.assistant_state import AssistantState
from credits_app.state.auth_state import AuthState
from credits_app.state.members_state import CreateOrgState
from credits_app.state.notification_state import NotificationState
from credits_app.state.wallet_context_state import WalletContextState
from credits_app.state.wallet_overview_state import WalletOverviewState
from credits_app.views.assistant_view import assistant_widget
from credits_app.views.navigation import sidebar, top_bar
from credits_app.views.purchase_view import buy_credits_dialog

PageFunction = Callable[[], rx.Component]
Shell = Literal["dashboard", "public"]

DEFAULT_META = [
    {"name": "viewport", "content": "width=device-width, initial-scale=1"},
]
DASHBOARD_ON_LOAD: list[EventType[()]] = [
    AuthState.require_session,
    WalletContextState.load,
    WalletOverviewState.refresh,
    NotificationState.refresh,
    AssistantState.sync,
]


def template(
    route: str,
    title: str,
    *,
    description: str | None = None,
    on_load: EventType[()] | Sequence[EventType[()]] | None = None,
    shell: Shell = "dashboard",
) -> Callable[[PageFunction], PageFunction]:
    """Wrap a page in its shell and register it, so pages stay a route, a title and content."""
    page_events = _as_list(on_load)
    events = [*DASHBOARD_ON_LOAD, *page_events] if shell == "dashboard" else page_events

    def decorator(page_content: PageFunction) -> PageFunction:
        """Register the wrapped page; the original function stays the content builder."""

        @rx.page(
            route=route,
            title=page_title(title),
            description=description,
            meta=DEFAULT_META,
            on_load=events or None,
        )
        @functools.wraps(page_content)
        def templated_page() -> rx.Component:
            if shell == "public":
                return rx.el.main(page_content(), id="main-content")
            return _dashboard(page_content())

        return templated_page

    return decorator


def _dashboard(content: rx.Component) -> rx.Component:
    """Top bar over a row of sidebar and the centred page column; the assistant floats."""
    return rx.box(
        top_bar(),
        rx.flex(
            sidebar(),
            rx.el.main(content, id="main-content", tab_index=-1, **styles.CONTENT_STYLE),
            **styles.DASHBOARD_BODY_STYLE,
        ),
        assistant_widget(),
        buy_credits_dialog(),
        create_org_dialog(
            open=CreateOrgState.open,
            error=CreateOrgState.error,
            on_open_change=CreateOrgState.set_open,
            on_submit=CreateOrgState.create,
        ),
        **styles.PAGE_STYLE,
    )


def page_title(title: str) -> str:
    """'Credits · Universal Credits': the page first (tabs stay tellable apart), then the app."""
    return title if title == styles.APP_NAME else f"{title} · {styles.APP_NAME}"


def _as_list(on_load: EventType[()] | Sequence[EventType[()]] | None) -> list[EventType[()]]:
    if on_load is None:
        return []
    if isinstance(on_load, Sequence) and not isinstance(on_load, str):
        return list(on_load)
    return [on_load]
