"""The app's own 404 page instead of Reflex's bare '404: Page not found'."""

import reflex as rx

from credits_app.templates import template
from credits_app.views.not_found import not_found_page_view


@template(route="404", title="Page not found", shell="public")
def not_found_page() -> rx.Component:
    return not_found_page_view()
