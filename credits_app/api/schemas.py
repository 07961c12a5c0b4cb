"""Request and response bodies of the REST API (DESIGN §4): camelCase JSON, exact credit numbers.

Amount fields are validated by the domain's own `parse_credits` (one rule, one place), so a
bad amount is a 400 `invalid_amount` here exactly as it is in the services.
"""

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic.alias_generators import to_camel

from credits_app.auth.account_settings import ApiTokenInfo
from credits_app.auth.accounts import OrgInfo, UserInfo
from credits_app.auth.invitations import InvitationInfo
from credits_app.auth.login import MIN_PASSWORD_LENGTH
from credits_app.auth.members import MemberInfo
from credits_app.billing.packages import PackageInfo
from credits_app.billing.pricing import Quote
from credits_app.credits.ai_usage_report import AiUsageBreakdown, TokenUsage
from credits_app.credits.amounts import (
    AmountInput,
    parse_credit_text,
    parse_credits,
    units_to_credits,
)
from credits_app.credits.categories import CreditUsageCategory
from credits_app.credits.credit_service import CreditResult, HistoryItem, HistoryPage, UsageReport
from credits_app.credits.entry_lots import LotUse
from credits_app.credits.errors import InvalidAmount
from credits_app.credits.lot_reads import LotView
from credits_app.credits.wallet_settings import BalanceOverview, WalletSettings

CREDITS_SCHEMA = {"type": "number", "description": "Credits, exact to 4 decimal places"}


def _positive_credits(value: Any) -> Decimal:
    if not isinstance(value, Decimal | int | str) or isinstance(value, bool):
        raise InvalidAmount("Amount must be a number.", value=repr(value))
    if isinstance(value, str):  # the wire format's text rule (credits/amounts.py)
        return units_to_credits(parse_credit_text(value))
    amount: AmountInput = value
    return units_to_credits(parse_credits(amount))


Credits = Annotated[Decimal, WithJsonSchema(CREDITS_SCHEMA)]
AmountIn = Annotated[
    Decimal,
    PlainValidator(_positive_credits),
    WithJsonSchema(
        CREDITS_SCHEMA | {"exclusiveMinimum": 0, "maximum": 10**12, "multipleOf": 0.0001}
    ),
]
# The schemas below document what the domain checks (and answers with its own 400 codes), so
# clients and generated tests (tests/integration/test_api_schemathesis.py) know the valid values.
Email = Annotated[str, Field(min_length=3, max_length=320, json_schema_extra={"format": "email"})]
CategoryIn = Annotated[
    str,
    Field(max_length=32),
    WithJsonSchema(
        {
            "type": "string",
            "enum": [c.value for c in CreditUsageCategory],
            "description": "CreditUsageCategory; anything else is a 400 invalid_category",
        }
    ),
]


