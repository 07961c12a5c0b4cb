"""The conversation: the user's messages, replies (text with "read aloud", or an image), a reply
still streaming, the typing dots, and the welcome with suggestions before the first message."""

from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.ai.assistant_notice import assistant_notice
from credits_app.components.ai.assistant_props import AssistantBindings
from credits_app.components.ai.assistant_styles import IMAGE_PREVIEW_STYLE

DEFAULT_SUGGESTIONS = (
    "What can you help me with?",
    "How are replies charged in credits?",
    "Give me three ideas for a product name.",
)


def assistant_message_list(b: AssistantBindings) -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.cond(
                b.has_lines,
                rx.foreach(b.lines, lambda line, index: _message(b, line, index)),
                _welcome(b),
            ),
            rx.cond(
                b.streaming_text,
                _streaming_reply(b.streaming_text),
                rx.cond(b.sending, _typing()),
            ),
            rx.cond(b.view.notice.kind, assistant_notice(b)),
            spacing="3",
            width="100%",
            # Announce replies and errors to screen readers as they arrive.
            aria_live="polite",
        ),
        id="assistant-messages",
        **styles.ASSISTANT_MESSAGES_STYLE,
    )


def _message(b: AssistantBindings, line: Any, index: Any) -> rx.Component:
    return rx.cond(line["role"] == "user", _user_message(line), _reply(b, line, index))


def _user_message(line: Any) -> rx.Component:
    bubble_text = rx.hstack(
        rx.cond(line["kind"] == "image", rx.icon("image", size=14, flex_shrink="0")),
        rx.cond(line["kind"] == "voice", rx.icon("mic", size=14, flex_shrink="0")),
        rx.text(line["content"], size=styles.BODY_SIZE),
        spacing="2",
        align="start",
    )
    return rx.vstack(
        rx.cond(
            line["failed"],
            rx.box(bubble_text, **styles.ASSISTANT_FAILED_BUBBLE_STYLE),
            rx.box(bubble_text, **styles.ASSISTANT_USER_BUBBLE_STYLE),
        ),
        rx.cond(
            line["failed"],
            rx.hstack(
                rx.icon("circle-alert", size=12),
                rx.text("Not sent", size=styles.SMALL_SIZE),
                spacing="1",
                align="center",
                **styles.CAPTION_STYLE,
            ),
        ),
        rx.cond(
            line["credits"],
            _cost(line["credits"], "assistant-voice-credits", "transcribed for "),
        ),
        align="end",
        spacing="1",
        width="100%",
        class_name="assistant-user-message",
    )


def _reply(b: AssistantBindings, line: Any, index: Any) -> rx.Component:
    body = rx.cond(
        line["kind"] == "image",
        rx.image(
            src=line["image_src"],
            alt=line["content"],
            class_name="assistant-reply-image",
            **IMAGE_PREVIEW_STYLE,
        ),
        rx.box(
            rx.text(line["content"], size=styles.BODY_SIZE, class_name="assistant-reply-text"),
            **styles.ASSISTANT_REPLY_BUBBLE_STYLE,
        ),
    )
    return rx.vstack(
        body,
        rx.hstack(
            rx.badge(
                rx.icon("cpu", size=12),
                line["model_label"],
                variant="soft",
                color_scheme="gray",
                size="1",
                class_name="assistant-reply-model",
            ),
            _cost(line["credits"], "assistant-reply-credits"),
            rx.cond(line["kind"] == "text", _read_aloud(b, line, index)),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            line["audio_src"],
            rx.hstack(
                rx.el.audio(
                    src=line["audio_src"],
                    controls=True,
                    auto_play=True,
                    class_name="assistant-reply-audio",
                    height="32px",
                ),
                _cost(line["speech_credits"], "assistant-speech-credits"),
                spacing="2",
                align="center",
            ),
        ),
        align="start",
        spacing="1",
        width="100%",
        class_name="assistant-reply",
    )


def _read_aloud(b: AssistantBindings, line: Any, index: Any) -> rx.Component:
    return rx.cond(
        line["audio_src"],
        rx.fragment(),
        rx.tooltip(
            rx.button(
                rx.icon("volume-2", size=12),
                "Read aloud",
                variant="ghost",
                size="1",
                color_scheme="gray",
                on_click=b.actions.read_aloud(index),
                disabled=b.sending,
                class_name="assistant-read-aloud",
            ),
            content="Costs " + line["speech_cost"].to(str) + " credits",
        ),
    )


def _cost(credits: Any, class_name: str, prefix: str = "") -> rx.Component:
    return rx.hstack(
        rx.icon("coins", size=12),
        rx.text(
            prefix,
            rx.text.span(credits, class_name=class_name),
            " credits",
            size=styles.SMALL_SIZE,
            **styles.NUMBER_STYLE,
        ),
        spacing="1",
        align="center",
        **styles.CAPTION_STYLE,
    )


def _streaming_reply(text: Any) -> rx.Component:
    return rx.vstack(
        rx.box(
            rx.text(text, size=styles.BODY_SIZE, class_name="assistant-reply-text"),
            **styles.ASSISTANT_REPLY_BUBBLE_STYLE,
        ),
        rx.text("2Bot is answering…", size=styles.SMALL_SIZE, **styles.CAPTION_STYLE),
        align="start",
        spacing="1",
        width="100%",
        id="assistant-streaming",
        role="status",
    )


def _typing() -> rx.Component:
    dots = [
        rx.box(**(styles.ASSISTANT_TYPING_DOT_STYLE | {"animation_delay": f"{index * 0.15}s"}))
        for index in range(3)
    ]
    return rx.hstack(
        rx.hstack(*dots, spacing="1", align="center", height="20px"),
        rx.text("2Bot is working…", size=styles.SMALL_SIZE, **styles.CAPTION_STYLE),
        align="center",
        spacing="2",
        id="assistant-typing",
        role="status",
        **(styles.ASSISTANT_REPLY_BUBBLE_STYLE | {"padding": "10px 12px"}),
    )


def _welcome(b: AssistantBindings) -> rx.Component:
    return rx.vstack(
        rx.flex(rx.icon("sparkles", size=20), **styles.EMPTY_STATE_ICON_STYLE),
        rx.text("Ask 2Bot anything", size="3", weight="bold"),
        rx.text(
            "Replies, images and speech are paid from the ",
            rx.text.strong(b.wallet.label),
            ", only for what they use.",
            size=styles.BODY_SIZE,
            text_align="center",
            **styles.CAPTION_STYLE,
        ),
        rx.vstack(
            *[
                rx.button(
                    text,
                    variant="outline",
                    color_scheme="gray",
                    size="2",
                    on_click=b.actions.suggestion(text),
                    disabled=b.sending,
                    class_name="assistant-suggestion",
                    **styles.ASSISTANT_SUGGESTION_STYLE,
                )
                for text in DEFAULT_SUGGESTIONS
            ],
            spacing="2",
            align="stretch",
            width="100%",
            padding_top="8px",
        ),
        align="center",
        spacing="2",
        width="100%",
        padding_y="8px",
        id="assistant-welcome",
    )
