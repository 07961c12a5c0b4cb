"""The account page's cards: profile, password, sessions, personal API tokens.

Stateless; the view passes state vars and events. The password form has ids the browser
helper reads (it posts straight to the API); the token list takes `TokenRow`s.
"""

from collections.abc import Callable
from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.banner import banner
from credits_app.components.card import card, card_header
from credits_app.components.common import empty_state
from credits_app.components.local_time import local_time

Handler = Callable[..., Any]


def profile_card(name: rx.Var[str], email: rx.Var[str], on_save: Handler) -> rx.Component:
    return card(
        card_header("Profile", rx.fragment("Signed in as ", rx.text.strong(email))),
        rx.form(
            rx.flex(
                _labelled(
                    "Name",
                    "profile-name",
                    rx.input(
                        id="profile-name",
                        name="name",
                        default_value=name,
                        key=name,  # remount when the name arrives, so the field shows it
                        required=True,
                        max_length=200,
                        width="100%",
                    ),
                ),
                rx.button("Save", type="submit", id="profile-save"),
                gap="12px",
                align="end",
                wrap="wrap",
                width="100%",
            ),
            on_submit=on_save,
            reset_on_submit=False,
        ),
        id="profile-card",
    )


def password_card(
    message: rx.Var[str], ok: rx.Var[bool], sending: rx.Var[bool], on_submit: Any
) -> rx.Component:
    return card(
        card_header("Password", "Changing it signs out every other browser and session."),
        rx.form(
            rx.vstack(
                _labelled(
                    "Current password",
                    "current-password",
                    rx.input(
                        id="current-password",
                        name="currentPassword",
                        type="password",
                        required=True,
                        auto_complete="current-password",
                        width="100%",
                    ),
                ),
                _labelled(
                    "New password",
                    "new-password",
                    rx.input(
                        id="new-password",
                        name="newPassword",
                        type="password",
                        required=True,
                        min_length=8,
                        auto_complete="new-password",
                        width="100%",
                    ),
                ),
                rx.cond(
                    message,
                    rx.callout(
                        message,
                        icon=rx.cond(ok, "circle-check", "circle-alert"),
                        color_scheme=rx.cond(ok, styles.OK_COLOR, styles.CRITICAL_COLOR),
                        size="1",
                        width="100%",
                        id="password-message",
                    ),
                ),
                rx.button("Change password", type="submit", loading=sending, id="password-save"),
                spacing="3",
                width="100%",
            ),
            id="password-form",
            on_submit=on_submit,
            reset_on_submit=False,
        ),
        id="password-card",
    )


def sessions_card(on_sign_out_everywhere: Any) -> rx.Component:
    return card(
        card_header(
            "Sessions",
            "Lost a device? Sign out of every browser and session at once (API tokens stay).",
        ),
        rx.button(
            rx.icon("log-out", size=styles.ICON_SIZE),
            "Sign out everywhere",
            variant="outline",
            color_scheme="red",
            on_click=on_sign_out_everywhere,
            id="sign-out-everywhere",
        ),
        id="sessions-card",
    )


def tokens_card(
    tokens: rx.Var[list[Any]],
    *,
    new_token: rx.Var[str],
    new_token_name: rx.Var[str],
    on_create: Handler,
    on_revoke: Handler,
    on_dismiss: Handler,
) -> rx.Component:
    return card(
        card_header(
            "API tokens",
            "For scripts: send one as 'Authorization: Bearer <token>'. Shown once when made.",
        ),
        rx.cond(
            new_token,
            banner(
                "key-round",
                styles.OK_COLOR,
                rx.fragment("Your new token “", new_token_name, "”: copy it now"),
                rx.code(
                    new_token, id="new-token", variant="soft", size="2", overflow_wrap="anywhere"
                ),
                rx.hstack(
                    rx.button(
                        rx.icon("copy", size=styles.ICON_SIZE),
                        "Copy",
                        variant="soft",
                        on_click=rx.set_clipboard(new_token),
                    ),
                    rx.button("Done", variant="ghost", on_click=on_dismiss, id="new-token-done"),
                ),
                id="new-token-banner",
            ),
        ),
        rx.form(
            rx.flex(
                _labelled(
                    "Token name",
                    "token-name",
                    rx.input(
                        id="token-name",
                        name="name",
                        required=True,
                        max_length=100,
                        placeholder="deploy script",
                        width="100%",
                    ),
                ),
                rx.button("Create token", type="submit", id="token-create"),
                gap="12px",
                align="end",
                wrap="wrap",
                width="100%",
            ),
            on_submit=on_create,
            reset_on_submit=True,
        ),
        rx.cond(
            tokens.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(
                rx.foreach(tokens, lambda row: _token_row(row, on_revoke)),
                spacing="0",
                width="100%",
                id="token-list",
            ),
            empty_state("key-round", "No API tokens", "Create one for each script or machine."),
        ),
        id="tokens-card",
    )


def _token_row(row: rx.Var[Any], on_revoke: Handler) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text(row.name, size=styles.BODY_SIZE, weight="medium"),
            rx.text(
                "Created ",
                local_time(row.created_at, row.created_utc),
                " · ",
                rx.cond(
                    row.last_used_at,
                    rx.fragment("last used ", local_time(row.last_used_at, row.last_used_utc)),
                    "never used",
                ),
                size=styles.SMALL_SIZE,
                **styles.CAPTION_STYLE,
            ),
            spacing="0",
        ),
        rx.button(
            "Revoke",
            variant="soft",
            color_scheme="gray",
            size="1",
            on_click=on_revoke(row.id),
            aria_label="Revoke token " + row.name,
            class_name="token-revoke",
        ),
        justify="between",
        align="center",
        width="100%",
        padding_y="10px",
        border_bottom=styles.CARD_BORDER,
        class_name="token-row",
        custom_attrs={"data-name": row.name},
    )


def _labelled(label: str, element_id: str, field: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.text(
            label,
            as_="label",
            custom_attrs={"htmlFor": element_id},
            size=styles.BODY_SIZE,
            weight="medium",
        ),
        field,
        spacing="1",
        flex="1",
        min_width="220px",
    )