class Body(BaseModel):
    """camelCase on the wire, snake_case in Python; integers and booleans taken only as such.

    Pydantic's lax mode reads `true` as the id 1, `"12"` or `12.0` as 12 and `"yes"` as True:
    a client bug would then charge user 1 or name org 1. Every field of every body that
    admits an integer takes only a JSON integer, and one that admits a boolean only a boolean.
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    @field_validator("*", mode="before")
    @classmethod
    def _exact_json_kinds(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is None or value is None:
            return value
        admits = _field_admits(cls, info.field_name)
        if Any in admits:
            return value
        if isinstance(value, bool):
            if bool not in admits and int in admits:
                raise ValueError("must be an integer, not true or false")
        elif bool in admits and not (admits & {int, str, Decimal}) and not isinstance(value, bool):
            raise ValueError("must be true or false")
        elif int in admits and not isinstance(value, int) and not (admits & {str, Decimal}):
            raise ValueError("must be a JSON integer (not a string or a fraction)")
        return value


# --- requests -------------------------------------------------------------------------------


class RegisterIn(Body):
    email: Email
    name: str = Field(min_length=1, max_length=200)
    # The policy's 8-character minimum is the domain's 400 invalid_argument; documented here.
    password: str = Field(
        min_length=1, max_length=1024, json_schema_extra={"minLength": MIN_PASSWORD_LENGTH}
    )


class LoginIn(Body):
    email: Email
    password: str = Field(min_length=1, max_length=1024)


class OrgCreateIn(Body):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, min_length=1, max_length=100)


class MemberAddIn(Body):
    email: Email
    role: Literal["admin", "member"]


class SettingsIn(Body):
    """Only the keys present change; null removes the limit or threshold."""

    monthly_limit: AmountIn | None = None
    low_threshold: AmountIn | None = None
    critical_threshold: AmountIn | None = None


class WalletRef(Body):
    type: Literal["user", "org"]
    id: int = Field(ge=1, le=2**31 - 1)


class InternalDeductIn(Body):
    wallet: WalletRef
    amount: AmountIn
    category: CategoryIn
    description: str = Field(default="", max_length=500)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("metadata")
    @classmethod
    def _plain_numbers(cls, metadata: dict[str, Any]) -> dict[str, Any]:
        """Metadata is free-form: its fractional numbers are stored as ordinary JSON floats."""
        plain: dict[str, Any] = _floats_for_decimals(metadata)
        return plain


class InternalGrantIn(Body):
    wallet: WalletRef
    amount: AmountIn
    reason: str = Field(min_length=1, max_length=500)
    source: Literal["grant", "promotion"] = "grant"
    expires_at: datetime | None = None
    priority: int = Field(default=50, ge=0, le=100)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("metadata")
    @classmethod
    def _plain_numbers(cls, metadata: dict[str, Any]) -> dict[str, Any]:
        plain: dict[str, Any] = _floats_for_decimals(metadata)
        return plain


# --- responses ------------------------------------------------------------------------------


class UserOut(Body):
    id: int
    email: str
    name: str

    @classmethod
    def of(cls, user: UserInfo) -> "UserOut":
        return cls(id=user.id, email=user.email, name=user.name)


class AuthOut(Body):
    user: UserOut
    token: str


class OrgOut(Body):
    id: int
    name: str
    slug: str
    role: Literal["owner", "admin", "member"]

    @classmethod
    def of(cls, org: OrgInfo) -> "OrgOut":
        return cls(id=org.id, name=org.name, slug=org.slug, role=org.role.value)


class MeOut(Body):
    user: UserOut
    orgs: list[OrgOut]


class MemberOut(Body):
    user_id: int
    role: Literal["admin", "member"]


class RoleChangeIn(Body):
    role: Literal["owner", "admin", "member"]


class OrgMemberOut(Body):
    """A person in an organization, as its members see them."""

    user_id: int
    email: str
    name: str
    role: Literal["owner", "admin", "member"]

    @classmethod
    def of(cls, member: "MemberInfo") -> "OrgMemberOut":
        return cls(
            user_id=member.user_id, email=member.email, name=member.name, role=member.role.value
        )


class OrgMembersOut(Body):
    items: list[OrgMemberOut]


class InvitationIn(Body):
    email: Email
    role: Literal["admin", "member"]


class InviterOut(Body):
    id: int
    name: str


class InvitationOut(Body):
    """A pending invitation (owners and admins see them): accepted when the email signs up."""

    id: int
    email: str
    role: Literal["admin", "member"]
    invited_by: InviterOut | None
    created_at: datetime

    @classmethod
    def of(cls, invitation: "InvitationInfo") -> "InvitationOut":
        inviter = (
            InviterOut(id=invitation.invited_by_id, name=invitation.invited_by_name or "")
            if invitation.invited_by_id is not None
            else None
        )
        return cls(
            id=invitation.id,
            email=invitation.email,
            role=invitation.role.value,
            invited_by=inviter,
            created_at=invitation.created_at,
        )


class InvitationsOut(Body):
    items: list[InvitationOut]


class SettingsOut(Body):
    monthly_limit: Credits | None
    low_threshold: Credits | None
    critical_threshold: Credits | None

    @classmethod
    def of(cls, settings: WalletSettings) -> "SettingsOut":
        return cls(
            monthly_limit=settings.monthly_limit,
            low_threshold=settings.low_threshold,
            critical_threshold=settings.critical_threshold,
        )


class ExpiringOut(Body):
    amount: Credits
    expires_at: datetime


class BalanceOut(Body):
    balance: Credits
    status: Literal["ok", "low", "critical"]
    low_threshold: Credits | None
    critical_threshold: Credits | None
    used_this_month: Credits
    monthly_limit: Credits | None
    held: Credits
    available: Credits
    expiring: list[ExpiringOut]

    @classmethod
    def of(cls, overview: BalanceOverview) -> "BalanceOut":
        return cls(
            balance=overview.balance,
            status=overview.status.value,
            low_threshold=overview.settings.low_threshold,
            critical_threshold=overview.settings.critical_threshold,
            used_this_month=overview.used_this_month,
            monthly_limit=overview.settings.monthly_limit,
            held=overview.held,
            available=overview.available,
            expiring=[
                ExpiringOut(amount=units_to_credits(lot.remaining), expires_at=lot.expires_at)
                for lot in overview.expiring
                if lot.expires_at is not None
            ],
        )


class LotOut(Body):
    id: int
    source: str
    original_amount: Credits
    remaining: Credits
    held: Credits
    expires_at: datetime | None
    priority: int
    created_at: datetime

    @classmethod
    def of(cls, lot: LotView) -> "LotOut":
        return cls(
            id=lot.id,
            source=lot.source,
            original_amount=units_to_credits(lot.original),
            remaining=units_to_credits(lot.remaining),
            held=units_to_credits(lot.held),
            expires_at=lot.expires_at,
            priority=lot.priority,
            created_at=lot.created_at,
        )


class LotsOut(Body):
    items: list[LotOut]


class LotUseOut(Body):
    """Credits one ledger entry took from one lot."""

    lot_id: int
    source: str
    amount: Credits
    expires_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, use: "LotUse") -> "LotUseOut":
        return cls(
            lot_id=use.lot_id,
            source=use.source,
            amount=units_to_credits(use.units),
            expires_at=use.expires_at,
            created_at=use.created_at,
        )


class LotUsesOut(Body):
    items: list[LotUseOut]


class TokensOut(Body):
    input_tokens: int
    output_tokens: int
    total_tokens: int
    credits_used: Credits
    period_start: datetime
    period_end: datetime
    limit: Credits | None
    percent_used: Annotated[Decimal, WithJsonSchema({"type": "number"})]
    balance: Credits

    @classmethod
    def of(cls, usage: TokenUsage) -> "TokensOut":
        return cls(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            total_tokens=usage.total_tokens,
            credits_used=usage.credits_used,
            period_start=usage.period_start,
            period_end=usage.period_end,
            limit=usage.limit,
            percent_used=usage.percent_used,
            balance=usage.balance,
        )


class HistoryItemOut(Body):
    id: int
    type: str
    category: str | None
    amount: Credits
    balance_after: Credits
    description: str
    metadata: dict[str, Any]
    created_at: datetime
    # What a self-service refund can still return and until when; null where none is possible.
    refundable_amount: Credits | None = None
    refundable_until: datetime | None = None

    @classmethod
    def of(cls, item: HistoryItem) -> "HistoryItemOut":
        return cls(
            id=item.id,
            type=item.type,
            category=item.category,
            amount=item.amount,
            balance_after=item.balance_after,
            description=item.description,
            metadata=item.metadata,
            created_at=item.created_at,
            refundable_amount=item.refundable_amount,
            refundable_until=item.refundable_until,
        )


class HistoryOut(Body):
    items: list[HistoryItemOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: HistoryPage) -> "HistoryOut":
        return cls(items=[HistoryItemOut.of(i) for i in page.items], next_cursor=page.next_cursor)


class DailyOut(Body):
    date: date
    total: Credits
    by_category: dict[str, Credits]


class AiUsageOut(Body):
    by_model: dict[str, Credits]
    by_feature: dict[str, Credits]


class UsageOut(Body):
    days: int
    total_used: Credits
    by_category: dict[str, Credits]
    daily: list[DailyOut]
    ai: AiUsageOut

    @classmethod
    def of(cls, report: UsageReport, ai: AiUsageBreakdown) -> "UsageOut":
        return cls(
            days=report.days,
            total_used=report.total_used,
            by_category=report.by_category,
            daily=[
                DailyOut(date=d.date, total=d.total, by_category=d.by_category)
                for d in report.daily
            ],
            ai=AiUsageOut(by_model=ai.by_model, by_feature=ai.by_feature),
        )


class PackageOut(Body):
    id: str
    name: str
    credits: Credits
    bonus_credits: Credits
    price_cents: int
    currency: str
    popular: bool
    bonus_expires_in_days: int | None

    @classmethod
    def of(cls, package: PackageInfo) -> "PackageOut":
        return cls(
            id=package.id,
            name=package.name,
            credits=package.credits,
            bonus_credits=package.bonus_credits,
            price_cents=package.price_minor,
            currency=package.currency,
            popular=package.popular,
            bonus_expires_in_days=package.bonus_expires_in_days,
        )


class QuoteOut(Body):
    """A custom amount's price (DESIGN §4b `/pricing`); Checkout charges exactly `priceCents`."""

    credits: Credits
    bonus_credits: Credits
    price_cents: int
    currency: str
    unit_price_cents: Annotated[
        Decimal, WithJsonSchema({"type": "number", "description": "Cents per credit, exact"})
    ]
    savings_percent: int

    @classmethod
    def of(cls, quote: Quote) -> "QuoteOut":
        return cls(
            credits=Decimal(quote.credits),
            bonus_credits=quote.bonus_credits,
            price_cents=quote.price_minor,
            currency=quote.currency,
            unit_price_cents=quote.unit_price_minor,
            savings_percent=quote.savings_percent,
        )


