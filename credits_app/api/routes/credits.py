"""Wallet endpoints, personal (/api/credits…) and organization (/api/orgs/{orgId}/credits…).

Both doors call the same services with a different `WalletOwner`; the dependencies decide who
may pass (members read, owners/admins change settings).
"""

from typing import Annotated

from fastapi import Query, Response

from credits_app.api.deps import AsciiInteger, CurrentUser, Cursor, Limit, OrgManager, OrgMember
from credits_app.api.encoding import respond
from credits_app.api.responses import api_router
from credits_app.api.schemas import (
    BalanceOut,
    HistoryOut,
    LotOut,
    LotsOut,
    SettingsIn,
    SettingsOut,
    TokensOut,
    UsageOut,
)
from credits_app.credits import ai_usage_report, credit_service, lot_reads, wallet_settings
from credits_app.credits.categories import CreditUsageCategory, TransactionType
from credits_app.credits.owners import WalletOwner

router = api_router("credits")

# Enums and ranges are documented for clients (and generated tests) but checked by the services,
# which answer with their own 400 codes (invalid_type, invalid_category, invalid_argument).
EntryType = Annotated[
    str | None,
    Query(
        max_length=32,
        description="Ledger entry type",
        json_schema_extra={"enum": [t.value for t in TransactionType]},
    ),
]
Category = Annotated[
    str | None,
    Query(
        max_length=32,
        description="CreditUsageCategory",
        json_schema_extra={"enum": [c.value for c in CreditUsageCategory]},
    ),
]
Days = Annotated[
    int,
    AsciiInteger,
    Query(
        description="Window in UTC days, 1 to 366",
        json_schema_extra={"minimum": 1, "maximum": 366},
    ),
]


@router.get("/credits", response_model=BalanceOut)
def personal_balance(user: CurrentUser) -> Response:
    """Balance, status against the thresholds, and this month's spending against the limit."""
    return _balance(WalletOwner.user(user.id))


@router.get("/orgs/{orgId}/credits", response_model=BalanceOut)
def org_balance(access: OrgMember) -> Response:
    """The organization wallet's balance (any member)."""
    return _balance(WalletOwner.org(access.org_id))


@router.get("/credits/lots", response_model=LotsOut)
def personal_lots(user: CurrentUser) -> Response:
    """Lots with credits left, in the order they will be spent (soonest expiry first)."""
    return _lots(WalletOwner.user(user.id))


@router.get("/orgs/{orgId}/credits/lots", response_model=LotsOut)
def org_lots(access: OrgMember) -> Response:
    """The organization wallet's lots (any member)."""
    return _lots(WalletOwner.org(access.org_id))


@router.get("/credits/tokens", response_model=TokensOut)
def personal_token_usage(user: CurrentUser) -> Response:
    """AI tokens and credits this month, for the assistant widget."""
    return respond(TokensOut.of(ai_usage_report.get_token_usage(WalletOwner.user(user.id))))


@router.get("/credits/history", response_model=HistoryOut)
def personal_history(
    user: CurrentUser,
    type: EntryType = None,
    category: Category = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """Ledger entries, newest first, filtered and paged by an opaque cursor."""
    return _history(WalletOwner.user(user.id), type, category, limit, cursor)


@router.get("/orgs/{orgId}/credits/history", response_model=HistoryOut)
def org_history(
    access: OrgMember,
    type: EntryType = None,
    category: Category = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """The organization wallet's ledger (any member)."""
    return _history(WalletOwner.org(access.org_id), type, category, limit, cursor)


@router.get("/credits/usage", response_model=UsageOut)
def personal_usage(user: CurrentUser, days: Days = 30) -> Response:
    """Spending per day and category, with AI spending by model and feature."""
    return _usage(WalletOwner.user(user.id), days)


@router.get("/orgs/{orgId}/credits/usage", response_model=UsageOut)
def org_usage(access: OrgMember, days: Days = 30) -> Response:
    """The organization wallet's spending (any member)."""
    return _usage(WalletOwner.org(access.org_id), days)


@router.patch("/credits/settings", response_model=SettingsOut)
def update_personal_settings(body: SettingsIn, user: CurrentUser) -> Response:
    """Set or clear the monthly limit and the low/critical thresholds of my wallet."""
    return _update_settings(WalletOwner.user(user.id), body)


@router.patch("/orgs/{orgId}/credits/settings", response_model=SettingsOut)
def update_org_settings(body: SettingsIn, access: OrgManager) -> Response:
    """Owners and admins set the organization wallet's limit and thresholds."""
    return _update_settings(WalletOwner.org(access.org_id), body)


def _balance(owner: WalletOwner) -> Response:
    return respond(BalanceOut.of(wallet_settings.get_balance_overview(owner)))


def _lots(owner: WalletOwner) -> Response:
    return respond(LotsOut(items=[LotOut.of(lot) for lot in lot_reads.list_lots(owner)]))


def _history(
    owner: WalletOwner, type: str | None, category: str | None, limit: int, cursor: str | None
) -> Response:
    page = credit_service.get_history(
        owner, type=type, category=category, limit=limit, cursor=cursor
    )
    return respond(HistoryOut.of(page))


def _usage(owner: WalletOwner, days: int) -> Response:
    report = credit_service.get_usage(owner, days=days)
    ai = ai_usage_report.get_ai_usage(owner, days=days)
    return respond(UsageOut.of(report, ai))


def _update_settings(owner: WalletOwner, body: SettingsIn) -> Response:
    change = body.model_dump(include=body.model_fields_set)
    return respond(SettingsOut.of(wallet_settings.update_wallet_settings(owner, change)))  # type: ignore[arg-type]
