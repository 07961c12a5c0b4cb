"""The account page: name, password, sessions, API tokens."""

import reflex as rx

from credits_app.state.account_state import AccountState
from credits_app.templates import template
from credits_app.views.account_view import account_view


@template(route="/account", title="Account", on_load=[AccountState.load])
def account_page() -> rx.Component:
    return account_view()
