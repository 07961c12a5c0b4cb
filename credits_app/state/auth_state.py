"""Who is signed in, read server-side from the HttpOnly session cookie.

The browser never sees the token: Reflex gives the state the cookie header of the websocket
handshake (`router.headers.cookie`), and we resolve it with the same session service the API
uses. Login and logout go through `/api/auth/*` (which set and clear the cookie), then reload.
"""

from http.cookies import CookieError, SimpleCookie
from typing import TypedDict
from urllib.parse import quote

import reflex as rx

from credits_app.auth.accounts import UserInfo
from credits_app.auth.errors import NotAuthenticated
from credits_app.auth.organizations import list_user_orgs
from credits_app.auth.sessions import user_for_token

SESSION_COOKIE = "uc_session"


class OrgOption(TypedDict):
    """An organization in the switcher: what the sidebar needs, as plain strings."""

    id: int
    name: str
    slug: str
    role: str


class AuthState(rx.State):
    """The signed-in user (public fields are safe to show; the id stays on the server)."""

    user_name: str = ""
    user_email: str = ""
    orgs: list[OrgOption] = []
    _user_id: int = 0

    @rx.var
    def signed_in(self) -> bool:
        return self.user_email != ""

    @rx.event
    def require_session(self) -> rx.event.EventSpec | None:
        """On load of a private page: fill the user in, or send them to login and back."""
        user = self.session_user()
        if user is None:
            self._forget()
            return rx.redirect(f"/login?next={quote(self.router.url.path or '/credits')}")
        self._remember(user)
        return None

    @rx.event
    def redirect_if_signed_in(self) -> rx.event.EventSpec | None:
        """On load of login/register: a signed-in user goes straight to their credits."""
        user = self.session_user()
        if user is not None:
            return rx.redirect(self.router.url.query_parameters.get("next", "/credits"))
        return None

    def session_user(self) -> UserInfo | None:
        """The user of the session cookie, or None when it is missing, expired or revoked."""
        token = _cookie_value(self.router.headers.cookie, SESSION_COOKIE)
        if not token:
            return None
        try:
            return user_for_token(token)
        except NotAuthenticated:
            return None

    @property
    def user_id(self) -> int:
        """The signed-in user's id for other states (`await self.get_state(AuthState)`)."""
        return self._user_id

    def _remember(self, user: UserInfo) -> None:
        self._user_id = user.id
        self.user_name = user.name
        self.user_email = user.email
        self.orgs = [
            OrgOption(id=org.id, name=org.name, slug=org.slug, role=org.role.value)
            for org in list_user_orgs(user.id)
        ]

    def _forget(self) -> None:
        self._user_id = 0
        self.user_name = self.user_email = ""
        self.orgs = []


def _cookie_value(cookie_header: str, name: str) -> str | None:
    try:
        cookies = SimpleCookie(cookie_header or "")
    except CookieError:
        return None
    morsel = cookies.get(name)
    return morsel.value if morsel else None
