"""Sign-in, sign-up, and the index page that sends people to one or the other."""

import reflex as rx

from credits_app import styles
from credits_app.state.auth_form_state import AuthFormState
from credits_app.state.auth_state import AuthState
from credits_app.templates import template
from credits_app.views.auth_forms import login_card, register_card


@template(
    route="/login",
    title="Sign in",
    shell="public",
    on_load=[AuthState.redirect_if_signed_in, AuthFormState.reset_form],
)
def login_page() -> rx.Component:
    return login_card()


@template(
    route="/register",
    title="Create account",
    shell="public",
    on_load=[AuthState.redirect_if_signed_in, AuthFormState.reset_form],
)
def register_page() -> rx.Component:
    return register_card()


@template(route="/", title=styles.APP_NAME, shell="public", on_load=AuthState.route_home)
def index() -> rx.Component:
    """Nothing to see: signed-in users go to their credits, everyone else to sign in."""
    return rx.center(rx.spinner(size="3"), **styles.PAGE_STYLE)
