"""The sign-in and sign-up cards.

The forms post from the browser straight to /api/auth/* (assets/uc-session.js), which sets
the HttpOnly session cookie; the state only learns whether it failed and why. HTML validation
(required, email, minimum length) catches the obvious mistakes before any request.
"""

import json

import reflex as rx

from credits_app import styles
from credits_app.state.auth_form_state import AuthFormState
from credits_app.views.session_script import session_call

MIN_PASSWORD_LENGTH = 8  # mirrors auth.login.MIN_PASSWORD_LENGTH; the API has the final word


def login_card() -> rx.Component:
    """Email and password, a link to register (keeping `next`)."""
    return _card(
        "Sign in",
        "Welcome back. Sign in to see your credits.",
        _form(
            "login-form",
            "/api/auth/login",
            _field("Email", "email", "email", "you@example.com", auto_complete="email"),
            _field(
                "Password",
                "password",
                "password",
                "Your password",
                auto_complete="current-password",
            ),
            submit_label="Sign in",
        ),
        rx.text(
            "New here? ",
            rx.link("Create an account", href=_keep_next("/register"), **styles.LINK_STYLE),
            size=styles.BODY_SIZE,
            **styles.CAPTION_STYLE,
        ),
    )


def register_card() -> rx.Component:
    """Name, email and password; a new account starts with an empty personal wallet."""
    return _card(
        "Create your account",
        "One wallet for AI, marketplace apps, premium features and subscriptions.",
        _form(
            "register-form",
            "/api/auth/register",
            _field("Name", "name", "text", "Ada Lovelace", auto_complete="name"),
            _field("Email", "email", "email", "you@example.com", auto_complete="email"),
            _field(
                "Password",
                "password",
                "password",
                f"At least {MIN_PASSWORD_LENGTH} characters",
                auto_complete="new-password",
                min_length=MIN_PASSWORD_LENGTH,
            ),
            submit_label="Create account",
        ),
        rx.text(
            "Already have an account? ",
            rx.link("Sign in", href=_keep_next("/login"), **styles.LINK_STYLE),
            size=styles.BODY_SIZE,
            **styles.CAPTION_STYLE,
        ),
    )


def _card(title: str, subtitle: str, form: rx.Component, footer: rx.Component) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.hstack(
                rx.flex("U", **styles.BRAND_MARK_STYLE),
                rx.heading(styles.APP_NAME, size=styles.BRAND_SIZE),
                align="center",
                spacing=styles.GAP_SMALL,
            ),
            rx.box(
                rx.vstack(
                    rx.vstack(
                        rx.heading(title, size="6"),
                        rx.text(subtitle, size=styles.BODY_SIZE, **styles.CAPTION_STYLE),
                        spacing="1",
                    ),
                    form,
                    spacing=styles.GAP_LARGE,
                    width="100%",
                ),
                **styles.AUTH_CARD_STYLE,
            ),
            footer,
            spacing=styles.GAP_LARGE,
            align="center",
            width="100%",
            max_width=styles.AUTH_CARD_MAX_WIDTH,
        ),
        **styles.AUTH_PAGE_STYLE,
    )


def _form(form_id: str, api_path: str, *fields: rx.Component, submit_label: str) -> rx.Component:
    submit_script = session_call(f"submit({json.dumps(form_id)}, {json.dumps(api_path)})")
    return rx.form(
        rx.vstack(
            rx.cond(
                AuthFormState.error,
                rx.callout(
                    AuthFormState.error,
                    icon="circle-alert",
                    color_scheme="red",
                    size="1",
                    width="100%",
                    id="auth-error",
                ),
            ),
            *fields,
            rx.button(
                submit_label,
                type="submit",
                size="3",
                width="100%",
                loading=AuthFormState.submitting,
                id="auth-submit",
            ),
            spacing=styles.GAP_MEDIUM,
            width="100%",
        ),
        id=form_id,
        on_submit=[
            AuthFormState.begin,
            rx.call_script(submit_script, callback=AuthFormState.finish),
        ],
        width="100%",
    )


def _field(
    label: str,
    name: str,
    input_type: str,
    placeholder: str,
    *,
    auto_complete: str,
    min_length: int | None = None,
) -> rx.Component:
    return rx.vstack(
        rx.text(
            label,
            as_="label",
            custom_attrs={"htmlFor": f"field-{name}"},
            size=styles.BODY_SIZE,
            weight="medium",
        ),
        rx.input(
            id=f"field-{name}",
            name=name,
            type=input_type,
            placeholder=placeholder,
            required=True,
            auto_complete=auto_complete,
            min_length=min_length,
            size="3",
            width="100%",
        ),
        spacing="1",
        width="100%",
    )


def _keep_next(path: str) -> rx.Var[str]:
    """The other auth page, carrying the `next` parameter along."""
    return path + AuthFormState.next_query
