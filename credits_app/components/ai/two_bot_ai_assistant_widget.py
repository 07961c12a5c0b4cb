"""TwoBotAIAssistantWidget: a floating 2Bot AI chat, a launcher bottom-right that opens a panel.

Stateless like the credits components: figures arrive formatted, actions leave as events. The
panel's header shows this period's tokens, the AI credits used and the balance; every reply
shows its model and what it cost. Above 80 % of the period's limit a warning shows; a message
refused for credits (402) says why and offers the fix. On phones the panel takes the full width
under the top bar, so the header balance stays in sight.

Enter sends and Shift+Enter starts a new line (a few lines of browser code, so typing never
round-trips to the server); Escape closes the panel.
"""

from collections.abc import Callable
from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.common import buy_or_ask_action

StrProp = rx.Var[str] | str
IntProp = rx.Var[int] | int
BoolProp = rx.Var[bool] | bool
Handler = Callable[..., Any]

MESSAGE_FIELD = "message"
MAX_MESSAGE_CHARS = 32_000
DEFAULT_SUGGESTIONS = (
    "What can you help me with?",
    "How are replies charged in credits?",
    "Give me three ideas for a product name.",
)
ENTER_TO_SEND_JS = """(event) => {
  if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
  event.preventDefault();
  const input = event.currentTarget;
  const send = input.form && input.form.querySelector("button[type=submit]");
  if (send && !send.disabled && input.value.trim()) input.form.requestSubmit(send);
}"""
ESCAPE_TO_CLOSE_JS = """(event) => {
  if (event.key === "Escape") document.getElementById("assistant-close")?.click();
}"""


def two_bot_ai_assistant_widget(
    *,
    open: BoolProp,
    on_toggle: Handler,
    on_close: Handler,
    lines: rx.Var[Any],
    has_lines: BoolProp,
    sending: BoolProp,
    on_submit: Handler,
    on_suggestion: Handler,
    on_new_chat: Handler,
    wallet_label: StrProp,
    model_label: StrProp,
    tokens_used: StrProp,
    credits_used: StrProp,
    balance: StrProp,
    percent_used: IntProp,
    near_limit: BoolProp,
    limit: StrProp,
    percent_text: StrProp = "",
    balance_status: StrProp = "ok",
    usage_loading: BoolProp = False,
    notice_kind: StrProp = "",
    notice_text: StrProp = "",
    can_retry: BoolProp = False,
    on_retry: Handler | None = None,
    can_buy: BoolProp = True,
    on_buy: Handler | None = None,
    credits_href: StrProp = "/credits",
    suggestions: tuple[str, ...] = DEFAULT_SUGGESTIONS,
) -> rx.Component:
    """The launcher and, while `open`, the chat panel."""
    panel = rx.flex(
        _header(wallet_label, model_label, on_close, on_new_chat, has_lines, sending),
        _usage(
            tokens_used,
            credits_used,
            balance,
            balance_status,
            percent_used,
            percent_text,
            near_limit,
            limit,
            usage_loading,
        ),
        rx.box(
            rx.vstack(
                rx.cond(
                    has_lines,
                    rx.foreach(lines, _message),
                    _welcome(wallet_label, suggestions, on_suggestion, sending),
                ),
                rx.cond(sending, _typing()),
                rx.cond(
                    notice_kind,
                    _notice(
                        notice_kind,
                        notice_text,
                        can_retry,
                        on_retry,
                        can_buy,
                        on_buy,
                        credits_href,
                    ),
                ),
                spacing="3",
                width="100%",
                # Announce replies and errors to screen readers as they arrive.
                aria_live="polite",
            ),
            id="assistant-messages",
            **styles.ASSISTANT_MESSAGES_STYLE,
        ),
        _composer(on_submit, sending),
        id="assistant-panel",
        role="dialog",
        aria_label="2Bot AI assistant",
        custom_attrs={"onKeyDown": rx.Var(_js_expr=ESCAPE_TO_CLOSE_JS)},
        **styles.ASSISTANT_PANEL_STYLE,
    )
    launcher = rx.icon_button(
        rx.cond(open, rx.icon("chevron-down", size=24), rx.icon("bot-message-square", size=24)),
        on_click=on_toggle,
        radius="full",
        size="4",
        id="assistant-launcher",
        aria_label=rx.cond(open, "Close the 2Bot AI assistant", "Open the 2Bot AI assistant"),
        aria_expanded=rx.cond(open, "true", "false"),
        **styles.ASSISTANT_LAUNCHER_STYLE,
    )
    # While open on phones the panel has its own close button and the launcher would cover
    # the composer, so it hides there.
    return rx.fragment(
        rx.cond(open, panel),
        rx.cond(open, rx.box(launcher, display=["none", "block"]), launcher),
    )


