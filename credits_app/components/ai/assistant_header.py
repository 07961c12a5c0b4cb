"""The assistant panel's header: who answers (the model), on which wallet, and its buttons."""

import reflex as rx

from credits_app import styles
from credits_app.components.ai.assistant_props import AssistantBindings


def assistant_header(b: AssistantBindings) -> rx.Component:
    return rx.flex(
        rx.hstack(
            rx.flex(rx.icon("bot", size=18), **styles.ASSISTANT_AVATAR_STYLE),
            rx.vstack(
                rx.text("2Bot AI", size="3", weight="bold"),
                rx.text(
                    b.view.model_label,
                    " · ",
                    b.wallet.label,
                    size=styles.SMALL_SIZE,
                    id="assistant-context",
                    **styles.CAPTION_STYLE,
                ),
                spacing="0",
                align="start",
            ),
            align="center",
            spacing="3",
            min_width="0",
        ),
        rx.hstack(
            rx.tooltip(
                rx.icon_button(
                    rx.icon("history", size=styles.ICON_SIZE),
                    variant=rx.cond(b.show_history, "soft", "ghost"),
                    color_scheme="gray",
                    size="2",
                    on_click=b.actions.toggle_history,
                    aria_label="Conversations",
                    aria_pressed=rx.cond(b.show_history, "true", "false"),
                    id="assistant-history",
                ),
                content="Conversations",
            ),
            rx.tooltip(
                rx.icon_button(
                    rx.icon("square-pen", size=styles.ICON_SIZE),
                    variant="ghost",
                    color_scheme="gray",
                    size="2",
                    on_click=b.actions.new_chat,
                    disabled=~b.has_lines | b.sending,
                    aria_label="New chat",
                    id="assistant-new-chat",
                ),
                content="New chat",
            ),
            rx.icon_button(
                rx.icon("x", size=18),
                variant="ghost",
                color_scheme="gray",
                size="2",
                on_click=b.actions.close,
                aria_label="Close the assistant",
                id="assistant-close",
            ),
            spacing="3",
            align="center",
            padding_right="4px",
        ),
        **styles.ASSISTANT_HEADER_STYLE,
    )
