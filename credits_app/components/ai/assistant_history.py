"""The stored conversations of this wallet context: reopen one, or delete it."""

from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.ai.assistant_props import AssistantBindings


def assistant_history(b: AssistantBindings) -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.text("Conversations", size="2", weight="bold"),
            rx.cond(
                b.conversations.length() > 0,  # type: ignore[attr-defined]
                rx.foreach(b.conversations, lambda row: _row(b, row)),
                rx.text(
                    "No stored conversations on this wallet yet.",
                    size=styles.SMALL_SIZE,
                    id="assistant-history-empty",
                    **styles.CAPTION_STYLE,
                ),
            ),
            spacing="2",
            width="100%",
        ),
        id="assistant-history-list",
        **styles.ASSISTANT_MESSAGES_STYLE,
    )


def _row(b: AssistantBindings, row: Any) -> rx.Component:
    return rx.hstack(
        rx.button(
            rx.vstack(
                rx.text(row["title"], size="2", weight="medium", trim="both"),
                rx.text(row["when"], " · ", row["messages"], size="1", **styles.CAPTION_STYLE),
                spacing="1",
                align="start",
            ),
            variant="ghost",
            color_scheme="gray",
            on_click=b.actions.open_conversation(row["id"]),
            class_name="assistant-conversation",
            flex="1",
            justify="start",
            height="auto",
            padding="6px 8px",
        ),
        rx.icon_button(
            rx.icon("trash-2", size=14),
            variant="ghost",
            color_scheme="red",
            size="1",
            on_click=b.actions.delete_conversation(row["id"]),
            aria_label="Delete this conversation",
            class_name="assistant-conversation-delete",
        ),
        align="center",
        width="100%",
    )
