"""The credits pages: the personal wallet and an organization's wallet, one view for both."""

import reflex as rx

from credits_app.templates import template
from credits_app.views.credits_view import CREDITS_PAGE_ON_LOAD, credits_view


@template(route="/credits", title="Credits", on_load=CREDITS_PAGE_ON_LOAD)
def credits_page() -> rx.Component:
    """My personal wallet: balance, usage, history and purchases."""
    return credits_view()


@template(
    route="/organizations/[org_slug]/credits",
    title="Organization credits",
    on_load=CREDITS_PAGE_ON_LOAD,
)
def org_credits_page() -> rx.Component:
    """An organization's wallet: members read it, owners and admins also buy."""
    return credits_view()
