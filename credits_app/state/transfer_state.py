"""The "Send credits" dialog: a thin door onto `credits/transfers.transfer`.

The state only keeps what the person typed and the pickers' options; the service decides who
may send where (own wallet; org wallets for owners and admins; members and managed orgs as
recipients) and answers in words, which the dialog shows. One idempotency key per opened
dialog, so a double click on "Send" sends once. The header balance moves at once for the
sender (`WalletOverviewState.refresh`); a recipient signed in elsewhere sees it within the
header's refresh interval.
"""

import uuid
from collections.abc import AsyncIterator

import reflex as rx

from credits_app.auth.members import list_members
from credits_app.auth.organizations import list_user_orgs
from credits_app.credits.amounts import format_balance
from credits_app.credits.categories import OwnerKind
from credits_app.credits.errors import CreditsError
from credits_app.credits.transfers import Recipient, transfer
from credits_app.credits.wallet_settings import get_balance_overview
from credits_app.state.auth_state import AuthState
from credits_app.state.service_calls import call_service
from credits_app.state.transfer_presenters import (
    ORG_KINDS,
    PERSONAL_KINDS,
    TO_EMAIL,
    TO_MEMBER,
    Choice,
    TransferDialogView,
    TransferForm,
    check_transfer,
    member_choices,
    org_choices,
    transfer_dialog_view,
)
from credits_app.state.wallet_context_state import WalletContextState
from credits_app.state.wallet_overview_state import WalletOverviewState

SESSION_EXPIRED = "Your session has ended. Sign in again to send credits."


class TransferState(rx.State):
    """The open Send credits dialog: its step, the fields, the pickers and the last error."""

    dialog_open: bool = False
    confirming: bool = False
    submitting: bool = False
    kind: str = TO_EMAIL
    email: str = ""
    member_id: str = ""
    org_id: str = ""
    amount: str = ""
    note: str = ""
    error: str = ""
    is_org: bool = False
    wallet_label: str = ""
    available: str = ""
    members: list[Choice] = []
    orgs: list[Choice] = []
    _key: str = ""

    def _form(self) -> TransferForm:
        return TransferForm(
            kind=self.kind,
            email=self.email,
            member_id=self.member_id,
            org_id=self.org_id,
            amount=self.amount,
            note=self.note,
        )

    @rx.var
    def view(self) -> TransferDialogView:
        """The dialog as it shows now (both steps, every message)."""
        return transfer_dialog_view(
            self._form(),
            open=self.dialog_open,
            confirming=self.confirming,
            submitting=self.submitting,
            is_org=self.is_org,
            wallet_label=self.wallet_label,
            available=self.available,
            members=self.members,
            orgs=self.orgs,
            error=self.error,
        )

    @rx.event
    async def open_dialog(self) -> rx.event.EventSpec | None:
        """Open an empty form for the wallet in context, with its pickers filled."""
        context = await self.get_state(WalletContextState)
        owner = context.wallet_owner()
        auth = await self.get_state(AuthState)
        user_id = await auth.verified_user_id()
        if owner is None or not user_id:
            return rx.toast.error(SESSION_EXPIRED)
        try:
            orgs = await call_service(list_user_orgs, user_id)
            members = await call_service(list_members, user_id, owner.id) if context.is_org else []
            overview = await call_service(get_balance_overview, owner)
        except CreditsError as error:
            return rx.toast.error(error.message)
        self.is_org = context.is_org
        self.wallet_label = context.wallet_label if context.is_org else "your personal wallet"
        self.orgs = org_choices(orgs, is_org=context.is_org, current_org_id=context.org_id)
        self.members = member_choices(members, user_id)
        self.available = format_balance(overview.available)
        self.kind = TO_MEMBER if context.is_org else TO_EMAIL
        self.email = self.member_id = self.org_id = self.amount = self.note = self.error = ""
        self.confirming = self.submitting = False
        self._key = uuid.uuid4().hex
        self.dialog_open = True
        return None

    @rx.event
    def set_open(self, is_open: bool) -> None:
        """Close (Escape, Cancel, outside click), unless credits are on their way."""
        if not self.submitting:
            self.dialog_open = is_open

    @rx.event
    def set_kind(self, kind: str) -> None:
        kinds = ORG_KINDS if self.is_org else PERSONAL_KINDS
        if kind in kinds and not self.submitting:
            self.kind, self.error = kind, ""

    @rx.event
    def set_email(self, value: str) -> None:
        self.email, self.error = value[:320], ""

    @rx.event
    def set_member(self, value: str) -> None:
        self.member_id, self.error = value, ""

    @rx.event
    def set_org(self, value: str) -> None:
        self.org_id, self.error = value, ""

    @rx.event
    def set_amount(self, value: str) -> None:
        self.amount, self.error = value[:40], ""

    @rx.event
    def set_note(self, value: str) -> None:
        self.note = value[:600]

    @rx.event
    def review(self) -> None:
        """Step two: the confirmation, once the form reads as the API would accept it."""
        if check_transfer(self._form(), self.members, self.orgs).ok:
            self.confirming, self.error = True, ""

    @rx.event
    def back(self) -> None:
        if not self.submitting:
            self.confirming = False

    @rx.event
    async def confirm(self) -> AsyncIterator[rx.event.EventSpec | None]:
        """Send: the service checks and moves everything in one transaction."""
        form = self._form()
        if self.submitting or not check_transfer(form, self.members, self.orgs).ok:
            return
        context = await self.get_state(WalletContextState)
        owner = context.wallet_owner()
        auth = await self.get_state(AuthState)
        user_id = await auth.verified_user_id()
        if owner is None or not user_id:
            self.error = SESSION_EXPIRED
            return
        self.submitting, self.error = True, ""
        yield
        try:
            result = await call_service(
                transfer,
                user_id,
                owner,
                _recipient(form),
                form.amount.strip(),
                note=form.note or None,
                idempotency_key=self._key,
            )
        except CreditsError as error:
            self.submitting, self.error = False, error.message
            return
        self.submitting = self.dialog_open = self.confirming = False
        self._key = uuid.uuid4().hex
        to = check_transfer(form, self.members, self.orgs).recipient_label
        yield rx.toast.success(f"Sent {format_balance(result.amount)} credits to {to}.")
        yield WalletOverviewState.refresh  # the header and the history follow at once


def _recipient(form: TransferForm) -> Recipient:
    if form.kind == TO_EMAIL:
        return Recipient(OwnerKind.USER, email=form.email.strip())
    if form.kind == TO_MEMBER:
        return Recipient(OwnerKind.USER, id=int(form.member_id))
    return Recipient(OwnerKind.ORG, id=int(form.org_id))
