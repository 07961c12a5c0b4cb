"""The auto-recharge job: every guard of DESIGN §4b, one off-session charge, credits once.

`run_auto_recharge` (job `auto_recharge.charge`, enqueued by a debit's transaction) works in
three steps, none of them holding a transaction across the Stripe call:

1. `prepare_attempt`, under the rule's row lock: consume the trigger, then refuse unless the
   rule is active (enabled, a card, not suspended, not waiting for authentication), not
   paused, no attempt is in flight, fewer than 2 attempts in the last 10 minutes, the wallet
   is still below its threshold and the month's cap leaves something; plan ONE charge that
   reaches `rechargeTo` (capped by the maximum balance and the cap) and record it `pending`.
2. An off-session PaymentIntent (`confirm`, `off_session`, the saved card) under the attempt's
   idempotency key: a retried job (Stripe unreachable) replays the same PaymentIntent.
3. `settle_intent`, the one place an outcome lands, from the synchronous answer and from the
   `payment_intent.*` webhooks alike, under the attempt's row lock: succeeded → a `purchase`
   entry (ledger key `auto-recharge:<PaymentIntent>`, a purchase lot with its cost basis),
   exactly once whatever arrives how often; declined → failure count, a pause of
   `AUTO_RECHARGE_RETRY_PAUSE_SECONDS`, `suspended` at 3 in a row; authentication required →
   no retry, a notification with a link to pay in Checkout. Each outcome publishes an
   `auto_recharge.*` event (notification + webhooks).
"""

import logging
from datetime import timedelta
from typing import Any

import stripe
from sqlalchemy import func, select
from sqlmodel import Session, col
from sqlmodel import select as model_select

from credits_app.billing.auto_recharge import (
    ATTEMPTS_PER_WINDOW,
    FAILURES_BEFORE_SUSPENSION,
    RATE_WINDOW,
    next_month_start,
    plan_charge,
    sync_trigger,
)
from credits_app.billing.stripe_gateway import stripe_client
from credits_app.clock import as_utc, utcnow
from credits_app.credits.amounts import format_credits, units_to_credits
from credits_app.credits.categories import LotSource, OwnerKind, TransactionType
from credits_app.credits.credit_service import grant
from credits_app.credits.drafts import NewLot
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_service import find_wallet
from credits_app.db import unit_of_work
from credits_app.jobs.registry import JobContext
from credits_app.models import AutoRechargeAttempt, AutoRechargeSetting, SavedPaymentMethod, Wallet
from credits_app.notifications.events import EventType
from credits_app.notifications.publish import publish
from credits_app.settings import get_settings

logger = logging.getLogger(__name__)
IN_FLIGHT_FOR = timedelta(hours=1)  # a pending attempt older than this no longer blocks
ATTEMPT_METADATA = "auto_recharge_attempt_id"


def run_auto_recharge(job: JobContext) -> None:
    """The job handler: prepare, charge, settle (see the module docstring)."""
    attempt_id = prepare_attempt(int(job.payload["walletId"]), int(job.payload["seq"]))
    if attempt_id is not None:
        charge_attempt(attempt_id)


