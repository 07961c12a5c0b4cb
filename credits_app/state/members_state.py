"""The members page of an organization: its people, inviting, roles, removing, leaving.

Thin: every action calls auth/members.py or auth/organizations.py, which check the viewer's
role themselves (the same functions the API calls); errors come back as a toast.
"""

import reflex as rx

from credits_app.auth.invitations import add_or_invite, list_invitations, revoke_invitation
from credits_app.auth.members import change_role, list_members, remove_member
from credits_app.auth.organizations import MANAGER_ROLES, create_org_for_user
from credits_app.credits.errors import CreditsError
from credits_app.state.auth_state import AuthState
from credits_app.state.members_presenters import MembersView, members_view
from credits_app.state.service_calls import call_service
from credits_app.state.wallet_context_state import WalletContextState, credits_path


class MembersState(rx.State):
    """The org in context's members, as one view."""

    members: MembersView = MembersView()
    loaded_for: str = ""
    invite_role: str = "member"
    invite_sending: bool = False

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """Read the members of the org in context (after the template resolved it)."""
        context = await self.get_state(WalletContextState)
        auth = await self.get_state(AuthState)
        if context.status != "ready" or not context.is_org or not auth.user_id:
            return None
        try:
            people = await call_service(list_members, auth.user_id, context.org_id)
            manages = any(p.user_id == auth.user_id and p.role in MANAGER_ROLES for p in people)
            pending = (
                await call_service(list_invitations, auth.user_id, context.org_id)
                if manages
                else []
            )
        except CreditsError as error:
            return rx.toast.error(error.message)
        self.members = members_view(people, auth.user_id, pending)
        self.loaded_for = context.key
        return None

    @rx.event
    def set_invite_role(self, role: str) -> None:
        self.invite_role = role if role in {"admin", "member"} else "member"

    @rx.event
    async def invite(self, form: dict[str, str]) -> list[rx.event.EventSpec] | rx.event.EventSpec:
        """Add a registered person by email with the chosen role, or invite one who has no
        account yet (they join when they sign up with that email)."""
        email = (form.get("email") or "").strip()
        user_id, org_id = await self._actor_and_org()
        self.invite_sending = True
        try:
            outcome = await call_service(add_or_invite, user_id, org_id, email, self.invite_role)
        except CreditsError as error:
            return rx.toast.error(error.message)
        finally:
            self.invite_sending = False
        done = (
            f"{email} added as {self.invite_role}"
            if outcome == "added"
            else f"{email} invited as {self.invite_role}: they join when they sign up"
        )
        return [
            rx.toast.success(done),
            rx.set_value("invite-email", ""),
            MembersState.load,
        ]

    @rx.event
    async def set_role(
        self, member_id: str, role: str
    ) -> list[rx.event.EventSpec] | rx.event.EventSpec:
        user_id, org_id = await self._actor_and_org()
        try:
            await call_service(change_role, user_id, org_id, int(member_id), role)
        except CreditsError as error:
            return [rx.toast.error(error.message), MembersState.load]
        return [rx.toast.success("Role changed"), MembersState.load, AuthState.refresh_orgs]

    @rx.event
    async def remove(self, member_id: str) -> list[rx.event.EventSpec] | rx.event.EventSpec:
        user_id, org_id = await self._actor_and_org()
        try:
            await call_service(remove_member, user_id, org_id, int(member_id))
        except CreditsError as error:
            return rx.toast.error(error.message)
        return [rx.toast.success("Removed from the organization"), MembersState.load]

    @rx.event
    async def revoke(self, invitation_id: str) -> list[rx.event.EventSpec] | rx.event.EventSpec:
        """Withdraw a pending invitation."""
        user_id, org_id = await self._actor_and_org()
        try:
            await call_service(revoke_invitation, user_id, org_id, int(invitation_id))
        except CreditsError as error:
            return [rx.toast.error(error.message), MembersState.load]
        return [rx.toast.success("Invitation withdrawn"), MembersState.load]

    @rx.event
    async def leave(self) -> list[rx.event.EventSpec] | rx.event.EventSpec:
        user_id, org_id = await self._actor_and_org()
        try:
            await call_service(remove_member, user_id, org_id, user_id)
        except CreditsError as error:
            return rx.toast.error(error.message)
        return [rx.toast.success("You left the organization"), rx.redirect("/credits")]

    async def _actor_and_org(self) -> tuple[int, int]:
        auth = await self.get_state(AuthState)
        context = await self.get_state(WalletContextState)
        return await auth.verified_user_id(), context.org_id


class CreateOrgState(rx.State):
    """The "Create organization" dialog."""

    open: bool = False
    error: str = ""

    @rx.event
    def set_open(self, is_open: bool) -> None:
        self.open = is_open
        self.error = ""

    @rx.event
    async def create(self, form: dict[str, str]) -> rx.event.EventSpec | None:
        """Create the org (the viewer becomes its owner) and open its credits page."""
        auth = await self.get_state(AuthState)
        user_id = await auth.verified_user_id()
        if not user_id:
            self.error = "Your session has ended. Sign in again."
            return None
        try:
            org = await call_service(create_org_for_user, user_id, form.get("name") or "")
        except CreditsError as error:
            self.error = error.message
            return None
        self.open = False
        return rx.redirect(credits_path(org.slug))
