"""One decorator gives every page the app shell and registers it with `rx.page`."""

import functools
from collections.abc import Callable

import reflex as rx
from reflex.event import EventType

from credits_app import styles

PageFunction = Callable[[], rx.Component]

DEFAULT_META = [
    {"name": "viewport", "content": "width=device-width, initial-scale=1"},
]


def template(
    route: str,
    title: str,
    *,
    description: str | None = None,
    on_load: EventType[()] | None = None,
) -> Callable[[PageFunction], PageFunction]:
    """Wrap a page in the shell and register it, so pages stay a route, a title and content."""

    def decorator(page_content: PageFunction) -> PageFunction:
        """Register the wrapped page; the original function stays the content builder."""

        @rx.page(
            route=route,
            title=title,
            description=description,
            meta=DEFAULT_META,
            on_load=on_load,
        )
        @functools.wraps(page_content)
        def templated_page() -> rx.Component:
            """The shell around the content: a top bar, then the centred page column."""
            return rx.box(
                _top_bar(),
                rx.box(page_content(), **styles.CONTENT_STYLE),
                **styles.PAGE_STYLE,
            )

        return templated_page

    return decorator


def _top_bar() -> rx.Component:
    """The app name on every page, linking home, so users always know where they are."""
    return rx.box(
        rx.hstack(
            rx.link(
                rx.hstack(
                    rx.flex("U", **styles.BRAND_MARK_STYLE),
                    rx.heading(styles.APP_NAME, size=styles.BRAND_SIZE, color=styles.TEXT_COLOR),
                    align="center",
                    spacing=styles.GAP_SMALL,
                ),
                href="/",
                underline="none",
            ),
            **styles.TOP_BAR_INNER_STYLE,
        ),
        **styles.TOP_BAR_STYLE,
    )