def prepare_attempt(wallet_id: int, seq: int) -> int | None:
    """Check every guard and record the pending attempt of trigger `seq`; None = no charge.

    A re-run of the same job finds its own pending attempt and charges it again (Stripe
    answers the same idempotency key with the same PaymentIntent).
    """
    key = f"auto-recharge-{wallet_id}-{seq}"
    now = utcnow()
    with unit_of_work() as db:
        rule = db.get(AutoRechargeSetting, wallet_id, with_for_update=True)
        if rule is None:
            return None
        own = db.exec(
            model_select(AutoRechargeAttempt).where(col(AutoRechargeAttempt.idempotency_key) == key)
        ).first()
        if own is not None:
            return own.id if own.status == "pending" else None
        if rule.trigger_seq != seq:
            return None  # an older trigger, already consumed
        rule.trigger_seq += 1  # this job consumes the trigger, whatever it decides
        rule.updated_at = now
        db.add(rule)
        card = db.get(SavedPaymentMethod, wallet_id)
        if not rule.enabled or card is None or rule.suspended or rule.awaiting_action:
            return None
        if rule.paused_until is not None and as_utc(rule.paused_until) > now:
            return None
        if _in_flight(db, wallet_id, now):
            return None
        recent = _recent_attempts(db, wallet_id, now)
        if len(recent) >= ATTEMPTS_PER_WINDOW:
            rule.paused_until = as_utc(recent[-1]) + RATE_WINDOW  # the oldest of the window
            return None
        wallet = db.get(Wallet, wallet_id)
        assert wallet is not None
        owner = WalletOwner(OwnerKind(wallet.owner_kind), wallet.owner_id)
        state = find_wallet(db, owner)
        assert state is not None
        available = state.balance - state.held
        if available >= rule.threshold:
            return None  # refilled meanwhile (another attempt, a purchase)
        plan = plan_charge(db, rule, state.balance, available, now)
        if plan.units <= 0:
            if plan.reason == "monthly_cap_reached":
                rule.paused_until = next_month_start(now)
                sync_trigger(db, wallet_id)
                message = "The monthly auto-recharge cap is reached; it resumes next month."
                _publish(
                    db,
                    owner,
                    EventType.AUTO_RECHARGE_FAILED,
                    None,
                    message,
                    dedupe_key=f"auto-recharge-cap:{wallet_id}:{now:%Y-%m}",
                )
            return None
        attempt = AutoRechargeAttempt(
            wallet_id=wallet_id,
            idempotency_key=key,
            amount_cents=plan.cents,
            currency=plan.currency,
            credits=plan.units,
            fingerprint=card.fingerprint,
            created_at=now,
        )
        db.add(attempt)
        db.flush()
        return attempt.id


def charge_attempt(attempt_id: int) -> str:
    """Create the attempt's off-session PaymentIntent and settle what Stripe answers.

    Stripe unreachable (or a 5xx): raises, so the job is retried with the same key.
    """
    with unit_of_work() as db:
        attempt = db.get(AutoRechargeAttempt, attempt_id)
        card = db.get(SavedPaymentMethod, attempt.wallet_id) if attempt else None
        if attempt is None or attempt.status != "pending":
            return "ignored"
        params: dict[str, Any] = {
            "amount": attempt.amount_cents,
            "currency": attempt.currency,
            "customer": card.stripe_customer_id if card else None,
            "payment_method": card.stripe_payment_method_id if card else None,
            "confirm": True,
            "off_session": True,
            "description": f"Auto-recharge: {format_credits(attempt.credits)} credits",
            "metadata": {ATTEMPT_METADATA: str(attempt.id), "wallet_id": str(attempt.wallet_id)},
        }
        key = attempt.idempotency_key
    if card is None:
        return _settle_failure(attempt_id, None, "The saved card was removed.", "failed")
    client = stripe_client()
    try:
        intent = client.v1.payment_intents.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": key},
        ).to_dict()
    except stripe.CardError as error:
        raw = error.error.payment_intent if error.error else None
        intent = raw.to_dict() if raw is not None else {}
        code = error.code or ""
        return settle_intent(
            intent,
            attempt_id=attempt_id,
            error_code=code,
            message=error.user_message or "The card was declined.",
        )
    except stripe.InvalidRequestError as error:  # e.g. the card was detached at Stripe
        message = error.user_message or "Stripe refused the charge."
        return _settle_failure(attempt_id, None, message, "failed")
    return settle_intent(intent, attempt_id=attempt_id)


