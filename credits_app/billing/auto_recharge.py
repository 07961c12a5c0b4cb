"""Auto-recharge rules: read and change them, and the status the guards put them in (DESIGN §4b).

A rule is `{enabled, threshold, rechargeTo, monthlyCapCents}` per wallet. Its status is `off`
(disabled), `needs_payment_method` (no saved card), `suspended` (3 consecutive failures, until
a card with another fingerprint is saved) or `active`. The charging itself is in
`auto_recharge_runner.py`; the trigger in `auto_recharge_trigger.py`.

Enabling a rule while the wallet is already below its threshold starts a recharge at once (the
UI asks for confirmation first and says so): the job is enqueued in the same transaction.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypedDict, cast

from sqlalchemy import Table, func, select, update
from sqlmodel import Session, col
from sqlmodel import select as model_select

from credits_app.billing.auto_recharge_trigger import enqueue_charge
from credits_app.billing.packages import MAX_PRICE_MINOR, list_active_packages
from credits_app.billing.payment_methods import CardInfo, authorize, saved_card
from credits_app.clock import as_utc, month_of, utcnow
from credits_app.credits.amounts import MAX_BALANCE_UNITS, AmountInput, parse_credits
from credits_app.credits.errors import CreditsError, InvalidArgument
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_service import find_wallet, open_wallet
from credits_app.db import unit_of_work
from credits_app.models import AutoRechargeAttempt, AutoRechargeSetting, Wallet

wallets = cast(Table, Wallet.__table__)  # type: ignore[attr-defined]
RATE_WINDOW = timedelta(minutes=10)
ATTEMPTS_PER_WINDOW = 2
FAILURES_BEFORE_SUSPENSION = 3
MAX_CAP_CENTS = 10**10  # far above any sane cap, well inside BIGINT


class PricingUnavailable(CreditsError):
    """No active package to take a price per credit from: nothing can be charged."""

    code = "pricing_unavailable"


class AutoRechargeChange(TypedDict):
    """A PUT body: the whole rule."""

    enabled: bool
    threshold: AmountInput
    recharge_to: AmountInput
    monthly_cap_cents: int


@dataclass(frozen=True)
class LastAttempt:
    """The latest finished attempt, as the API shows it."""

    at: datetime
    outcome: str  # succeeded | failed | requires_action
    message: str


@dataclass(frozen=True)
class AutoRechargeView:
    """A wallet's rule, its status, card and spending this month (amounts in units/cents)."""

    enabled: bool
    threshold: int | None
    recharge_to: int | None
    monthly_cap_cents: int | None
    status: str
    payment_method: CardInfo | None
    last_attempt: LastAttempt | None
    charged_this_month_cents: int
    below_threshold: bool  # the wallet is below its threshold now (enabling charges at once)
    available: int = 0  # units spendable now, to tell whether another threshold would charge


def get_auto_recharge(actor_user_id: int, owner: WalletOwner) -> AutoRechargeView:
    """The rule as any member of the wallet sees it."""
    authorize(actor_user_id, owner, manage=False)
    with unit_of_work() as db:
        wallet = find_wallet(db, owner)
        if wallet is None:
            return AutoRechargeView(False, None, None, None, "off", None, None, 0, False)
        return view_of(db, wallet.id, wallet.balance - wallet.held)


def put_auto_recharge(
    actor_user_id: int, owner: WalletOwner, change: AutoRechargeChange
) -> AutoRechargeView:
    """Replace the rule (owners/admins for an org). Enabling below the threshold charges now."""
    authorize(actor_user_id, owner, manage=True)
    threshold = _units(change["threshold"], "threshold", allow_zero=True)
    recharge_to = _units(change["recharge_to"], "rechargeTo", allow_zero=False)
    if recharge_to <= threshold:
        raise InvalidArgument("rechargeTo must be above threshold.", field="rechargeTo")
    cap = change["monthly_cap_cents"]
    if isinstance(cap, bool) or not isinstance(cap, int) or not 0 < cap <= MAX_CAP_CENTS:
        raise InvalidArgument(
            f"monthlyCapCents must be a whole number from 1 to {MAX_CAP_CENTS}.",
            field="monthlyCapCents",
        )
    enabled = bool(change["enabled"])
    with unit_of_work() as db:
        wallet = find_wallet(db, owner)
        wallet_id = wallet.id if wallet else open_wallet(db, owner)
        rule = db.get(AutoRechargeSetting, wallet_id, with_for_update=True)
        was_enabled = rule is not None and rule.enabled
        rule = rule or AutoRechargeSetting(
            wallet_id=wallet_id, threshold=threshold, recharge_to=recharge_to, monthly_cap_cents=cap
        )
        rule.enabled, rule.threshold, rule.recharge_to = enabled, threshold, recharge_to
        rule.monthly_cap_cents = cap
        if enabled and not was_enabled:  # switching it on again is the user's go-ahead
            rule.awaiting_action = False
            if not rule.suspended:
                rule.paused_until = None
        rule.updated_at = utcnow()
        db.add(rule)
        db.flush()
        active = sync_trigger(db, wallet_id)
        available = (wallet.balance - wallet.held) if wallet else 0
        if active and available < threshold:
            enqueue_charge(db, wallet_id, rule.trigger_seq)
        return view_of(db, wallet_id, available)


