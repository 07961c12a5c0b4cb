"""Saved card and auto-recharge endpoints (DESIGN §4b), personal and organization.

- `POST …/payment-method` → `{checkoutUrl, sessionId}`: a setup-mode Checkout Session;
  `GET …/payment-method` → `{paymentMethod: {brand, last4, expMonth, expYear} | null}`;
  `DELETE …/payment-method` → 204 (no card: 404 `payment_method_not_found`).
- `GET`/`PUT …/auto-recharge`: the rule with its status, card, last attempt and this month's
  charges. Members read; owners/admins write (403 member, 404 outsider).
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Response
from pydantic import Field, PlainValidator, WithJsonSchema

from credits_app.api.deps import CurrentUser, OrgManager, OrgMember
from credits_app.api.encoding import respond
from credits_app.api.responses import api_router
from credits_app.api.schemas import CREDITS_SCHEMA, AmountIn, Body, Credits, _positive_credits
from credits_app.auth.organizations import get_org
from credits_app.billing import auto_recharge, payment_methods
from credits_app.billing.auto_recharge import AutoRechargeView
from credits_app.credits.amounts import units_to_credits
from credits_app.credits.owners import WalletOwner

router = api_router("auto-recharge")


def _credits_or_zero(value: Any) -> Decimal:
    zero = {"0", "0.0", "0.00", "0.000", "0.0000"}
    if (
        isinstance(value, int | str | Decimal)
        and not isinstance(value, bool)
        and str(value) in zero
    ):
        return Decimal(0)
    return _positive_credits(value)


ThresholdIn = Annotated[
    Decimal,
    PlainValidator(_credits_or_zero),
    WithJsonSchema(CREDITS_SCHEMA | {"minimum": 0, "maximum": 10**12, "multipleOf": 0.0001}),
]


class AutoRechargeIn(Body):
    """The whole rule; rechargeTo must be above threshold."""

    enabled: bool
    threshold: ThresholdIn
    recharge_to: AmountIn
    monthly_cap_cents: int = Field(ge=1, le=auto_recharge.MAX_CAP_CENTS)


class CardOut(Body):
    brand: str
    last4: str


class CardDetailOut(CardOut):
    exp_month: int
    exp_year: int


class LastAttemptOut(Body):
    at: datetime
    outcome: Literal["succeeded", "failed", "requires_action"]
    message: str


class AutoRechargeOut(Body):
    enabled: bool
    threshold: Credits | None
    recharge_to: Credits | None
    monthly_cap_cents: int | None
    status: Literal["off", "active", "needs_payment_method", "suspended"]
    payment_method: CardOut | None
    last_attempt: LastAttemptOut | None
    charged_this_month_cents: int

    @classmethod
    def of(cls, view: AutoRechargeView) -> "AutoRechargeOut":
        card = view.payment_method
        last = view.last_attempt
        return cls(
            enabled=view.enabled,
            threshold=None if view.threshold is None else units_to_credits(view.threshold),
            recharge_to=None if view.recharge_to is None else units_to_credits(view.recharge_to),
            monthly_cap_cents=view.monthly_cap_cents,
            status=view.status,  # type: ignore[arg-type,unused-ignore]
            payment_method=CardOut(brand=card.brand, last4=card.last4) if card else None,
            last_attempt=(
                LastAttemptOut(at=last.at, outcome=last.outcome, message=last.message)  # type: ignore[arg-type,unused-ignore]
                if last
                else None
            ),
            charged_this_month_cents=view.charged_this_month_cents,
        )


class SetupOut(Body):
    checkout_url: str
    session_id: str


class PaymentMethodOut(Body):
    payment_method: CardDetailOut | None


@router.get("/credits/auto-recharge", response_model=AutoRechargeOut)
def personal_auto_recharge(user: CurrentUser) -> Response:
    """My wallet's auto-recharge rule and status."""
    return _get(user.id, WalletOwner.user(user.id))


