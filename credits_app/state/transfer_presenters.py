"""The "Send credits" and "Refund" dialogs as they show: one view object each, built from the
form fields the states hold.

Amounts are checked with the API's own rule (`parse_credit_text`: ASCII digits, at most four
decimals, more than zero), so the dialog refuses exactly what `POST …/transfers` and
`POST …/refund` would; the services still decide everything else (who may send where, how much
is available or refundable) and their error messages show in the dialog. Pure functions,
unit-tested without Reflex or a browser.
"""

from dataclasses import dataclass, field

from credits_app.auth.accounts import OrgInfo
from credits_app.auth.members import MemberInfo
from credits_app.auth.organizations import MANAGER_ROLES
from credits_app.credits.amounts import format_credits, parse_credit_text
from credits_app.credits.errors import CreditsError

# Whom a transfer goes to, per wallet: a person by email or one of your orgs (personal); one
# of the org's members or another org you manage (org).
TO_EMAIL, TO_MEMBER, TO_ORG = "email", "member", "org"
PERSONAL_KINDS = {TO_EMAIL: "A person, by email", TO_ORG: "One of your organizations"}
ORG_KINDS = {TO_MEMBER: "A member of this organization", TO_ORG: "Another organization you manage"}
MAX_NOTE_LENGTH = 500  # as credits/transfers.py
MAX_REASON_LENGTH = 300  # as credits/spend_refunds.py


@dataclass(frozen=True)
class Choice:
    """One option of a picker: the value sent back and the label shown."""

    value: str
    label: str


@dataclass(frozen=True)
class TransferForm:
    """What the person has entered so far (the state's fields, as plain values)."""

    kind: str = TO_EMAIL
    email: str = ""
    member_id: str = ""
    org_id: str = ""
    amount: str = ""
    note: str = ""


@dataclass(frozen=True)
class TransferDialogView:
    """Everything the Send credits dialog shows, both steps (form, then confirmation)."""

    open: bool = False
    confirming: bool = False
    submitting: bool = False
    wallet_label: str = ""  # "your personal wallet" / "Acme wallet"
    available: str = ""  # "12.5 credits available"
    kinds: list[Choice] = field(default_factory=list)
    kind: str = TO_EMAIL
    email: str = ""
    member_id: str = ""
    members: list[Choice] = field(default_factory=list)
    org_id: str = ""
    orgs: list[Choice] = field(default_factory=list)
    amount: str = ""
    note: str = ""
    amount_error: str = ""
    recipient_error: str = ""
    error: str = ""  # what the service answered, in words
    can_review: bool = False
    summary_amount: str = ""  # "12.5 credits"
    summary_to: str = ""  # "bob@example.com" / "Bob (member)" / "Acme"
    no_orgs: str = ""  # why the org picker is empty, in words


@dataclass(frozen=True)
class TransferCheck:
    """The form read as the API reads a request: the units, and what is wrong (in words)."""

    units: int | None
    amount_error: str
    recipient_error: str
    recipient_label: str

    @property
    def ok(self) -> bool:
        return self.units is not None and not self.recipient_error


def amount_check(text: str) -> tuple[int | None, str]:
    """Units of an amount field (spaces around it ignored), or the API's reason for refusing."""
    text = text.strip()
    if not text:
        return None, ""
    try:
        return parse_credit_text(text), ""
    except CreditsError as error:
        return None, error.message


def check_transfer(form: TransferForm, members: list[Choice], orgs: list[Choice]) -> TransferCheck:
    """The amount and the recipient the dialog would send, or why it would not."""
    units, amount_error = amount_check(form.amount)
    if units is None and not amount_error:
        amount_error = "Enter how many credits to send."
    label, recipient_error = _recipient(form, members, orgs)
    if len(form.note) > MAX_NOTE_LENGTH:
        recipient_error = (
            recipient_error or f"The note must be at most {MAX_NOTE_LENGTH} characters."
        )
    return TransferCheck(units, amount_error, recipient_error, label)


def _recipient(form: TransferForm, members: list[Choice], orgs: list[Choice]) -> tuple[str, str]:
    if form.kind == TO_EMAIL:
        email = form.email.strip()
        if "@" not in email or len(email) < 3:
            return "", "Enter the email address of the person's account."
        return email, ""
    choices, chosen = (members, form.member_id) if form.kind == TO_MEMBER else (orgs, form.org_id)
    for choice in choices:
        if choice.value == chosen:
            return choice.label, ""
    return "", "Choose who receives the credits."


