"""Where requests start: chat or image mode, the text box, voice input, and what an image costs.

Enter sends and Shift+Enter starts a new line (a few lines of browser code, so typing never
round-trips to the server). The microphone button records in the browser (pressed again, it
stops; the browser encodes a WAV, assets/uc-recorder.js); the upload button takes a recording
file (WAV, MP3, Ogg, FLAC, M4A). Either is transcribed, priced per minute of audio measured by
the server.
"""

import reflex as rx

from credits_app import styles
from credits_app.components.ai.assistant_props import AssistantBindings
from credits_app.components.ai.assistant_styles import MODE_SWITCH_STYLE

MESSAGE_FIELD = "message"
MAX_MESSAGE_CHARS = 32_000
AUDIO_TYPES = {"audio/*": [".wav", ".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a"]}
ENTER_TO_SEND_JS = """(event) => {
  if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
  event.preventDefault();
  const input = event.currentTarget;
  const send = input.form && input.form.querySelector("button[type=submit]");
  if (send && !send.disabled && input.value.trim()) input.form.requestSubmit(send);
}"""


def assistant_composer(b: AssistantBindings) -> rx.Component:
    image_mode = b.mode == "image"
    return rx.form(
        rx.segmented_control.root(
            rx.segmented_control.item("Chat", value="chat"),
            rx.segmented_control.item("Image", value="image"),
            value=b.mode,
            on_change=b.actions.set_mode,
            size="1",
            id="assistant-mode",
            **MODE_SWITCH_STYLE,
        ),
        rx.hstack(
            _record_button(b),
            _voice_upload(b),
            rx.text_area(
                name=MESSAGE_FIELD,
                placeholder=rx.cond(image_mode, "Describe an image…", "Message 2Bot…"),
                rows="1",
                size="2",
                max_length=MAX_MESSAGE_CHARS,
                auto_focus=True,
                aria_label=rx.cond(image_mode, "Image prompt", "Message 2Bot"),
                id="assistant-input",
                custom_attrs={"onKeyDown": rx.Var(_js_expr=ENTER_TO_SEND_JS)},
                **styles.ASSISTANT_INPUT_STYLE,
            ),
            rx.icon_button(
                rx.cond(image_mode, rx.icon("image", size=18), rx.icon("send-horizontal", size=18)),
                type="submit",
                size="3",
                loading=b.sending,
                disabled=b.sending,
                aria_label=rx.cond(image_mode, "Generate image", "Send"),
                id="assistant-send",
            ),
            align="end",
            spacing="2",
            width="100%",
        ),
        rx.text(
            rx.cond(
                image_mode,
                rx.fragment(
                    "Each image (1024x1024) costs ",
                    rx.text.span(b.view.image_cost, id="assistant-image-cost"),
                    " credits · Enter to generate",
                ),
                "Enter to send · Shift+Enter for a new line",
            ),
            size=styles.SMALL_SIZE,
            padding_top="6px",
            **styles.CAPTION_STYLE,
        ),
        on_submit=b.actions.submit,
        reset_on_submit=True,
        id="assistant-form",
        **styles.ASSISTANT_COMPOSER_STYLE,
    )


def _record_button(b: AssistantBindings) -> rx.Component:
    """Record from the microphone; while recording it is the stop button (aria-pressed)."""
    return rx.tooltip(
        rx.icon_button(
            rx.cond(b.recording, rx.icon("square", size=16), rx.icon("mic", size=18)),
            type="button",
            variant=rx.cond(b.recording, "solid", "soft"),
            color_scheme=rx.cond(b.recording, "red", "gray"),
            size="3",
            disabled=b.sending & ~b.recording,
            aria_label=rx.cond(b.recording, "Stop recording and transcribe", "Voice input: record"),
            aria_pressed=rx.cond(b.recording, "true", "false"),
            on_click=b.actions.record,
            id="assistant-record",
        ),
        content=rx.cond(
            b.recording,
            "Recording… press to stop and transcribe",
            "Record a voice question (charged per minute)",
        ),
    )


def _voice_upload(b: AssistantBindings) -> rx.Component:
    """The recording-file dropzone; its hidden file input gets the button's name (axe: label)."""
    zone = rx.upload.root(
        rx.tooltip(
            rx.icon_button(
                rx.icon("file-audio", size=18),
                type="button",
                variant="soft",
                color_scheme="gray",
                size="3",
                disabled=b.sending,
                aria_label="Voice input: upload a recording",
            ),
            content="Voice input: upload a recording (charged per minute)",
        ),
        id=b.upload_id,
        accept=AUDIO_TYPES,
        max_files=1,
        multiple=False,
        no_drag=True,
        disabled=b.sending,
        on_drop=b.actions.upload,
    )
    _name_file_input(zone, "Voice input: upload a recording")
    return zone


def _name_file_input(component: rx.Component, name: str) -> None:
    """Reflex renders the dropzone's <input type=file> without a label; give it an aria-label."""
    for child in component.children:
        if child.tag == "input":
            child.custom_attrs["aria-label"] = name
            return
        _name_file_input(child, name)
