"""The account page: name, password, sessions and personal API tokens.

The name and the tokens go through auth/account_settings.py from here. The password never
crosses the websocket: its form posts from the browser to POST /api/me/password
(assets/uc-session.js), and this state only shows the outcome. A new token's secret is held
here just long enough to show it once.
"""

import reflex as rx

from credits_app.auth import account_settings
from credits_app.credits.errors import CreditsError
from credits_app.state.account_presenters import TokenRow, token_rows
from credits_app.state.auth_state import AuthState
from credits_app.state.service_calls import call_service


class AccountState(rx.State):
    """What the account page shows."""

    tokens: list[TokenRow] = []
    loaded: bool = False
    new_token: str = ""  # the secret of the token just made, shown once
    new_token_name: str = ""
    password_message: str = ""
    password_ok: bool = False
    password_sending: bool = False

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """Fresh page: the token list, no secret from an earlier visit, no old message."""
        self.new_token = self.new_token_name = self.password_message = ""
        self.password_ok = self.password_sending = False
        return await self._read_tokens()

    @rx.event
    async def save_name(
        self, form: dict[str, str]
    ) -> list[rx.event.EventSpec] | rx.event.EventSpec:
        auth = await self.get_state(AuthState)
        user_id = await auth.verified_user_id()
        if not user_id:
            return rx.redirect("/login?next=/account")
        try:
            user = await call_service(
                account_settings.update_profile, user_id, form.get("name", "")
            )
        except CreditsError as error:
            return rx.toast.error(error.message)
        auth.user_name = user.name
        return rx.toast.success("Name saved")

    @rx.event
    async def create_token(self, form: dict[str, str]) -> rx.event.EventSpec | None:
        auth = await self.get_state(AuthState)
        user_id = await auth.verified_user_id()
        if not user_id:
            return rx.redirect("/login?next=/account")
        try:
            made = await call_service(
                account_settings.create_api_token, user_id, form.get("name", "")
            )
        except CreditsError as error:
            return rx.toast.error(error.message)
        self.new_token, self.new_token_name = made.token, made.info.name
        return await self._read_tokens()

    @rx.event
    def dismiss_token(self) -> None:
        self.new_token = self.new_token_name = ""

    @rx.event
    async def revoke_token(self, token_id: str) -> rx.event.EventSpec | None:
        auth = await self.get_state(AuthState)
        user_id = await auth.verified_user_id()
        if not user_id:
            return rx.redirect("/login?next=/account")
        try:
            await call_service(account_settings.revoke_api_token, user_id, int(token_id))
        except CreditsError as error:
            return rx.toast.error(error.message)
        await self._read_tokens()
        return rx.toast.success("Token revoked")

    @rx.event
    def password_started(self) -> None:
        self.password_sending, self.password_message, self.password_ok = True, "", False

    @rx.event
    def password_done(self, message: str) -> None:
        """The browser's answer from POST /api/me/password: "" when it worked."""
        self.password_sending = False
        self.password_ok = message == ""
        self.password_message = (
            "Password changed. Every other session has been signed out."
            if self.password_ok
            else message
        )

    async def _read_tokens(self) -> rx.event.EventSpec | None:
        auth = await self.get_state(AuthState)
        if not auth.user_id:
            return None
        self.tokens = token_rows(await call_service(account_settings.list_api_tokens, auth.user_id))
        self.loaded = True
        return None
