"""The one object the 2Bot assistant widget takes: what it shows and what it does.

`view` is the state's `AssistantView` (usage figures, notice, model, quotes) as one Var; the
conversation and the wallet in context come as Vars too, the actions as event handlers. The
view layer (`views/assistant_view.py`) builds it from the states; the parts of the widget
(header, usage strip, message list, notice, composer) each read what they need from it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import reflex as rx

Handler = Callable[..., Any] | Any  # an event handler, or an EventSpec with its arguments bound


@dataclass(frozen=True)
class AssistantWallet:
    """The wallet the assistant spends from, as the header shows it."""

    label: rx.Var[str]
    balance: rx.Var[str]
    status: rx.Var[str]
    loading: rx.Var[bool]
    can_buy: rx.Var[bool]
    credits_href: rx.Var[str]
    on_buy: Handler


@dataclass(frozen=True)
class AssistantActions:
    """What the widget's controls do."""

    toggle: Handler
    close: Handler
    submit: Handler
    suggestion: Handler
    new_chat: Handler
    retry: Handler
    set_mode: Handler
    read_aloud: Handler
    upload: Handler  # the recording dropped on (or chosen with) the upload button
    record: Handler  # the microphone button: start recording, or stop and transcribe
    toggle_history: Handler
    open_conversation: Handler
    delete_conversation: Handler


@dataclass(frozen=True)
class AssistantBindings:
    """Everything the widget needs, in one object."""

    view: Any  # ObjectVar of credits_app.state.assistant_presenters.AssistantView
    lines: rx.Var[Any]
    open: rx.Var[bool]
    has_lines: rx.Var[bool]
    sending: rx.Var[bool]
    recording: rx.Var[bool]
    streaming_text: rx.Var[str]
    mode: rx.Var[str]
    can_retry: rx.Var[bool]
    show_history: rx.Var[bool]
    conversations: rx.Var[Any]  # list of {id, title, when, messages}
    wallet: AssistantWallet
    actions: AssistantActions
    upload_id: str = "assistant-upload"
