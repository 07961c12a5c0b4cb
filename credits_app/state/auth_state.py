"""Who is signed in, read server-side from the HttpOnly session cookie.

The browser never sees the token: Reflex gives the state the cookie header of the websocket
handshake (`router.headers.cookie`), and we resolve it with the same session service the API
uses. Login and logout go through `/api/auth/*` (which set and clear the cookie), then load the
next page in full so the new websocket carries the new cookie (see assets/uc-session.js).
"""

from http.cookies import CookieError, SimpleCookie
from typing import TypedDict
from urllib.parse import quote

import reflex as rx

from credits_app.auth.accounts import UserInfo
from credits_app.auth.errors import NotAuthenticated
from credits_app.auth.organizations import list_user_orgs
from credits_app.auth.sessions import SESSION_COOKIE, user_for_token
from credits_app.state.service_calls import call_service

HOME_PATH = "/credits"


class OrgOption(TypedDict):
    """An organization in the switcher: what the sidebar needs, as plain strings."""

    id: int
    name: str
    slug: str
    role: str
    role_label: str


class AuthState(rx.State):
    """The signed-in user (public fields are safe to show; the id stays on the server)."""

    user_name: str = ""
    user_email: str = ""
    orgs: list[OrgOption] = []
    _user_id: int = 0

    @rx.var
    def signed_in(self) -> bool:
        return self.user_email != ""

    @rx.var
    def initials(self) -> str:
        """One or two letters for the avatar, from the name (or the email); "" until known,
        so the avatar shows a plain person icon instead of a made-up "?"."""
        words = (self.user_name or self.user_email).split()
        return "".join(word[0] for word in words[:2]).upper()

    @rx.event
    async def require_session(self) -> rx.event.EventSpec | None:
        """On load of a private page: fill the user in, or send them to login and back."""
        user = await self._resolve_user()
        if user is None:
            self._forget()
            return rx.redirect(f"/login?next={quote(self._current_path(), safe='/')}")
        await self._remember(user)
        return None

    @rx.event
    async def redirect_if_signed_in(self) -> rx.event.EventSpec | None:
        """On load of login/register: a signed-in user goes straight to where they wanted."""
        user = await self._resolve_user()
        if user is None:
            self._forget()
            return None
        return rx.redirect(safe_next(self.router.url.query_parameters.get("next")))

    @rx.event
    async def route_home(self) -> rx.event.EventSpec:
        """The index page: signed-in users to their credits, everyone else to login."""
        user = await self._resolve_user()
        return rx.redirect(HOME_PATH if user is not None else "/login", replace=True)

    @rx.event
    async def refresh_orgs(self) -> None:
        """Re-read the switcher's organizations (after creating, leaving or a role change)."""
        if self._user_id:
            self.orgs = await _org_options(self._user_id)

    async def _resolve_user(self) -> UserInfo | None:
        """The user of the session cookie, or None when it is missing, expired or revoked."""
        token = _cookie_value(self.router.headers.cookie, SESSION_COOKIE)
        if not token:
            return None
        try:
            return await call_service(user_for_token, token)
        except NotAuthenticated:
            return None

    async def verified_user_id(self) -> int:
        """The user id, re-checked against the session store: 0 once the session was revoked.

        Page loads fill `user_id` in; actions that spend or buy call this instead, so a sign-out
        in another tab takes effect at once rather than at the next page load.
        """
        user = await self._resolve_user()
        if user is None or user.id != self._user_id:
            self._forget()
            return 0
        return user.id

    @property
    def user_id(self) -> int:
        """The signed-in user's id for other states (`await self.get_state(AuthState)`)."""
        return self._user_id

    async def _remember(self, user: UserInfo) -> None:
        self._user_id = user.id
        self.user_name = user.name
        self.user_email = user.email
        self.orgs = await _org_options(user.id)

    def _forget(self) -> None:
        self._user_id = 0
        self.user_name = self.user_email = ""
        self.orgs = []

    def _current_path(self) -> str:
        url = self.router.url
        path = url.path or HOME_PATH
        return f"{path}?{url.query}" if url.query else path


async def _org_options(user_id: int) -> list[OrgOption]:
    return [
        OrgOption(
            id=org.id,
            name=org.name,
            slug=org.slug,
            role=org.role.value,
            role_label=org.role.value.capitalize(),
        )
        for org in await call_service(list_user_orgs, user_id)
    ]


def safe_next(next_path: str | None) -> str:
    """Where to go after signing in: a path on this site, never another origin."""
    if not next_path or not next_path.startswith("/") or next_path.startswith(("//", "/\\")):
        return HOME_PATH
    if next_path.startswith(("/login", "/register")):
        return HOME_PATH
    return next_path


def _cookie_value(cookie_header: str, name: str) -> str | None:
    try:
        cookies = SimpleCookie(cookie_header or "")
    except CookieError:
        return None
    morsel = cookies.get(name)
    return morsel.value if morsel else None
