"""The 2Bot AI assistant widget: the conversation, this period's AI usage, and every credited call.

Chat replies stream through `credits_app.ai.chat_stream.chat_stream`, images through
`generate_image`, "read aloud" through `text_to_speech` and voice input through
`speech_to_text`: the same credited flows as `POST /api/2bot-ai/*`, on the wallet in context
(the org's inside an organization, where members use the org wallet). Each call holds its price
first and charges after; a refusal (402) or provider failure shows as the notice. Calls run as
background tasks, so a slow provider never blocks the page's other events; after each charge the
widget re-reads its usage and returns `WalletOverviewState.refresh`, so the widget's balance and
the top bar move together at once.

The panel's figures live in one `AssistantView` object (see `assistant_presenters.py`).
"""

import base64
import dataclasses
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import reflex as rx

from credits_app.ai.chat import MAX_MESSAGE_CHARS, MAX_MESSAGES
from credits_app.ai.chat_stream import ChatStream, chat_stream
from credits_app.ai.conversations import (
    StoredMessage,
    append_messages,
    delete_conversation,
    get_conversation,
    list_conversations,
    start_conversation,
)
from credits_app.ai.media import (
    MAX_PROMPT_CHARS,
    MAX_SPEECH_CHARS,
    generate_image,
    image_quote,
    speech_quote,
    speech_to_text,
    text_to_speech,
)
from credits_app.ai.providers import ChatMessage, ProviderError, configured_models
from credits_app.credits.ai_usage_report import get_token_usage
from credits_app.credits.amounts import format_balance
from credits_app.credits.categories import OwnerKind
from credits_app.credits.errors import CreditsError
from credits_app.credits.owners import WalletOwner
from credits_app.state.assistant_presenters import (
    AssistantView,
    ChatLine,
    ChatNotice,
    ConversationRow,
    assistant_usage_view,
    chat_line,
    chat_notice,
    conversation_rows,
    stored_line,
)
from credits_app.state.auth_state import AuthState
from credits_app.state.client_presence import run_while_connected
from credits_app.state.formatting import model_label
from credits_app.state.service_calls import call_service
from credits_app.state.wallet_context_state import WalletContextState
from credits_app.state.wallet_overview_state import WalletOverviewState

logger = logging.getLogger(__name__)

SESSION_ENDED = "Your session has ended. Sign in again to use 2Bot."
NOT_READY = "The wallet is still loading. Try again in a moment."
UNEXPECTED = "Something went wrong and 2Bot could not answer. Try again."
MESSAGE_FIELD = "message"
STREAM_REFRESH_SECONDS = 0.08  # how often a streaming reply is pushed to the browser
IMAGE_SIZE = "1024x1024"
# The recorder (assets/uc-recorder.js) is loaded on the first press of the microphone, so pages
# where nobody records never download it.
LOAD_RECORDER_JS = """(window.ucRecorder ? Promise.resolve() : new Promise((loaded, failed) => {
  const script = document.createElement("script");
  script.src = "/uc-recorder.js";
  script.onload = loaded;
  script.onerror = failed;
  document.head.appendChild(script);
}))"""
RECORDER_FAILED = "The recorder could not be loaded. Upload a recording instead."


def _initial_view() -> AssistantView:
    models = configured_models()
    return AssistantView(
        model_label=model_label(models.chat),
        image_cost=format_balance(image_quote(IMAGE_SIZE, "standard", 1, models.image)),
    )


@dataclass(frozen=True)
class _Caller:
    """Who asks and which wallet pays, resolved under the state lock."""

    user_id: int
    owner: WalletOwner
    org_id: int | None
    settings_href: str
    client_token: str  # the browser tab (Reflex's client token) the answer goes to


