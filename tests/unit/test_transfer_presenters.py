"""The Send credits and Refund dialogs' view objects, and History's transfer/refund rows.

Pure functions: the amount rule is the API's (`parse_credit_text`), so the dialog refuses
exactly what `POST …/transfers` would; the pickers follow the service's recipient rules.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from credits_app.auth.accounts import OrgInfo, Role
from credits_app.auth.members import MemberInfo
from credits_app.credits.credit_service import HistoryItem
from credits_app.state.history_presenters import history_row
from credits_app.state.transfer_presenters import (
    TO_EMAIL,
    TO_MEMBER,
    TO_ORG,
    Choice,
    RefundForm,
    TransferDialogView,
    TransferForm,
    check_transfer,
    member_choices,
    org_choices,
    refund_dialog_view,
    transfer_dialog_view,
)

ORGS = [Choice("7", "Acme")]
MEMBERS = [Choice("3", "Bob (bob@example.com)")]


def view(form: TransferForm, **changes: object) -> TransferDialogView:
    arguments: dict[str, object] = {
        "open": True,
        "confirming": False,
        "submitting": False,
        "is_org": False,
        "wallet_label": "your personal wallet",
        "available": "50",
        "members": MEMBERS,
        "orgs": ORGS,
        "error": "",
    } | changes
    return transfer_dialog_view(form, **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "accepted"),
    [
        ("12.5", True),
        (" 3 ", True),
        ("0.0001", True),
        ("0", False),
        ("-1", False),
        ("1.00001", False),
        ("1e3", False),
        ("1,000", False),
        ("+1", False),
        ("١٢", False),  # Arabic-Indic digits: Decimal reads them, the API does not
        ("1_000", False),
        ("abc", False),
    ],
)
def test_the_amount_is_checked_as_the_api_checks_it(amount: str, accepted: bool) -> None:
    check = check_transfer(TransferForm(email="bob@example.com", amount=amount), [], [])
    assert check.ok is accepted
    assert bool(check.amount_error) is not accepted


def test_review_needs_a_recipient_and_an_amount() -> None:
    empty = view(TransferForm())
    assert not empty.can_review and empty.amount_error == "" and empty.recipient_error == ""
    no_email = view(TransferForm(email="bob", amount="2"))
    assert not no_email.can_review and "email" in no_email.recipient_error
    ready = view(TransferForm(email="bob@example.com", amount="2.50"))
    assert ready.can_review
    assert (ready.summary_amount, ready.summary_to) == ("2.5 credits", "bob@example.com")
    assert ready.available == "50 credits available"


def test_pickers_name_the_chosen_member_or_org() -> None:
    to_org = view(TransferForm(kind=TO_ORG, org_id="7", amount="1"))
    assert to_org.summary_to == "Acme" and to_org.can_review
    unknown = view(TransferForm(kind=TO_ORG, org_id="8", amount="1"))
    assert not unknown.can_review
    member = view(TransferForm(kind=TO_MEMBER, member_id="3", amount="1"), is_org=True)
    assert member.summary_to == "Bob (bob@example.com)"
    assert [k.value for k in member.kinds] == [TO_MEMBER, TO_ORG]
    assert [k.value for k in view(TransferForm()).kinds] == [TO_EMAIL, TO_ORG]


def test_confirmation_only_shows_for_a_valid_form() -> None:
    assert not view(TransferForm(email="x@e.com", amount="0"), confirming=True).confirming
    assert view(TransferForm(email="x@e.com", amount="1"), confirming=True).confirming


def test_org_pickers_follow_the_services_recipient_rules() -> None:
    orgs = [
        OrgInfo(1, "Here", "here", Role.OWNER),
        OrgInfo(2, "Managed", "managed", Role.ADMIN),
        OrgInfo(3, "Joined", "joined", Role.MEMBER),
    ]
    # From a personal wallet: any org you belong to. From an org: other orgs you manage.
    assert [c.label for c in org_choices(orgs, is_org=False, current_org_id=0)] == [
        "Here",
        "Managed",
        "Joined",
    ]
    assert [c.label for c in org_choices(orgs, is_org=True, current_org_id=1)] == ["Managed"]
    people = [
        MemberInfo(1, "ada@example.com", "Ada", Role.OWNER),
        MemberInfo(2, "bo@example.com", "", Role.MEMBER),
    ]
    assert member_choices(people, viewer_id=1) == [
        Choice("1", "Ada (you)"),
        Choice("2", "bo@example.com (bo@example.com)"),
    ]


def test_refund_dialog_defaults_to_all_and_checks_a_part_against_what_is_left() -> None:
    form = RefundForm(entry_id="9", description="CRM bot", refundable_units=40_000)
    whole = refund_dialog_view(form, open=True, submitting=False, error="")
    assert (whole.can_confirm, whole.confirm_label, whole.refundable) == (
        True,
        "Refund 4 credits",
        "4 credits",
    )
    too_much = RefundForm(**{**form.__dict__, "partial": True, "amount": "5"})
    refused = refund_dialog_view(too_much, open=True, submitting=False, error="")
    assert not refused.can_confirm and "At most 4" in refused.amount_error
    part = RefundForm(**{**form.__dict__, "partial": True, "amount": "1.5"})
    assert refund_dialog_view(part, open=True, submitting=False, error="").confirm_label == (
        "Refund 1.5 credits"
    )
    nothing = RefundForm(entry_id="9", refundable_units=0)
    assert not refund_dialog_view(nothing, open=True, submitting=False, error="").can_confirm


def item(entry_type: str, metadata: dict[str, object], **extra: object) -> HistoryItem:
    return HistoryItem(
        id=5,
        type=entry_type,
        category="transfer" if entry_type.startswith("transfer") else "marketplace",
        amount=Decimal(-2 if entry_type != "transfer_in" else 2),
        balance_after=Decimal(8),
        description="d",
        metadata=metadata,
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        **extra,  # type: ignore[arg-type]
    )


def test_both_sides_of_a_transfer_name_the_counterparty_and_the_same_transfer() -> None:
    sent = history_row(
        item(
            "transfer_out",
            {"transferId": 12, "counterparty": {"name": "Bob", "email": "bob@example.com"}},
        )
    )
    received = history_row(
        item("transfer_in", {"transferId": 12, "counterparty": {"type": "user", "name": "Ada"}})
    )
    assert sent.link == "To Bob (bob@example.com) · Transfer #12"
    assert received.link == "From Ada · Transfer #12"
    details = {d.label: d.value for d in sent.details}
    assert (details["Transfer"], details["Counterparty"]) == ("#12", "Bob (bob@example.com)")


def test_refundable_spends_carry_what_can_come_back() -> None:
    until = datetime(2026, 12, 15, tzinfo=UTC)
    row = history_row(
        item("usage", {}, refundable_amount=Decimal("2.5000"), refundable_until=until)
    )
    assert (row.refundable, row.refundable_units) == ("2.5", 25_000)
    assert row.refundable_until == "2026-12-15T00:00:00Z"
    assert history_row(item("usage", {})).refundable == ""
    assert history_row(item("refund", {"refundOf": 4})).link == "Refund of #4"