def settle_intent(
    intent: dict[str, Any],
    *,
    attempt_id: int | None = None,
    error_code: str = "",
    message: str = "",
) -> str:
    """Land a PaymentIntent's outcome on its attempt (sync answer or webhook; idempotent)."""
    if attempt_id is None:
        attempt_id = attempt_for_intent(intent)
        if attempt_id is None:
            return "ignored"
    status = str(intent.get("status") or "")
    last_error = intent.get("last_payment_error") or {}
    code = error_code or str(last_error.get("code") or "")
    if status == "succeeded":
        return _settle_success(attempt_id, intent)
    if status == "requires_action" or code == "authentication_required":
        message = message or str(last_error.get("message") or "The card needs authentication.")
        outcome = _settle_failure(attempt_id, intent.get("id"), message, "requires_action")
        if outcome == "requires_action":
            _offer_checkout(attempt_id)
        return outcome
    if status in {"requires_payment_method", "canceled"} or code:
        message = message or str(last_error.get("message") or "The card was declined.")
        return _settle_failure(attempt_id, intent.get("id"), message, "failed")
    return "ignored"  # processing: a later webhook says how it ended


def attempt_for_intent(intent: dict[str, Any]) -> int | None:
    """Our attempt id in a PaymentIntent's metadata (None: not an auto-recharge charge)."""
    claimed = str((intent.get("metadata") or {}).get(ATTEMPT_METADATA) or "")
    return int(claimed) if claimed.isdigit() and int(claimed) < 2**62 else None


def _settle_success(attempt_id: int, intent: dict[str, Any]) -> str:
    with unit_of_work() as db:
        attempt = _locked(db, attempt_id)
        if attempt is None:
            return "ignored"
        if attempt.status == "succeeded":
            return "already_credited"
        amount, currency = (
            intent.get("amount_received") or intent.get("amount"),
            intent.get("currency"),
        )
        if (amount, str(currency or "").lower()) != (attempt.amount_cents, attempt.currency):
            logger.error("Auto-recharge %s: Stripe reports %s %s", attempt_id, amount, currency)
            return "mismatch"
        owner = _owner(db, attempt.wallet_id)
        # Lock order everywhere: attempt, rule, wallet (the PUT takes rule then wallet).
        rule = db.get(AutoRechargeSetting, attempt.wallet_id, with_for_update=True)
        payment_intent = str(intent.get("id"))
        result = grant(
            owner,
            units_to_credits(attempt.credits),
            description=f"Auto-recharge: {format_credits(attempt.credits)} credits",
            type=TransactionType.PURCHASE,
            lots=(
                NewLot(
                    attempt.credits,
                    LotSource.PURCHASE,
                    None,
                    cost_minor=attempt.amount_cents,
                    currency=attempt.currency,
                ),
            ),
            metadata={
                "autoRechargeAttemptId": attempt.id,
                "stripePaymentIntentId": payment_intent,
                "priceMinor": attempt.amount_cents,
                "currency": attempt.currency,
            },
            idempotency_key=f"auto-recharge:{payment_intent}",
            session=db,
        )
        attempt.status, attempt.message = "succeeded", ""
        attempt.stripe_payment_intent_id = payment_intent
        attempt.ledger_entry_id = result.transaction_id
        attempt.finished_at = utcnow()
        db.add(attempt)
        if rule is not None:
            rule.consecutive_failures, rule.awaiting_action = 0, False
            rule.updated_at = utcnow()
            db.add(rule)
            db.flush()
            sync_trigger(db, attempt.wallet_id)
        _publish(db, owner, EventType.AUTO_RECHARGE_SUCCEEDED, attempt, "")
        return "credited"


