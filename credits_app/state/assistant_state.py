"""The 2Bot AI assistant widget: the conversation, this period's AI usage, and the credited chat.

Messages go through `credits_app.ai.chat.chat`, the same credited flow as `POST /api/2bot-ai/chat`:
the worst case is held on the wallet in context (the org's inside an organization, where members
chat on the org wallet), the model answers, the real usage is charged. Sending runs as a
background task, so a slow provider never blocks the page's other events; after each charged
reply the widget re-reads its usage and returns `WalletOverviewState.refresh`, so the widget's
balance and the top bar move together at once.
"""

import logging
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from credits_app.ai.chat import MAX_MESSAGE_CHARS, MAX_MESSAGES, chat
from credits_app.ai.providers import ChatMessage, configured_provider
from credits_app.credits.ai_usage_report import get_token_usage
from credits_app.credits.amounts import format_balance
from credits_app.credits.categories import OwnerKind
from credits_app.credits.errors import CreditsError
from credits_app.state.assistant_presenters import (
    ChatLine,
    ChatNotice,
    assistant_usage_view,
    chat_notice,
    model_label,
)
from credits_app.state.auth_state import AuthState
from credits_app.state.service_calls import call_service
from credits_app.state.wallet_context_state import WalletContextState
from credits_app.state.wallet_overview_state import WalletOverviewState

logger = logging.getLogger(__name__)

SESSION_ENDED = "Your session has ended. Sign in again to chat with 2Bot."
NOT_READY = "The wallet is still loading. Try again in a moment."
UNEXPECTED = "Something went wrong and 2Bot could not answer. Try again."
MESSAGE_FIELD = "message"


class AssistantState(rx.State):
    """Whether the panel is open, the conversation, and the AI usage of the wallet in context."""

    open: bool = False
    lines: list[ChatLine] = []
    sending: bool = False
    notice_kind: str = ""  # "" or a ChatNotice kind
    notice_text: str = ""
    tokens_used: str = ""
    credits_used: str = ""
    percent_used: int = 0
    percent_text: str = "0%"
    near_limit: bool = False
    limit: str = ""
    model_label: str = model_label(configured_provider()[1])
    usage_for: str = ""  # the WalletContextState.key the usage figures belong to
    _conversation_for: str = ""  # the context key the conversation is billed to
    _user_id: int = 0  # whose conversation this is (a tab can sign out and in as someone else)

    @rx.var
    def has_lines(self) -> bool:
        return len(self.lines) > 0

    @rx.var
    def can_retry(self) -> bool:
        """A failed last message can be sent again (not after a refusal for money)."""
        return (
            self.notice_kind in {"ai_provider_error", "error"}
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
    async def sync(self) -> None:
        """On every dashboard page load: another person signed in to this tab sees nothing of
        the last one's chat; a new wallet context starts a new conversation (it is billed
        elsewhere); an old notice goes (credits may have been bought meanwhile); an open
        panel shows the figures of the context."""
        context = await self.get_state(WalletContextState)
        auth = await self.get_state(AuthState)
        if auth.user_id != self._user_id:
            self._reset_conversation()
            self.open, self.usage_for, self._user_id = False, "", auth.user_id
        elif self._conversation_for not in {"", context.key} and not self.sending:
            self._reset_conversation()
        if not self.sending:
            self.notice_kind = self.notice_text = ""
        if self.open:
            await self._load_usage()

    @rx.event
    def new_chat(self) -> None:
        """Forget the conversation (the next message starts without context)."""
        if not self.sending:
            self._reset_conversation()

    @rx.event(background=True)
    async def send(self, form_data: dict[str, Any]) -> AsyncIterator[rx.event.EventType[()]]:
        """The composer was submitted (the send button or Enter)."""
        async for event in self._ask(str(form_data.get(MESSAGE_FIELD, ""))):
            yield event

    @rx.event(background=True)
    async def ask(self, text: str) -> AsyncIterator[rx.event.EventType[()]]:
        """Send a suggested prompt."""
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

    async def _ask(self, text: str) -> AsyncIterator[rx.event.EventType[()]]:
        """One credited turn: show the message, call `chat`, show the reply or why not."""
        text = text.strip()[:MAX_MESSAGE_CHARS]
        async with self:
            if self.sending or not text:
                return
            context = await self.get_state(WalletContextState)
            owner = context.header_owner()
            user_id = await (await self.get_state(AuthState)).verified_user_id()
            if self._conversation_for != context.key or self._user_id != user_id:
                self._reset_conversation()
                self._conversation_for, self._user_id = context.key, user_id
            history = self._conversation()
            self.lines = [*self.lines, _line("user", text)]
            self.notice_kind = self.notice_text = ""
            if owner is None or not user_id:
                self._fail(ChatNotice("error", NOT_READY if user_id else SESSION_ENDED))
                return
            self.sending = True
        messages = [*history, ChatMessage("user", text)][-MAX_MESSAGES:]
        org_id = owner.id if owner.kind == OwnerKind.ORG else None
        try:
            result = await chat(user_id, messages, org_id=org_id)
        except CreditsError as error:
            async with self:
                self.sending = False
                self._fail(chat_notice(error))
            return
        except Exception:
            logger.exception("2Bot chat failed for user %s", user_id)
            async with self:
                self.sending = False
                self._fail(ChatNotice("error", UNEXPECTED))
            return
        reply = _line(
            "assistant",
            result.message.content,
            model=model_label(result.model),
            credits=format_balance(result.credits_used),
        )
        async with self:
            self.sending = False
            self.lines = [*self.lines, reply]
            await self._load_usage()
        yield WalletOverviewState.refresh

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
        view = assistant_usage_view(usage)
        self.tokens_used = view.tokens_used
        self.credits_used = view.credits_used
        self.percent_used = view.percent_used
        self.percent_text = view.percent_text
        self.near_limit = view.near_limit
        self.limit = view.limit
        self.usage_for = context.key

    def _conversation(self) -> list[ChatMessage]:
        """The messages so far that the model saw and answered (failed ones are left out)."""
        return [
            ChatMessage(line["role"], line["content"]) for line in self.lines if not line["failed"]
        ]

    def _fail(self, notice: ChatNotice) -> None:
        """Mark the message just sent as not answered and say why."""
        self.lines = [*self.lines[:-1], {**self.lines[-1], "failed": True}]
        self.notice_kind, self.notice_text = notice.kind, notice.text

    def _reset_conversation(self) -> None:
        self.lines = []
        self.notice_kind = self.notice_text = ""
        self._conversation_for = ""


def _line(role: str, content: str, *, model: str = "", credits: str = "") -> ChatLine:
    return ChatLine(role=role, content=content, model_label=model, credits=credits, failed=False)