def sync_trigger(db: Session, wallet_id: int) -> bool:
    """Copy the threshold onto the wallet row while the rule can charge, else NULL it.

    Returns whether the rule is active. Call it after every change to the rule or the card.
    """
    rule = db.get(AutoRechargeSetting, wallet_id)
    card = saved_card(db, wallet_id)
    active = (
        rule is not None
        and rule.enabled
        and card is not None
        and not rule.suspended
        and not rule.awaiting_action
    )
    below = rule.threshold if active and rule is not None else None
    db.execute(update(wallets).where(wallets.c.id == wallet_id).values(auto_recharge_below=below))
    return active


def status_of(rule: AutoRechargeSetting | None, card: CardInfo | None) -> str:
    """off | needs_payment_method | suspended | active."""
    if rule is None or not rule.enabled:
        return "off"
    if rule.suspended:
        return "suspended"
    if card is None:
        return "needs_payment_method"
    return "active"


def view_of(db: Session, wallet_id: int, available: int) -> AutoRechargeView:
    """The API's view of a wallet's rule."""
    rule = db.get(AutoRechargeSetting, wallet_id)
    card = saved_card(db, wallet_id)
    last = db.exec(
        model_select(AutoRechargeAttempt)
        .where(
            col(AutoRechargeAttempt.wallet_id) == wallet_id,
            col(AutoRechargeAttempt.status) != "pending",
        )
        .order_by(col(AutoRechargeAttempt.id).desc())
        .limit(1)
    ).first()
    last_attempt = None
    if last is not None:
        at = as_utc(last.finished_at or last.created_at)
        last_attempt = LastAttempt(at, last.status, last.message)
    return AutoRechargeView(
        enabled=bool(rule and rule.enabled),
        threshold=rule.threshold if rule else None,
        recharge_to=rule.recharge_to if rule else None,
        monthly_cap_cents=rule.monthly_cap_cents if rule else None,
        status=status_of(rule, card),
        payment_method=card,
        last_attempt=last_attempt,
        charged_this_month_cents=charged_in_month(db, wallet_id, month_of(utcnow())),
        below_threshold=rule is not None and available < rule.threshold,
        available=available,
    )


def charged_in_month(db: Session, wallet_id: int, month: date, *, in_flight: bool = False) -> int:
    """Cents charged (succeeded; with `in_flight`, pending too) in the UTC month `month`."""
    statuses = ["succeeded", "pending"] if in_flight else ["succeeded"]
    start = datetime(month.year, month.month, 1, tzinfo=utcnow().tzinfo)
    end = next_month_start(start)
    total = db.execute(
        select(func.coalesce(func.sum(AutoRechargeAttempt.amount_cents), 0)).where(
            col(AutoRechargeAttempt.wallet_id) == wallet_id,
            col(AutoRechargeAttempt.status).in_(statuses),
            col(AutoRechargeAttempt.created_at) >= start,
            col(AutoRechargeAttempt.created_at) < end,
        )
    ).scalar_one()
    return int(total)


def next_month_start(moment: datetime) -> datetime:
    """Midnight UTC of the first day of the month after `moment`'s."""
    first = month_of(moment)
    year, month = (first.year + 1, 1) if first.month == 12 else (first.year, first.month + 1)
    return datetime(year, month, 1, tzinfo=as_utc(moment).tzinfo)


@dataclass(frozen=True)
class Rate:
    """The price of credits for auto-recharge: `price_minor` per `units` (list price)."""

    price_minor: int
    units: int
    currency: str

    def cents_for(self, units: int) -> int:
        """Rounded up to the next minor unit (the rule that never undercharges)."""
        return -(-units * self.price_minor // self.units)

    def units_for(self, cents: int) -> int:
        """The most units `cents` pays for at this rate."""
        return cents * self.units // self.price_minor


def list_rate(db: Session) -> Rate:
    """Auto-recharge is charged at the list price: the rate of the smallest active package
    (no volume discount), so a charge never costs less per credit than buying by hand."""
    packages = list_active_packages(session=db)
    if not packages:
        raise PricingUnavailable("No active credit package: auto-recharge cannot be priced.")
    smallest = min(packages, key=lambda package: (package.total_credits, package.id))
    return Rate(smallest.price_minor, int(smallest.total_credits.scaleb(4)), smallest.currency)


@dataclass(frozen=True)
class ChargePlan:
    """What one charge buys: `units` for `cents`, or nothing (`reason` says why)."""

    units: int
    cents: int
    currency: str
    reason: str | None = None


def plan_charge(
    db: Session, rule: AutoRechargeSetting, balance: int, available: int, now: datetime
) -> ChargePlan:
    """One charge that reaches `rechargeTo`, capped by the maximum balance, Stripe's largest
    amount and what is left of `monthlyCapCents` this month (then fewer credits, or none)."""
    rate = list_rate(db)
    units = min(rule.recharge_to - available, MAX_BALANCE_UNITS - balance)
    left = rule.monthly_cap_cents - charged_in_month(
        db, rule.wallet_id, month_of(now), in_flight=True
    )
    budget = min(left, MAX_PRICE_MINOR)
    if units > 0 and rate.cents_for(units) > budget:
        units = rate.units_for(max(budget, 0))
    if units <= 0:
        return ChargePlan(0, 0, rate.currency, "monthly_cap_reached" if left <= 0 else "nothing")
    return ChargePlan(units, rate.cents_for(units), rate.currency)


def _units(value: Any, field: str, *, allow_zero: bool) -> int:
    if isinstance(value, Decimal | int | str) and not isinstance(value, bool):
        try:
            if allow_zero and Decimal(str(value)) == 0:
                return 0
        except ArithmeticError:
            pass
    try:
        return parse_credits(value)
    except CreditsError as error:
        raise InvalidArgument(f"{field}: {error.message}", field=field) from None
