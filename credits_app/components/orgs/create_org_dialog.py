"""The "Create organization" dialog: one name; the creator becomes its owner."""

from collections.abc import Callable
from typing import Any

import reflex as rx

from credits_app import styles


def create_org_dialog(
    *,
    open: rx.Var[bool],
    error: rx.Var[str],
    on_open_change: Callable[..., Any],
    on_submit: Callable[..., Any],
) -> rx.Component:
    """A dialog with a name field; `on_submit(form)` creates the org."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Create an organization"),
            rx.dialog.description(
                "A shared wallet for a team: you become its owner and can add people.",
                size=styles.BODY_SIZE,
                **styles.CAPTION_STYLE,
            ),
            rx.form(
                rx.vstack(
                    rx.text(
                        "Name",
                        as_="label",
                        custom_attrs={"htmlFor": "org-name"},
                        size=styles.BODY_SIZE,
                    ),
                    rx.input(
                        id="org-name", name="name", required=True, placeholder="Acme Robotics"
                    ),
                    rx.cond(
                        error,
                        rx.callout(error, icon="circle-alert", color_scheme="red", size="1"),
                    ),
                    rx.flex(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                        rx.button("Create", type="submit", id="create-org-submit"),
                        justify="end",
                        gap="12px",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                    padding_top="12px",
                ),
                on_submit=on_submit,
                reset_on_submit=False,
            ),
            max_width="420px",
            id="create-org-dialog",
        ),
        open=open,
        on_open_change=on_open_change,
    )