class GrantOut(Body):
    transaction_id: int
    lot_id: int | None
    new_balance: Credits

    @classmethod
    def of(cls, result: CreditResult) -> "GrantOut":
        return cls(
            transaction_id=result.transaction_id,
            lot_id=result.lot_id,
            new_balance=result.new_balance,
        )


class DeductOut(Body):
    transaction_id: int
    new_balance: Credits

    @classmethod
    def of(cls, result: CreditResult) -> "DeductOut":
        return cls(transaction_id=result.transaction_id, new_balance=result.new_balance)


class ErrorBody(Body):
    code: str
    message: str
    details: dict[str, Any] | None = None


class ErrorOut(Body):
    error: ErrorBody


@cache
def _field_admits(model: type[BaseModel], field_name: str) -> frozenset[Any]:
    """`_admitted_types` of one field, worked out once per model and field: the validator
    runs for every field of every body and response (issue 16: 6% of a history page's CPU
    went to walking the same annotations again)."""
    return frozenset(_admitted_types(model.model_fields[field_name].annotation))


def _admitted_types(annotation: Any) -> set[Any]:
    """The plain types a field annotation admits: `int | None` -> {int, NoneType}."""
    if get_origin(annotation) in (Union, UnionType):
        return set().union(*(_admitted_types(arg) for arg in get_args(annotation)))
    return {annotation}


def _floats_for_decimals(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {key: _floats_for_decimals(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_floats_for_decimals(item) for item in value]
    return value


class ProfileIn(Body):
    name: str = Field(min_length=1, max_length=200)


class PasswordChangeIn(Body):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class ApiTokenIn(Body):
    name: str = Field(min_length=1, max_length=100)


class ApiTokenOut(Body):
    """A personal API token as listed: never the secret."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, info: "ApiTokenInfo") -> "ApiTokenOut":
        return cls(
            id=info.id, name=info.name, created_at=info.created_at, last_used_at=info.last_used_at
        )


class NewApiTokenOut(ApiTokenOut):
    """Only in the answer to its creation: the secret, shown once."""

    token: str


class ApiTokensOut(Body):
    items: list[ApiTokenOut]
