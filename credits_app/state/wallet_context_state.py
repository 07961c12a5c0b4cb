"""Which wallet the page is about: the personal one, or an organization's (from the URL).

Every private page resolves its context once on load; the header balance, the credits page
and the sidebar all read it from here, so they can never disagree about whose money is shown.
Outsiders get `not_found` for an org (its existence is never revealed, as in the API).
"""

import re
from urllib.parse import unquote

import reflex as rx

from credits_app.auth.errors import OrgNotFound
from credits_app.auth.members import list_members
from credits_app.auth.organizations import MANAGER_ROLES, get_org_by_slug
from credits_app.credits.owners import WalletOwner
from credits_app.state.auth_state import AuthState
from credits_app.state.members_presenters import managers_text
from credits_app.state.service_calls import call_service

ORG_PATH = re.compile(r"^/organizations/(?P<slug>[^/]+)(?:/|$)")
PERSONAL_KEY = "user"
MANAGER_ROLE_NAMES = frozenset(role.value for role in MANAGER_ROLES)


def org_slug_from_path(path: str) -> str:
    """'/organizations/acme/credits' -> 'acme'; '' for pages outside an organization."""
    match = ORG_PATH.match(path or "")
    return unquote(match.group("slug")) if match else ""


def page_section(path: str) -> str:
    """Which page of a context a path opens: '/billing' -> 'billing', '…/members' -> 'members'."""
    last = (path or "").rstrip("/").rsplit("/", 1)[-1]
    return last if last in ("members", "billing") else "credits"


def billing_path(slug: str) -> str:
    """The Billing page of a context."""
    return f"/organizations/{slug}/billing" if slug else "/billing"


def credits_path(slug: str) -> str:
    """The credits page of a context."""
    return f"/organizations/{slug}/credits" if slug else "/credits"


class WalletContextState(rx.State):
    """The current wallet: personal or an org, the viewer's role there, and load status."""

    slug: str = ""
    org_name: str = ""
    role: str = ""
    status: str = "loading"  # loading | ready | not_found
    managers: str = ""  # for members: whom to ask, by name ("Ada (owner) or Bo (admin)")
    section: str = "credits"  # which page of the context is open: credits | members | billing
    key: str = ""  # "user" or "org:<slug>"; data states remember the key they loaded for
    _org_id: int = 0
    _user_id: int = 0

    @rx.var
    def is_org(self) -> bool:
        return self.slug != ""

    @rx.var
    def ready(self) -> bool:
        return self.status == "ready"

    @rx.var
    def not_found(self) -> bool:
        return self.status == "not_found"

    @rx.var
    def can_buy(self) -> bool:
        """Everyone may top up their own wallet; in an org only owners and admins may."""
        return self.slug == "" or self.role in MANAGER_ROLE_NAMES

    @rx.var
    def role_label(self) -> str:
        return self.role.capitalize()

    @rx.var
    def wallet_label(self) -> str:
        return f"{self.org_name} wallet" if self.slug else "Personal wallet"

    @rx.var
    def credits_href(self) -> str:
        return credits_path(self.slug)

    @rx.var
    def billing_href(self) -> str:
        return billing_path(self.slug)

    @rx.var
    def purchase_href(self) -> str:
        return credits_path(self.slug) + "?tab=purchase"

    @rx.var
    def buy_blocked_reason(self) -> str:
        """Why the viewer cannot buy here, in words (empty when they can)."""
        if self.slug == "" or self.role in MANAGER_ROLE_NAMES:
            return ""
        ask = f"Ask {self.managers}" if self.managers else "Ask one of them"
        return (
            f"Only owners and admins of {self.org_name} can buy credits. "
            f"{ask} to top up the organization wallet."
        )

    @rx.event
    async def load(self) -> None:
        """Resolve the context of the page being opened (after `AuthState.require_session`)."""
        slug = org_slug_from_path(self.router.url.path)
        self.section = page_section(self.router.url.path)
        self.key = f"org:{slug}" if slug else PERSONAL_KEY
        self.slug = slug
        auth = await self.get_state(AuthState)
        self._user_id = auth.user_id
        if not auth.user_id:
            self.status = "loading"
            return
        if not slug:
            self._org_id, self.org_name, self.role = 0, "", ""
            self.status = "ready"
            return
        try:
            org = await call_service(get_org_by_slug, auth.user_id, slug)
        except OrgNotFound:
            # Show the page as not found, and everything around it (header balance, switcher,
            # links) as the personal context: nothing about the org leaks, nothing looks broken.
            self._org_id, self.org_name, self.role = 0, "", ""
            self.slug, self.key = "", PERSONAL_KEY
            self.status = "not_found"
            return
        self._org_id, self.org_name, self.role = org.id, org.name, org.role.value
        self.managers = ""
        if org.role.value not in MANAGER_ROLE_NAMES:
            people = await call_service(list_members, auth.user_id, org.id)
            self.managers = managers_text(people)
        self.status = "ready"

    @property
    def org_id(self) -> int:
        """The org in context's id for other states (0 outside an organization)."""
        return self._org_id if self.slug else 0

    @rx.var
    def members_href(self) -> str:
        return f"/organizations/{self.slug}/members" if self.slug else ""

    def wallet_owner(self) -> WalletOwner | None:
        """The wallet the page is about, or None until resolved (and on a not-found page)."""
        if self.status != "ready" or not self._user_id:
            return None
        return WalletOwner.org(self._org_id) if self.slug else WalletOwner.user(self._user_id)

    def header_owner(self) -> WalletOwner | None:
        """The wallet the header shows: the page's, or the personal one on a not-found page."""
        if self.status == "not_found" and self._user_id:
            return WalletOwner.user(self._user_id)
        return self.wallet_owner()
