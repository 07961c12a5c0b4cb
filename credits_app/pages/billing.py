"""The Billing pages: the personal wallet's and an organization's, one view for both."""

import reflex as rx

from credits_app.templates import template
from credits_app.views.billing_view import BILLING_PAGE_ON_LOAD, billing_view


@template(route="/billing", title="Billing", on_load=BILLING_PAGE_ON_LOAD)
def billing_page() -> rx.Component:
    """My purchases, receipts, pending checkouts and payment settings."""
    return billing_view()


@template(
    route="/organizations/[org_slug]/billing",
    title="Organization billing",
    on_load=BILLING_PAGE_ON_LOAD,
)
def org_billing_page() -> rx.Component:
    """An organization's billing: owners and admins."""
    return billing_view()
