"""The account page, bound to `AccountState` and `AuthState`."""

import json

import reflex as rx

from credits_app import styles
from credits_app.components.account.account_cards import (
    password_card,
    profile_card,
    sessions_card,
    tokens_card,
)
from credits_app.state.account_state import AccountState
from credits_app.state.auth_state import AuthState
from credits_app.views.session_script import session_call

CHANGE_PASSWORD_SCRIPT = session_call(
    f"send({json.dumps('password-form')}, {json.dumps('/api/me/password')})"
)
SIGN_OUT_EVERYWHERE_SCRIPT = session_call("logoutEverywhere()")


def account_view() -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.heading("Account", as_="h1", size=styles.HEADING_SIZE, id="account-heading"),
            rx.text(
                "Your name, password, sessions and API tokens.",
                size=styles.BODY_SIZE,
                **styles.CAPTION_STYLE,
            ),
            spacing="1",
        ),
        profile_card(AuthState.user_name, AuthState.user_email, AccountState.save_name),
        password_card(
            AccountState.password_message,
            AccountState.password_ok,
            AccountState.password_sending,
            [
                AccountState.password_started,
                rx.call_script(CHANGE_PASSWORD_SCRIPT, callback=AccountState.password_done),
            ],
        ),
        tokens_card(
            AccountState.tokens,
            new_token=AccountState.new_token,
            new_token_name=AccountState.new_token_name,
            on_create=AccountState.create_token,
            on_revoke=AccountState.revoke_token,
            on_dismiss=AccountState.dismiss_token,
        ),
        sessions_card(rx.call_script(SIGN_OUT_EVERYWHERE_SCRIPT)),
        spacing=styles.GAP_MEDIUM,
        width="100%",
        max_width="760px",
    )