def transfer_dialog_view(
    form: TransferForm,
    *,
    open: bool,
    confirming: bool,
    submitting: bool,
    is_org: bool,
    wallet_label: str,
    available: str,
    members: list[Choice],
    orgs: list[Choice],
    error: str,
) -> TransferDialogView:
    """The dialog for a form: errors shown only for fields the person has started on."""
    check = check_transfer(form, members, orgs)
    kinds = ORG_KINDS if is_org else PERSONAL_KINDS
    started_recipient = bool(form.email.strip()) or form.kind != TO_EMAIL
    return TransferDialogView(
        open=open,
        confirming=confirming and check.ok,
        submitting=submitting,
        wallet_label=wallet_label,
        available=f"{available} credits available" if available else "",
        kinds=[Choice(value, label) for value, label in kinds.items()],
        kind=form.kind if form.kind in kinds else next(iter(kinds)),
        email=form.email,
        member_id=form.member_id,
        members=members,
        org_id=form.org_id,
        orgs=orgs,
        amount=form.amount,
        note=form.note,
        amount_error=check.amount_error if form.amount.strip() else "",
        recipient_error=check.recipient_error if started_recipient else "",
        error=error,
        can_review=check.ok and not submitting,
        summary_amount=f"{format_credits(check.units)} credits" if check.units else "",
        summary_to=check.recipient_label,
        no_orgs=_no_orgs_text(is_org) if not orgs else "",
    )


def _no_orgs_text(is_org: bool) -> str:
    if is_org:
        return "You do not manage another organization to send to."
    return "You do not belong to an organization yet."


def member_choices(members: list[MemberInfo], viewer_id: int) -> list[Choice]:
    """Everyone in the org as a recipient ("you" for the viewer), in the members page order."""
    choices = []
    for member in members:
        who = "you" if member.user_id == viewer_id else member.email
        choices.append(Choice(str(member.user_id), f"{member.name or member.email} ({who})"))
    return choices


def org_choices(orgs: list[OrgInfo], *, is_org: bool, current_org_id: int) -> list[Choice]:
    """Orgs a transfer may go to: from a personal wallet, every org you belong to; from an org,
    every other org in which you are an owner or admin (the service's rule, DESIGN §4b)."""
    return [
        Choice(str(org.id), org.name)
        for org in orgs
        if not is_org or (org.role in MANAGER_ROLES and org.id != current_org_id)
    ]


@dataclass(frozen=True)
class RefundDialogView:
    """The Refund dialog of one history entry."""

    open: bool = False
    entry_id: str = ""
    description: str = ""
    refundable: str = ""  # "4 credits"
    until: str = ""  # ISO 8601 UTC; the browser shows local time
    until_utc: str = ""
    partial: bool = False
    amount: str = ""
    amount_error: str = ""
    reason: str = ""
    error: str = ""
    submitting: bool = False
    can_confirm: bool = False
    confirm_label: str = "Refund"


@dataclass(frozen=True)
class RefundForm:
    """The entry being refunded (as the history row showed it) and what the person chose."""

    entry_id: str = ""
    description: str = ""
    refundable_units: int = 0
    until: str = ""
    until_utc: str = ""
    partial: bool = False
    amount: str = ""
    reason: str = ""


def refund_units(form: RefundForm) -> tuple[int | None, str]:
    """Units to refund (all that is left unless partial), or why not, as the API would say."""
    if not form.partial:
        return form.refundable_units, ""
    units, error = amount_check(form.amount)
    if units is None:
        return None, error or "Enter how many credits to refund."
    if units > form.refundable_units:
        left = format_credits(form.refundable_units)
        return None, f"At most {left} credits of this spend can still be refunded."
    return units, ""


def refund_dialog_view(
    form: RefundForm, *, open: bool, submitting: bool, error: str
) -> RefundDialogView:
    units, amount_error = refund_units(form)
    reason_ok = len(form.reason) <= MAX_REASON_LENGTH
    return RefundDialogView(
        open=open,
        entry_id=form.entry_id,
        description=form.description,
        refundable=f"{format_credits(form.refundable_units)} credits",
        until=form.until,
        until_utc=form.until_utc,
        partial=form.partial,
        amount=form.amount,
        amount_error=amount_error if form.partial and form.amount.strip() else "",
        reason=form.reason,
        error=error
        or ("" if reason_ok else f"The reason must be at most {MAX_REASON_LENGTH} characters."),
        submitting=submitting,
        can_confirm=bool(units) and reason_ok and not submitting and bool(form.entry_id),
        confirm_label=f"Refund {format_credits(units)} credits" if units else "Refund",
    )