def _settle_failure(attempt_id: int, intent_id: Any, message: str, outcome: str) -> str:
    """A declined or authentication-needing charge; only a pending attempt moves."""
    now = utcnow()
    with unit_of_work() as db:
        attempt = _locked(db, attempt_id)
        if attempt is None or attempt.status != "pending":
            return "ignored"
        attempt.status, attempt.message, attempt.finished_at = outcome, message[:500], now
        if isinstance(intent_id, str):
            attempt.stripe_payment_intent_id = intent_id
        db.add(attempt)
        rule = db.get(AutoRechargeSetting, attempt.wallet_id, with_for_update=True)
        owner = _owner(db, attempt.wallet_id)
        if rule is None:
            return outcome
        suspended = False
        if outcome == "requires_action":
            rule.awaiting_action = True  # no retry: the user finishes the payment
        else:
            rule.consecutive_failures += 1
            pause = get_settings().auto_recharge_retry_pause_seconds
            rule.paused_until = now + timedelta(seconds=pause)
            if rule.consecutive_failures >= FAILURES_BEFORE_SUSPENSION:
                rule.suspended, rule.suspended_fingerprint = True, attempt.fingerprint
                suspended = True
        rule.updated_at = now
        db.add(rule)
        db.flush()
        sync_trigger(db, attempt.wallet_id)
        if outcome != "requires_action":
            _publish(db, owner, EventType.AUTO_RECHARGE_FAILED, attempt, message)
        if suspended:
            _publish(db, owner, EventType.AUTO_RECHARGE_SUSPENDED, attempt, message)
        return outcome


def _offer_checkout(attempt_id: int) -> None:
    """A Checkout Session (payment mode) for the same amount, where the cardholder can
    authenticate; the notification links to it. Without one, it links to the billing page."""
    from credits_app.billing.auto_recharge_action import open_action_checkout

    url = open_action_checkout(attempt_id)
    with unit_of_work() as db:
        attempt = _locked(db, attempt_id)
        if attempt is None:
            return
        attempt.action_url = url
        db.add(attempt)
        owner = _owner(db, attempt.wallet_id)
        text = f"{attempt.message} Finish the payment here: {url}"
        _publish(
            db,
            owner,
            EventType.AUTO_RECHARGE_FAILED,
            attempt,
            text,
            outcome="requires_action",
            action_url=url,
        )


def _publish(
    db: Session,
    owner: WalletOwner,
    event: EventType,
    attempt: AutoRechargeAttempt | None,
    message: str,
    *,
    dedupe_key: str | None = None,
    outcome: str | None = None,
    action_url: str | None = None,
) -> None:
    data: dict[str, Any] = {
        "message": message,
        "outcome": outcome or (attempt.status if attempt else "failed"),
    }
    if attempt is not None:
        data |= {
            "attemptId": attempt.id,
            "amount": str(units_to_credits(attempt.credits)),
            "amountCents": attempt.amount_cents,
            "currency": attempt.currency,
            "paymentIntentId": attempt.stripe_payment_intent_id,
        }
    if action_url:
        data["actionUrl"] = action_url
    key = dedupe_key or (f"{event.value}:{attempt.id}" if attempt is not None else None)
    publish(db, event, owner, data, dedupe_key=key)


def _locked(db: Session, attempt_id: int) -> AutoRechargeAttempt | None:
    return db.exec(
        model_select(AutoRechargeAttempt)
        .where(col(AutoRechargeAttempt.id) == attempt_id)
        .with_for_update()
    ).first()


def _owner(db: Session, wallet_id: int) -> WalletOwner:
    wallet = db.get(Wallet, wallet_id)
    assert wallet is not None
    return WalletOwner(OwnerKind(wallet.owner_kind), wallet.owner_id)


def _in_flight(db: Session, wallet_id: int, now: Any) -> bool:
    pending = db.execute(
        select(func.count()).where(
            col(AutoRechargeAttempt.wallet_id) == wallet_id,
            col(AutoRechargeAttempt.status) == "pending",
            col(AutoRechargeAttempt.created_at) > now - IN_FLIGHT_FOR,
        )
    ).scalar_one()
    return int(pending) > 0


def _recent_attempts(db: Session, wallet_id: int, now: Any) -> list[Any]:
    """Creation times of the attempts of the last 10 minutes, newest first."""
    rows = db.execute(
        select(col(AutoRechargeAttempt.created_at))
        .where(
            col(AutoRechargeAttempt.wallet_id) == wallet_id,
            col(AutoRechargeAttempt.created_at) > now - RATE_WINDOW,
        )
        .order_by(col(AutoRechargeAttempt.created_at).desc())
    ).all()
    return [row[0] for row in rows]
