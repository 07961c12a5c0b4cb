"""TwoBotAIAssistantWidget: a floating 2Bot AI panel, a launcher bottom-right that opens it.

Stateless like the credits components: it takes one `AssistantBindings` object (figures arrive
formatted, actions leave as events) and puts the parts together: header, usage strip, message
list (with the notice) or the stored conversations, composer. On phones the panel takes the
full width under the top bar, so the header balance stays in sight; Escape closes it.
"""

import reflex as rx

from credits_app import styles
from credits_app.components.ai.assistant_composer import assistant_composer
from credits_app.components.ai.assistant_header import assistant_header
from credits_app.components.ai.assistant_history import assistant_history
from credits_app.components.ai.assistant_message_list import assistant_message_list
from credits_app.components.ai.assistant_props import AssistantBindings
from credits_app.components.ai.assistant_usage_strip import assistant_usage_strip

ESCAPE_TO_CLOSE_JS = """(event) => {
  if (event.key === "Escape") document.getElementById("assistant-close")?.click();
}"""


def two_bot_ai_assistant_widget(b: AssistantBindings) -> rx.Component:
    """The launcher and, while open, the panel."""
    panel = rx.flex(
        assistant_header(b),
        assistant_usage_strip(b),
        rx.cond(b.show_history, assistant_history(b), assistant_message_list(b)),
        assistant_composer(b),
        id="assistant-panel",
        role="dialog",
        aria_label="2Bot AI assistant",
        custom_attrs={"onKeyDown": rx.Var(_js_expr=ESCAPE_TO_CLOSE_JS)},
        **styles.ASSISTANT_PANEL_STYLE,
    )
    launcher = rx.icon_button(
        rx.cond(b.open, rx.icon("chevron-down", size=24), rx.icon("bot-message-square", size=24)),
        on_click=b.actions.toggle,
        radius="full",
        size="4",
        id="assistant-launcher",
        aria_label=rx.cond(b.open, "Close the 2Bot AI assistant", "Open the 2Bot AI assistant"),
        aria_expanded=rx.cond(b.open, "true", "false"),
        **styles.ASSISTANT_LAUNCHER_STYLE,
    )
    # While open on phones the panel has its own close button and the launcher would cover
    # the composer, so it hides there.
    return rx.fragment(
        rx.cond(b.open, panel),
        rx.cond(b.open, rx.box(launcher, display=["none", "block"]), launcher),
    )
