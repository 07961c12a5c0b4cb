"""An organization's members page."""

import reflex as rx

from credits_app.state.members_state import MembersState
from credits_app.templates import template
from credits_app.views.members_view import members_view


@template(route="/organizations/[org_slug]/members", title="Members", on_load=[MembersState.load])
def org_members_page() -> rx.Component:
    """Everyone sees the people; owners and admins also add, re-role and remove them."""
    return members_view()