def _header(
    wallet_label: StrProp,
    model_label: StrProp,
    on_close: Handler,
    on_new_chat: Handler,
    has_lines: BoolProp,
    sending: BoolProp,
) -> rx.Component:
    return rx.flex(
        rx.hstack(
            rx.flex(rx.icon("bot", size=18), **styles.ASSISTANT_AVATAR_STYLE),
            rx.vstack(
                rx.text("2Bot AI", size="3", weight="bold"),
                rx.text(
                    model_label,
                    " · ",
                    wallet_label,
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
                    rx.icon("square-pen", size=styles.ICON_SIZE),
                    variant="ghost",
                    color_scheme="gray",
                    size="2",
                    on_click=on_new_chat,
                    disabled=~has_lines | sending,  # type: ignore[operator]
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
                on_click=on_close,
                aria_label="Close the assistant",
                id="assistant-close",
            ),
            spacing="3",
            align="center",
            padding_right="4px",
        ),
        **styles.ASSISTANT_HEADER_STYLE,
    )


def _usage(
    tokens_used: StrProp,
    credits_used: StrProp,
    balance: StrProp,
    balance_status: StrProp,
    percent_used: IntProp,
    percent_text: StrProp,
    near_limit: BoolProp,
    limit: StrProp,
    loading: BoolProp,
) -> rx.Component:
    """This period's AI tokens and credits, the balance, and the share of the period used."""
    share = rx.cond(
        limit,
        rx.fragment("This month: ", percent_text, " of the ", limit, "-credit monthly limit"),
        rx.fragment("This month: ", percent_text, " of the wallet's credits"),
    )
    balance_color = rx.match(
        balance_status,
        ("critical", styles.CRITICAL_TEXT_COLOR),
        ("low", styles.LOW_TEXT_COLOR),
        styles.TEXT_COLOR,
    )
    return rx.vstack(
        rx.grid(
            _stat("Tokens used", tokens_used, "assistant-tokens", loading),
            _stat("AI credits used", credits_used, "assistant-credits-used", loading),
            _stat("Balance", balance, "assistant-balance", loading, color=balance_color),
            columns="3",
            spacing="3",
            width="100%",
        ),
        rx.skeleton(
            rx.vstack(
                rx.progress(
                    value=percent_used,
                    max=100,
                    size="1",
                    color_scheme=rx.cond(near_limit, styles.LOW_COLOR, styles.ACCENT_COLOR),
                    aria_label="Share of this period used",
                ),
                rx.text(
                    share, size=styles.SMALL_SIZE, id="assistant-share", **styles.CAPTION_STYLE
                ),
                spacing="1",
                width="100%",
            ),
            loading=loading,
            width="100%",
        ),
        rx.cond(
            near_limit & ~loading,  # type: ignore[operator]
            rx.hstack(
                rx.icon("gauge", size=styles.ICON_SIZE, flex_shrink="0", margin_top="2px"),
                rx.text(
                    rx.cond(
                        limit,
                        rx.fragment(
                            "You have used ",
                            percent_text,
                            " of this month's limit. Replies past it are refused.",
                        ),
                        rx.fragment(
                            "You have used ",
                            percent_text,
                            " of this month's credits. Top up to keep chatting.",
                        ),
                    ),
                    size=styles.SMALL_SIZE,
                    weight="medium",
                ),
                align="start",
                spacing="2",
                id="assistant-near-limit",
                role="status",
                **(styles.banner_style(styles.LOW_COLOR) | {"padding": "8px 10px"}),
            ),
        ),
        spacing="2",
        **styles.ASSISTANT_USAGE_STYLE,
    )


def _stat(
    label: str,
    value: StrProp,
    element_id: str,
    loading: BoolProp,
    *,
    color: StrProp | rx.Var[Any] = styles.TEXT_COLOR,
) -> rx.Component:
    return rx.vstack(
        rx.text(label, **styles.ASSISTANT_STAT_LABEL_STYLE),
        rx.skeleton(
            rx.text(
                value, size="3", weight="bold", id=element_id, color=color, **styles.NUMBER_STYLE
            ),
            loading=loading,
        ),
        spacing="1",
        align="start",
        min_width="0",
    )


def _message(line: rx.Var[Any]) -> rx.Component:
    return rx.cond(line["role"] == "user", _user_message(line), _reply(line))


def _user_message(line: rx.Var[Any]) -> rx.Component:
    return rx.vstack(
        rx.cond(
            line["failed"],
            rx.box(
                rx.text(line["content"], size=styles.BODY_SIZE),
                **styles.ASSISTANT_FAILED_BUBBLE_STYLE,
            ),
            rx.box(
                rx.text(line["content"], size=styles.BODY_SIZE),
                **styles.ASSISTANT_USER_BUBBLE_STYLE,
            ),
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
        align="end",
        spacing="1",
        width="100%",
        class_name="assistant-user-message",
    )


def _reply(line: rx.Var[Any]) -> rx.Component:
    return rx.vstack(
        rx.box(
            rx.text(line["content"], size=styles.BODY_SIZE, class_name="assistant-reply-text"),
            **styles.ASSISTANT_REPLY_BUBBLE_STYLE,
        ),
        rx.hstack(
            rx.badge(
                rx.icon("cpu", size=12),
                line["model_label"],
                variant="soft",
                color_scheme="gray",
                size="1",
                class_name="assistant-reply-model",
            ),
            rx.hstack(
                rx.icon("coins", size=12),
                rx.text(
                    rx.text.span(line["credits"], class_name="assistant-reply-credits"),
                    " credits",
                    size=styles.SMALL_SIZE,
                    **styles.NUMBER_STYLE,
                ),
                spacing="1",
                align="center",
                **styles.CAPTION_STYLE,
            ),
            spacing="2",
            align="center",
        ),
        align="start",
        spacing="1",
        width="100%",
        class_name="assistant-reply",
    )


def _typing() -> rx.Component:
    dots = [
        rx.box(**(styles.ASSISTANT_TYPING_DOT_STYLE | {"animation_delay": f"{index * 0.15}s"}))
        for index in range(3)
    ]
    return rx.hstack(
        rx.hstack(*dots, spacing="1", align="center", height="20px"),
        rx.text("2Bot is typing…", size=styles.SMALL_SIZE, **styles.CAPTION_STYLE),
        align="center",
        spacing="2",
        id="assistant-typing",
        role="status",
        **(styles.ASSISTANT_REPLY_BUBBLE_STYLE | {"padding": "10px 12px"}),
    )


def _welcome(
    wallet_label: StrProp,
    suggestions: tuple[str, ...],
    on_suggestion: Handler,
    sending: BoolProp,
) -> rx.Component:
    return rx.vstack(
        rx.flex(rx.icon("sparkles", size=20), **styles.EMPTY_STATE_ICON_STYLE),
        rx.text("Ask 2Bot anything", size="3", weight="bold"),
        rx.text(
            "Replies are paid from the ",
            rx.text.strong(wallet_label),
            ", only for the tokens they use.",
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
                    on_click=on_suggestion(text),
                    disabled=sending,
                    class_name="assistant-suggestion",
                    **styles.ASSISTANT_SUGGESTION_STYLE,
                )
                for text in suggestions
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


def _notice(
    kind: StrProp,
    text: StrProp,
    can_retry: BoolProp,
    on_retry: Handler | None,
    can_buy: BoolProp,
    on_buy: Handler | None,
    credits_href: StrProp,
) -> rx.Component:
    """Why the last message got no reply, and the way forward."""
    buy = buy_or_ask_action(can_buy, on_buy, note_size=styles.SMALL_SIZE, id="assistant-buy")
    retry = rx.cond(
        can_retry,
        rx.button(
            rx.icon("rotate-ccw", size=styles.ICON_SIZE),
            "Try again",
            size="2",
            variant="soft",
            color_scheme="gray",
            on_click=on_retry,
            id="assistant-retry",
        ),
    )
    view_credits = rx.link(
        rx.button("View credits", size="2", variant="soft", color_scheme=styles.CRITICAL_COLOR),
        href=credits_href,
        underline="none",
    )
    return rx.match(
        kind,
        (
            "insufficient_credits",
            _notice_box("wallet", styles.CRITICAL_COLOR, "Not enough credits", text, buy, kind),
        ),
        (
            "monthly_limit_reached",
            _notice_box(
                "octagon-x",
                styles.CRITICAL_COLOR,
                "Monthly spending limit reached",
                text,
                view_credits,
                kind,
            ),
        ),
        (
            "ai_provider_error",
            _notice_box("cloud-off", "gray", "2Bot is unavailable", text, retry, kind),
        ),
        _notice_box("circle-alert", "gray", "Message not sent", text, retry, kind),
    )


def _notice_box(
    icon: str,
    color: str,
    title: str,
    text: StrProp,
    action: rx.Component,
    kind: StrProp,
) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon(icon, size=18, flex_shrink="0", margin_top="2px"),
            rx.vstack(
                rx.text(title, weight="bold", size=styles.BODY_SIZE),
                rx.text(text, size=styles.BODY_SIZE),
                spacing="1",
            ),
            align="start",
            spacing="3",
        ),
        action,
        spacing="3",
        id="assistant-notice",
        role="alert",
        custom_attrs={"data-kind": kind},
        **styles.banner_style(color),
    )


def _composer(on_submit: Handler, sending: BoolProp) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.text_area(
                name=MESSAGE_FIELD,
                placeholder="Message 2Bot…",
                rows="1",
                size="2",
                max_length=MAX_MESSAGE_CHARS,
                auto_focus=True,
                aria_label="Message 2Bot",
                id="assistant-input",
                custom_attrs={"onKeyDown": rx.Var(_js_expr=ENTER_TO_SEND_JS)},
                **styles.ASSISTANT_INPUT_STYLE,
            ),
            rx.icon_button(
                rx.icon("send-horizontal", size=18),
                type="submit",
                size="3",
                loading=sending,
                disabled=sending,
                aria_label="Send",
                id="assistant-send",
            ),
            align="end",
            spacing="2",
            width="100%",
        ),
        rx.text(
            "Enter to send · Shift+Enter for a new line",
            size=styles.SMALL_SIZE,
            padding_top="6px",
            display=["none", "block"],
            **styles.CAPTION_STYLE,
        ),
        on_submit=on_submit,
        reset_on_submit=True,
        id="assistant-form",
        **styles.ASSISTANT_COMPOSER_STYLE,
    )