class AssistantState(rx.State):
    """Whether the panel is open, the conversation, and the view of the wallet in context."""

    open: bool = False
    lines: list[ChatLine] = []
    sending: bool = False
    recording: bool = False  # the microphone is recording (the browser holds the audio)
    streaming_text: str = ""  # the reply arriving now (kept apart so `lines` is not resent)
    mode: str = "chat"  # "chat" | "image"
    view: AssistantView = _initial_view()
    show_history: bool = False
    conversations: list[ConversationRow] = []
    _conversation_id: int = 0  # the stored conversation the lines belong to (0: not yet)
    _conversation_for: str = ""  # the context key the conversation is billed to
    _user_id: int = 0  # whose conversation this is (a tab can sign out and in as someone else)

    @rx.var
    def has_lines(self) -> bool:
        return len(self.lines) > 0

    @rx.var
    def can_retry(self) -> bool:
        """A failed last message can be sent again (not after a refusal for money)."""
        return (
            self.view.notice.kind in {"ai_provider_error", "error"}
            and len(self.lines) > 0
            and self.lines[-1]["failed"]
        )

    @rx.event
    async def toggle(self) -> None:
        """Open or close the panel; opening reads the usage of the wallet in context."""
        self.open = not self.open
        if self.open:
            await self._load_usage()

    @rx.event
    def close(self) -> None:
        self.open = False

    @rx.event
    def set_mode(self, mode: str | list[str]) -> None:
        """Chat or image mode for the composer."""
        chosen = mode[0] if isinstance(mode, list) else mode
        if chosen in {"chat", "image"}:
            self.mode = chosen

    @rx.event
    async def sync(self) -> None:
        """On every dashboard page load: another person signed in to this tab sees nothing of
        the last one's chat; a new wallet context starts a new conversation (it is billed
        elsewhere); an old notice goes (credits may have been bought meanwhile); an open
        panel shows the figures of the context."""
        context = await self.get_state(WalletContextState)
        auth = await self.get_state(AuthState)
        if auth.user_id != self._user_id:
            self._reset_conversation()
            self.open, self._user_id = False, auth.user_id
            self.view = dataclasses.replace(self.view, usage_for="")
        elif self._conversation_for not in {"", context.key} and not self.sending:
            self._reset_conversation()
        if not self.sending:
            self._set_notice(ChatNotice())
        if self.open:
            await self._load_usage()

    @rx.event
    def new_chat(self) -> None:
        """Forget the conversation (the next message starts without context)."""
        if not self.sending:
            self._reset_conversation()

    @rx.event(background=True)
    async def send(self, form_data: dict[str, str]) -> AsyncIterator[rx.event.EventType[()]]:
        """The composer was submitted (the send button or Enter): a message or an image prompt."""
        text = str(form_data.get(MESSAGE_FIELD, ""))
        async with self:
            mode = self.mode
        events = self._imagine(text) if mode == "image" else self._ask(text)
        async for event in events:
            yield event

    @rx.event(background=True)
    async def ask(self, text: str) -> AsyncIterator[rx.event.EventType[()]]:
        """Send a suggested prompt (or a transcript) as a chat message."""
        async for event in self._ask(text):
            yield event

    @rx.event(background=True)
    async def retry(self) -> AsyncIterator[rx.event.EventType[()]]:
        """Send the last message again after a provider error."""
        async with self:
            if self.sending or not self.can_retry:
                return
            text = self.lines[-1]["content"]
            self.lines = self.lines[:-1]
        async for event in self._ask(text):
            yield event

    @rx.event(background=True)
    async def read_aloud(self, index: int) -> AsyncIterator[rx.event.EventType[()]]:
        """Read reply `index` aloud (text to speech), charged per 1,000 characters."""
        async with self:
            if self.sending or not 0 <= index < len(self.lines):
                return
            line = self.lines[index]
            if line["role"] != "assistant" or line["kind"] != "text" or line["audio_src"]:
                return
            caller = await self._caller()
            if caller is None:
                return
            self.sending = True
            self._set_notice(ChatNotice())
        try:
            result = await text_to_speech(
                caller.user_id, line["content"][:MAX_SPEECH_CHARS], org_id=caller.org_id
            )
        except Exception as error:
            async with self:
                self.sending = False
                self._set_notice(_notice_for(error, "tts", caller))
            return
        audio = _data_url(result.audio.content_type, result.audio.data)
        async with self:
            self.sending = False
            if index < len(self.lines) and self.lines[index]["content"] == line["content"]:
                self.lines[index] = {
                    **self.lines[index],
                    "audio_src": audio,
                    "speech_credits": format_balance(result.credits_used),
                }
            await self._load_usage()
        yield WalletOverviewState.refresh

    @rx.event
    def toggle_recording(self, upload_id: str) -> rx.event.EventSpec | None:
        """Start recording from the microphone, or stop and send the recording for transcription.

        The browser records and encodes a WAV itself; on stop it puts the file into the voice
        upload input (`upload_id`), which sends it to `transcribe` like an uploaded file.
        """
        if self.sending and not self.recording:
            return None
        self.recording = not self.recording
        self._set_notice(ChatNotice())
        if self.recording:
            action = "window.ucRecorder.start()"
        else:
            action = f"window.ucRecorder.stop({_js_string(f'#{upload_id} input[type=file]')})"
        script = f"{LOAD_RECORDER_JS}.then(() => {action}, () => {_js_string(RECORDER_FAILED)})"
        return rx.call_script(script, callback=AssistantState.recording_done)

    @rx.event
    def recording_done(self, message: str | None) -> None:
        """What the browser's recorder answered: "" when all went well, else why not."""
        if message:
            self.recording = False
            self._set_notice(ChatNotice("error", str(message)[:300]))

    @rx.event
    async def transcribe(self, files: list[rx.UploadFile]) -> AsyncIterator[rx.event.EventType[()]]:
        """Voice input: transcribe the uploaded recording (charged per minute the server
        measured), show it as the user's message, and ask 2Bot with it."""
        if self.sending or not files:
            return
        upload = files[0]
        data = await upload.read()
        caller = await self._caller()
        if caller is None:
            return
        self._set_notice(ChatNotice())
        try:
            result = await speech_to_text(
                caller.user_id,
                data,
                filename=upload.name or "recording",
                content_type=upload.content_type or "",
                org_id=caller.org_id,
            )
        except Exception as error:
            self._set_notice(_notice_for(error, "stt", caller))
            return
        self.lines = [
            *self.lines,
            chat_line(
                "user",
                result.text,
                kind="voice",
                model=result.model,
                credits=format_balance(result.credits_used),
            ),
        ]
        await self._load_usage()
        yield WalletOverviewState.refresh
        if result.text.strip():
            yield AssistantState.ask_about_voice

    @rx.event(background=True)
    async def ask_about_voice(self) -> AsyncIterator[rx.event.EventType[()]]:
        """Answer the transcript just added (its line is already in the conversation)."""
        async for event in self._ask("", voice=True):
            yield event

    # --- stored conversations ---------------------------------------------------------------

    @rx.event
    async def toggle_history(self) -> None:
        """Show (or hide) this wallet context's stored conversations."""
        self.show_history = not self.show_history
        if self.show_history:
            await self._load_conversations()

    @rx.event
    async def open_conversation(self, conversation_id: int) -> None:
        """Reopen a stored conversation: its lines come back and the next message continues it."""
        if self.sending:
            return
        caller = await self._caller()
        if caller is None:
            return
        try:
            stored = await call_service(get_conversation, caller.user_id, conversation_id)
        except CreditsError as error:
            self._set_notice(chat_notice(error))
            return
        if stored.owner != caller.owner:
            return  # billed to another wallet: it opens from that wallet's pages
        self.lines = [stored_line(message) for message in stored.messages]
        self._conversation_id = stored.id
        self.show_history = False

    @rx.event
    async def remove_conversation(self, conversation_id: int) -> None:
        """Delete a stored conversation (its owner only); the open one starts afresh."""
        user_id = await (await self.get_state(AuthState)).verified_user_id()
        if not user_id:
            return
        try:
            await call_service(delete_conversation, user_id, conversation_id)
        except CreditsError as error:
            self._set_notice(chat_notice(error))
            return
        if conversation_id == self._conversation_id and not self.sending:
            self.lines, self._conversation_id = [], 0
        await self._load_conversations()

    async def _load_conversations(self) -> None:
        context = await self.get_state(WalletContextState)
        owner = context.header_owner()
        user_id = (await self.get_state(AuthState)).user_id
        if owner is None or not user_id:
            self.conversations = []
            return
        try:
            rows = await call_service(list_conversations, user_id, owner)
        except CreditsError:
            logger.exception("Listing the conversations of user %s failed", user_id)
            return
        self.conversations = conversation_rows(rows)

    async def _remember(self, caller: _Caller, lines: list[ChatLine]) -> None:
        """Store an answered turn (outside the lock); the first one starts the conversation."""
        async with self:
            conversation_id = self._conversation_id
            first = self.lines[0]["content"] if self.lines else ""
        messages = [
            StoredMessage(
                line["role"], line["kind"], line["content"], line["model_label"], line["credits"]
            )
            for line in lines
        ]
        try:
            if not conversation_id:
                conversation_id = await call_service(
                    start_conversation, caller.user_id, caller.owner, first
                )
            await call_service(append_messages, caller.user_id, conversation_id, messages)
        except CreditsError:
            logger.exception("Storing a 2Bot turn for user %s failed", caller.user_id)
            return
        async with self:
            if not self._conversation_id:
                self._conversation_id = conversation_id

    # --- the credited turns ---------------------------------------------------------------

    async def _ask(
        self, text: str, *, voice: bool = False
    ) -> AsyncIterator[rx.event.EventType[()]]:
        """One streamed chat turn: show the message, stream the reply, show the charge."""
        text = text.strip()[:MAX_MESSAGE_CHARS]
        async with self:
            if self.sending or not (text or voice):
                return
            caller = await self._caller()
            if caller is None:
                if text:
                    self.lines = [*self.lines, chat_line("user", text)]
                self._fail(self.view.notice)
                return
            history = self._conversation()
            if voice:
                history, text = history[:-1], history[-1].content if history else ""
            else:
                self.lines = [*self.lines, chat_line("user", text)]
            self.sending, self.streaming_text = True, ""
            self._set_notice(ChatNotice())
        messages = [*history, ChatMessage("user", text)][-MAX_MESSAGES:]
        gone = False
        try:
            async with chat_stream(caller.user_id, messages, org_id=caller.org_id) as stream:
                failure: CreditsError | None = None
                try:
                    # A closed tab stops the reply: leaving this block cancels the upstream
                    # request, and `finish` charges only the tokens produced until then.
                    gone = await run_while_connected(self._follow(stream), caller.client_token)
                except ProviderError as error:
                    failure = error
                result = await stream.finish()
        except Exception as error:
            async with self:
                self.sending, self.streaming_text = False, ""
                self._fail(_notice_for(error, "chat", caller))
            return
        content = result.message.content or "…"
        if gone:
            content = f"{content} … [stopped: the tab was closed]"
        reply = chat_line(
            "assistant",
            content,
            model=result.model,
            credits=format_balance(result.credits_used),
            speech_cost=format_balance(speech_quote(result.message.content or "…")),
        )
        async with self:
            self.sending, self.streaming_text = False, ""
            asked = self.lines[-1] if self.lines and self.lines[-1]["role"] == "user" else None
            self.lines = [*self.lines, reply]
            if failure is not None:
                self._set_notice(_notice_for(failure, "chat", caller))
            await self._load_usage()
        yield WalletOverviewState.refresh
        await self._remember(caller, [line for line in (asked, reply) if line is not None])

    async def _follow(self, stream: ChatStream) -> None:
        """Consume the reply's pieces, pushing the text so far to the browser now and then."""
        pushed = time.monotonic()
        async for _ in stream.deltas():
            if time.monotonic() - pushed >= STREAM_REFRESH_SECONDS:
                pushed = time.monotonic()
                async with self:
                    self.streaming_text = stream.text

    async def _imagine(self, prompt: str) -> AsyncIterator[rx.event.EventType[()]]:
        """Image mode: the prompt becomes a picture, priced per image."""
        prompt = prompt.strip()[:MAX_PROMPT_CHARS]
        async with self:
            if self.sending or not prompt:
                return
            caller = await self._caller()
            self.lines = [*self.lines, chat_line("user", prompt, kind="image")]
            if caller is None:
                self._fail(self.view.notice)
                return
            self.sending = True
            self._set_notice(ChatNotice())
        try:
            result = await generate_image(
                caller.user_id, prompt, size=IMAGE_SIZE, org_id=caller.org_id
            )
        except Exception as error:
            async with self:
                self.sending = False
                self._fail(_notice_for(error, "image", caller))
            return
        image = _data_url("image/png", result.images[0])
        reply = chat_line(
            "assistant",
            prompt,
            kind="image",
            model=result.model,
            credits=format_balance(result.credits_used),
            image_src=image,
        )
        async with self:
            self.sending = False
            asked = self.lines[-1]
            self.lines = [*self.lines, reply]
            await self._load_usage()
        yield WalletOverviewState.refresh
        await self._remember(caller, [asked, reply])

    # --- helpers ----------------------------------------------------------------------------

    async def _caller(self) -> _Caller | None:
        """The signed-in user and the wallet in context (under the lock); None sets why not."""
        context = await self.get_state(WalletContextState)
        owner = context.header_owner()
        user_id = await (await self.get_state(AuthState)).verified_user_id()
        if self._conversation_for != context.key or self._user_id != user_id:
            self._reset_conversation()  # a new context or person: a new conversation
            self._conversation_for, self._user_id = context.key, user_id
        if owner is None or not user_id:
            self._set_notice(ChatNotice("error", NOT_READY if user_id else SESSION_ENDED))
            return None
        org_id = owner.id if owner.kind == OwnerKind.ORG else None
        settings_href = f"{context.credits_href}?tab=settings" if context.can_buy else ""
        return _Caller(user_id, owner, org_id, settings_href, self.router.session.client_token)

    async def _load_usage(self) -> None:
        """This period's tokens and AI credits of the wallet the header shows."""
        context = await self.get_state(WalletContextState)
        owner = context.header_owner()
        if owner is None:
            return
        try:
            usage = await call_service(get_token_usage, owner)
        except CreditsError:
            logger.exception("Reading the token usage of %s failed", owner)
            return
        self.view = dataclasses.replace(
            self.view, usage=assistant_usage_view(usage), usage_for=context.key
        )

    def _conversation(self) -> list[ChatMessage]:
        """The messages so far that the model saw and answered (failed and media lines left out)."""
        return [
            ChatMessage(line["role"], line["content"])
            for line in self.lines
            if not line["failed"] and line["kind"] in {"text", "voice"}
        ]

    def _fail(self, notice: ChatNotice) -> None:
        """Mark the message just sent as not answered and say why."""
        if self.lines and self.lines[-1]["role"] == "user":
            self.lines = [*self.lines[:-1], {**self.lines[-1], "failed": True}]
        self._set_notice(notice)

    def _set_notice(self, notice: ChatNotice) -> None:
        self.view = dataclasses.replace(self.view, notice=notice)

    def _reset_conversation(self) -> None:
        self.lines = []
        self.streaming_text = ""
        self._set_notice(ChatNotice())
        self._conversation_for = ""
        self._conversation_id = 0
        self.show_history = False


def _notice_for(error: Exception, feature: str, caller: _Caller) -> ChatNotice:
    if isinstance(error, CreditsError):
        return chat_notice(error, feature=feature, settings_href=caller.settings_href)
    logger.exception("2Bot %s failed for user %s", feature, caller.user_id, exc_info=error)
    return ChatNotice("error", UNEXPECTED)


def _js_string(text: str) -> str:
    """A JavaScript string literal (JSON's is one)."""
    return json.dumps(text)


def _data_url(content_type: str, data: bytes) -> str:
    """Media the browser shows or plays straight from the state."""
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"