@router.get("/orgs/{orgId}/credits/auto-recharge", response_model=AutoRechargeOut)
def org_auto_recharge(access: OrgMember) -> Response:
    """The organization wallet's auto-recharge (any member reads it)."""
    return _get(access.user.id, WalletOwner.org(access.org_id))


@router.put("/credits/auto-recharge", response_model=AutoRechargeOut)
def put_personal_auto_recharge(body: AutoRechargeIn, user: CurrentUser) -> Response:
    """Set my rule. Enabling it while below the threshold charges at once."""
    return _put(user.id, WalletOwner.user(user.id), body)


@router.put("/orgs/{orgId}/credits/auto-recharge", response_model=AutoRechargeOut)
def put_org_auto_recharge(body: AutoRechargeIn, access: OrgManager) -> Response:
    """Owners and admins set the organization wallet's rule."""
    return _put(access.user.id, WalletOwner.org(access.org_id), body)


@router.post("/credits/payment-method", response_model=SetupOut)
def personal_card_setup(user: CurrentUser) -> Response:
    """Open a setup-mode Checkout Session that saves a card for my auto-recharge."""
    started = payment_methods.start_card_setup(
        user.id, WalletOwner.user(user.id), return_path="/credits"
    )
    return respond(SetupOut(checkout_url=started.checkout_url, session_id=started.session_id))


@router.post("/orgs/{orgId}/credits/payment-method", response_model=SetupOut)
def org_card_setup(access: OrgManager) -> Response:
    """Owners and admins save the organization wallet's card."""
    org = get_org(access.user.id, access.org_id)
    started = payment_methods.start_card_setup(
        access.user.id,
        WalletOwner.org(access.org_id),
        return_path=f"/organizations/{org.slug}/credits",
    )
    return respond(SetupOut(checkout_url=started.checkout_url, session_id=started.session_id))


@router.get("/credits/payment-method", response_model=PaymentMethodOut)
def personal_card(user: CurrentUser) -> Response:
    """My saved card (brand, last 4 digits, expiry) or null."""
    return _card(user.id, WalletOwner.user(user.id))


@router.get("/orgs/{orgId}/credits/payment-method", response_model=PaymentMethodOut)
def org_card(access: OrgMember) -> Response:
    """The organization wallet's saved card (any member)."""
    return _card(access.user.id, WalletOwner.org(access.org_id))


@router.delete("/credits/payment-method", status_code=204)
def remove_personal_card(user: CurrentUser) -> Response:
    """Forget my saved card; auto-recharge then needs a new one."""
    payment_methods.remove_card(user.id, WalletOwner.user(user.id))
    return Response(status_code=204)


@router.delete("/orgs/{orgId}/credits/payment-method", status_code=204)
def remove_org_card(access: OrgManager) -> Response:
    """Owners and admins remove the organization wallet's card."""
    payment_methods.remove_card(access.user.id, WalletOwner.org(access.org_id))
    return Response(status_code=204)


def _get(user_id: int, owner: WalletOwner) -> Response:
    return respond(AutoRechargeOut.of(auto_recharge.get_auto_recharge(user_id, owner)))


def _put(user_id: int, owner: WalletOwner, body: AutoRechargeIn) -> Response:
    view = auto_recharge.put_auto_recharge(
        user_id,
        owner,
        {
            "enabled": body.enabled,
            "threshold": body.threshold,
            "recharge_to": body.recharge_to,
            "monthly_cap_cents": body.monthly_cap_cents,
        },
    )
    return respond(AutoRechargeOut.of(view))


def _card(user_id: int, owner: WalletOwner) -> Response:
    card = payment_methods.get_card(user_id, owner)
    detail = (
        CardDetailOut(
            brand=card.brand, last4=card.last4, exp_month=card.exp_month, exp_year=card.exp_year
        )
        if card
        else None
    )
    return respond(PaymentMethodOut(payment_method=detail))
