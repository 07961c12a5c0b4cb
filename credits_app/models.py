"""SQLModel tables: users, organizations, memberships, wallets and the append-only ledger.

Amounts are integers in credit units (1 credit = 10,000 units, see `credits/amounts.py`),
never floats. Constraints that protect money live in the schema, not only in code.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from credits_app.clock import utcnow
from credits_app.credits.categories import (
    CreditUsageCategory,
    LotSource,
    OwnerKind,
    TransactionType,
    sql_in_list,
)

# Keys other platform services send (credits/service_deductions.py) are theirs across wallets.
SERVICE_KEY_CONDITION = "idempotency_key LIKE 'service:%'"

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT ids on Postgres; on SQLite only INTEGER PRIMARY KEY auto-increments.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JsonDocument = JSON().with_variant(JSONB(), "postgresql")


def _timestamp_column() -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


class User(SQLModel, table=True):
    """A person who signs in; owns one personal wallet."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(320), unique=True, nullable=False))
    name: str = Field(max_length=200)
    password_hash: str | None = Field(default=None, max_length=255)
    created_at: datetime = _timestamp_column()


class Organization(SQLModel, table=True):
    """A team; owns one org wallet, separate from every member's personal wallet."""

    __tablename__ = "organizations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    slug: str = Field(sa_column=Column(String(100), unique=True, nullable=False))
    created_at: datetime = _timestamp_column()


class Membership(SQLModel, table=True):
    """A user's role in an organization: owner, admin or member."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("org_id", "user_id", name="uq_memberships_org_user"),
        CheckConstraint("role IN ('owner', 'admin', 'member')", name="role_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
        )
    )
    user_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    role: str = Field(max_length=16)
    created_at: datetime = _timestamp_column()


class Wallet(SQLModel, table=True):
    """The balance of one owner (a user or an org); the ledger explains every unit of it."""

    __tablename__ = "wallets"
    __table_args__ = (
        UniqueConstraint("owner_kind", "owner_id", name="uq_wallets_owner"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint(f"owner_kind IN ({sql_in_list(OwnerKind)})", name="owner_kind_known"),
        CheckConstraint("held >= 0", name="held_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_kind: str = Field(max_length=8)
    owner_id: int
    balance: int = Field(default=0, sa_type=BigInteger, nullable=False)
    monthly_limit: int | None = Field(default=None, sa_type=BigInteger)
    low_threshold: int | None = Field(default=None, sa_type=BigInteger)
    critical_threshold: int | None = Field(default=None, sa_type=BigInteger)
    # Usage spent in the calendar month `spend_month` (UTC, first day): the guarded balance
    # move updates it in the same statement, so the monthly limit is checked atomically.
    spend_month: date | None = Field(default=None, sa_type=Date)
    spent_this_month: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0")
    )
    # Credits reserved by in-flight AI requests (`credits/credit_holds.py`): not spendable by
    # anything else until settled or released; never part of the ledger.
    held: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    created_at: datetime = _timestamp_column()
    # The auto-recharge trigger (units; NULL = no active auto-recharge): a copy of the
    # threshold kept by `billing/auto_recharge.py`, so a debit's alert hook judges it from the
    # wallet row it reads anyway, at no extra query for wallets without auto-recharge.
    auto_recharge_below: int | None = Field(default=None, sa_type=BigInteger)


class LedgerEntry(SQLModel, table=True):
    """One append-only movement of a wallet's balance; never updated or deleted."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("wallet_id", "idempotency_key", name="uq_ledger_entries_wallet_key"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        CheckConstraint(f"type IN ({sql_in_list(TransactionType)})", name="type_known"),
        CheckConstraint(
            f"category IS NULL OR category IN ({sql_in_list(CreditUsageCategory)})",
            name="category_known",
        ),
        # History is listed in ledger order: the order the wallet's moves were applied (its ids).
        Index("ix_ledger_entries_history", "wallet_id", "id"),
        Index("ix_ledger_entries_usage", "wallet_id", "category", "created_at"),
        Index("ix_ledger_entries_idempotency_key", "idempotency_key"),
        # The usage window scan reads only the window's rows, from the index alone (0012).
        Index(
            "ix_ledger_entries_type_window",
            "wallet_id",
            "type",
            "created_at",
            "category",
            "amount",
        ),
        # A service's key names one request across wallets: the claim is this index (0012).
        Index(
            "uq_ledger_entries_service_key",
            "idempotency_key",
            unique=True,
            postgresql_where=text(SERVICE_KEY_CONDITION),
            sqlite_where=text(SERVICE_KEY_CONDITION),
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    wallet_id: int = Field(
        sa_column=Column(Integer, ForeignKey("wallets.id", ondelete="RESTRICT"), nullable=False)
    )
    type: str = Field(max_length=32)
    category: str | None = Field(default=None, max_length=32)
    amount: int = Field(sa_type=BigInteger, nullable=False)
    balance_after: int = Field(sa_type=BigInteger, nullable=False)
    description: str = Field(default="", max_length=500)
    entry_metadata: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column("metadata", JsonDocument, nullable=False)
    )
    idempotency_key: str | None = Field(default=None, max_length=255)
    request_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = _timestamp_column()


class AuthSession(SQLModel, table=True):
    """A sign-in: the token is shown once to the client and stored only as its SHA-256."""

    __tablename__ = "auth_sessions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    created_at: datetime = _timestamp_column()
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class LoginAttempt(SQLModel, table=True):
    """One login try, kept to throttle guessing per account and per client address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_time", "email", "created_at"),
        Index("ix_login_attempts_ip_time", "ip", "created_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    email: str = Field(max_length=320)
    ip: str = Field(max_length=64)
    succeeded: bool = Field(sa_column=Column(Boolean, nullable=False))
    created_at: datetime = _timestamp_column()


class CreditPackage(SQLModel, table=True):
    """A package users can buy; prices live here, never in the client's request."""

    __tablename__ = "credit_packages"
    __table_args__ = (
        CheckConstraint("credits > 0", name="credits_positive"),
        CheckConstraint("bonus_credits >= 0", name="bonus_not_negative"),
        CheckConstraint("price_minor > 0", name="price_positive"),
    )

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    name: str = Field(max_length=100)
    credits: int = Field(sa_type=BigInteger, nullable=False)  # units
    bonus_credits: int = Field(default=0, sa_type=BigInteger, nullable=False)  # units
    price_minor: int = Field(sa_type=BigInteger, nullable=False)  # e.g. cents
    currency: str = Field(max_length=3)
    popular: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    sort_order: int = Field(default=0, nullable=False)
    created_at: datetime = _timestamp_column()
    # Days the bonus credits stay spendable after the purchase (None: they never expire).
    bonus_expires_in_days: int | None = Field(default=None, nullable=True)


class PricingTier(SQLModel, table=True):
    """A volume price: buying at least `min_credits` whole credits costs `unit_price_micros`
    millionths of a minor unit (cent) per credit, plus `bonus_percent` % bonus credits.

    Prices of custom-amount purchases come from here (billing/pricing.py); the rules that keep
    the table sensible (unit price never rising with the amount) are checked on every edit.
    """

    __tablename__ = "pricing_tiers"
    __table_args__ = (
        CheckConstraint("min_credits > 0", name="min_credits_positive"),
        CheckConstraint("unit_price_micros > 0", name="unit_price_positive"),
        CheckConstraint("bonus_percent >= 0 AND bonus_percent <= 100", name="bonus_in_range"),
    )

    min_credits: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    unit_price_micros: int = Field(sa_type=BigInteger, nullable=False)
    bonus_percent: int = Field(default=0, nullable=False)
    updated_at: datetime = _timestamp_column()


class Purchase(SQLModel, table=True):
    """One attempt to buy a package: a snapshot of who pays what for how many credits.

    Fulfillment flips `status` to fulfilled and credits the wallet in one transaction; the
    unique Stripe session id (and the ledger's unique idempotency key derived from it) make a
    second fulfillment impossible. Refunds and disputes are tracked cumulatively here and
    booked as new ledger entries.
    """

    __tablename__ = "purchases"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'fulfilled', 'failed', 'expired')", name="status_known"
        ),
        CheckConstraint(f"owner_kind IN ({sql_in_list(OwnerKind)})", name="owner_kind_known"),
        CheckConstraint("credits > 0 AND price_minor > 0", name="amounts_positive"),
        Index("ix_purchases_owner", "owner_kind", "owner_id", "created_at"),
        Index("ix_purchases_buyer", "buyer_user_id", "created_at"),  # the per-hour cap
        # A buyer's Idempotency-Key names one purchase (billing/purchase_keys.py).
        Index(
            "uq_purchases_buyer_idempotency_key", "buyer_user_id", "idempotency_key", unique=True
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_kind: str = Field(max_length=8)
    owner_id: int
    buyer_user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    )
    package_id: str | None = Field(default=None, max_length=64)  # None: a custom amount
    credits: int = Field(sa_type=BigInteger, nullable=False)  # units, bonus included
    bonus_credits: int = Field(default=0, sa_type=BigInteger, nullable=False)  # units
    price_minor: int = Field(sa_type=BigInteger, nullable=False)
    currency: str = Field(max_length=3)
    status: str = Field(default="pending", max_length=16)
    stripe_session_id: str | None = Field(
        default=None, sa_column=Column(String(255), unique=True, nullable=True)
    )
    stripe_payment_intent_id: str | None = Field(
        default=None, sa_column=Column(String(255), nullable=True, index=True)
    )
    ledger_entry_id: int | None = Field(default=None, sa_type=BigInteger)
    refunded_minor: int = Field(default=0, sa_type=BigInteger, nullable=False)
    clawed_back: int = Field(default=0, sa_type=BigInteger, nullable=False)  # units
    clawback_shortfall: int = Field(default=0, sa_type=BigInteger, nullable=False)  # units
    disputed_held: int = Field(default=0, sa_type=BigInteger, nullable=False)  # units
    dispute_status: str | None = Field(default=None, max_length=16)
    created_at: datetime = _timestamp_column()
    fulfilled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    updated_at: datetime = _timestamp_column()
    bonus_expires_in_days: int | None = Field(default=None, nullable=True)  # package's, at checkout
    # A custom amount's tier price at checkout (millionths of a minor unit per credit).
    unit_price_micros: int | None = Field(default=None, sa_type=BigInteger)
    receipt_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The client's Idempotency-Key, what it asked for (sha256) and the answer a replay repeats.
    idempotency_key: str | None = Field(default=None, max_length=200)
    request_hash: str | None = Field(default=None, max_length=64)
    checkout_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class StripeEvent(SQLModel, table=True):
    """A webhook event already handled; a redelivery of the same id is acknowledged, not redone."""

    __tablename__ = "stripe_events"

    id: str = Field(sa_column=Column(String(255), primary_key=True))
    type: str = Field(max_length=100)
    outcome: str = Field(max_length=100)
    received_at: datetime = _timestamp_column()


class SimulatedCheckoutSession(SQLModel, table=True):
    """The local Stripe simulator's Checkout Sessions (dev only; unused with a real key).

    Keeps exactly what the client sent (params, idempotency key), so tests can check the
    request, and what a real session would report back (status, payment status).
    """

    __tablename__ = "simulated_checkout_sessions"

    id: str = Field(sa_column=Column(String(255), primary_key=True))
    idempotency_key: str | None = Field(
        default=None, sa_column=Column(String(255), unique=True, nullable=True)
    )
    params: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    status: str = Field(default="open", max_length=16)
    payment_status: str = Field(default="unpaid", max_length=16)
    payment_intent_id: str = Field(max_length=255)
    created_at: datetime = _timestamp_column()


class CreditHold(SQLModel, table=True):
    """Credits reserved for one in-flight AI request, settled to a ledger entry or released."""

    __tablename__ = "credit_holds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN ('active', 'settled', 'released')", name="status_known"),
        Index("ix_credit_holds_wallet_status", "wallet_id", "status", "created_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    wallet_id: int = Field(
        sa_column=Column(Integer, ForeignKey("wallets.id", ondelete="RESTRICT"), nullable=False)
    )
    amount: int = Field(sa_type=BigInteger, nullable=False)  # units
    status: str = Field(default="active", max_length=16)
    entry_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = _timestamp_column()
    closed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Job(SQLModel, table=True):
    """One unit of background work, written in the same transaction as the change causing it.

    The table is the queue (the transactional outbox of DESIGN §8): a worker claims due rows
    (`FOR UPDATE SKIP LOCKED` on Postgres; SQLite has one writer), runs them at least once with
    backoff, and parks a job as `dead` after `max_attempts`. `locked_until` is the lease: a
    worker that dies mid-job leaves a `running` row whose lease runs out, and another claims it.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'running', 'done', 'dead')", name="status_known"),
        Index("ix_jobs_due", "status", "run_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    kind: str = Field(max_length=64)
    payload: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0, nullable=False)
    max_attempts: int = Field(nullable=False)
    run_at: datetime = _timestamp_column()
    locked_by: str | None = Field(default=None, max_length=100)
    locked_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_error: str | None = Field(default=None, max_length=2000)
    dedupe_key: str | None = Field(
        default=None, sa_column=Column(String(255), unique=True, nullable=True)
    )
    created_at: datetime = _timestamp_column()
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class PeriodicJob(SQLModel, table=True):
    """When a periodic job is next due; the worker that moves `next_run_at` enqueues the run."""

    __tablename__ = "periodic_jobs"

    name: str = Field(sa_column=Column(String(64), primary_key=True))
    next_run_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    last_run_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class NotificationEvent(SQLModel, table=True):
    """One alert event of DESIGN §4b (balance.low, purchase.completed, ...) about one wallet.

    Written in the transaction of the balance move that caused it; its in-app notifications,
    webhook deliveries and emails hang off it. `dedupe_key` makes "once per lot" events unique.
    """

    __tablename__ = "notification_events"
    __table_args__ = (
        CheckConstraint(f"owner_kind IN ({sql_in_list(OwnerKind)})", name="owner_kind_known"),
        Index("ix_notification_events_owner", "owner_kind", "owner_id", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    type: str = Field(max_length=64)
    owner_kind: str = Field(max_length=8)
    owner_id: int
    data: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    dedupe_key: str | None = Field(
        default=None, sa_column=Column(String(255), unique=True, nullable=True)
    )
    created_at: datetime = _timestamp_column()


class Notification(SQLModel, table=True):
    """An in-app notification of one event for one user (org events: each owner and admin)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user", "user_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    event_id: int = Field(
        sa_column=Column(
            BigId, ForeignKey("notification_events.id", ondelete="CASCADE"), nullable=False
        )
    )
    kind: str = Field(max_length=64)
    title: str = Field(max_length=200)
    body: str = Field(max_length=1000)
    created_at: datetime = _timestamp_column()
    read_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    emailed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class WebhookEndpoint(SQLModel, table=True):
    """A URL of a user or an org that receives signed deliveries of the events it subscribes to."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        CheckConstraint(f"owner_kind IN ({sql_in_list(OwnerKind)})", name="owner_kind_known"),
        Index("ix_webhook_endpoints_owner", "owner_kind", "owner_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_kind: str = Field(max_length=8)
    owner_id: int
    url: str = Field(max_length=2048)
    events: list[str] = Field(default_factory=list, sa_column=Column(JsonDocument, nullable=False))
    # The Standard Webhooks signing secret (`whsec_…`): shown once, kept to sign deliveries.
    secret: str = Field(max_length=100)
    created_by: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    )
    created_at: datetime = _timestamp_column()


class WebhookDelivery(SQLModel, table=True):
    """One event sent (or being retried) to one endpoint: the delivery log of §4b."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status_known"),
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    endpoint_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False
        )
    )
    event_id: int = Field(
        sa_column=Column(
            BigId, ForeignKey("notification_events.id", ondelete="CASCADE"), nullable=False
        )
    )
    event_type: str = Field(max_length=64)
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0, nullable=False)
    last_status_code: int | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=500)
    next_attempt_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = _timestamp_column()
    delivered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class EmailPreference(SQLModel, table=True):
    """Whether a user gets alert emails, and for which events; the unsubscribe link's token."""

    __tablename__ = "email_preferences"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    enabled: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    events: list[str] = Field(default_factory=list, sa_column=Column(JsonDocument, nullable=False))
    unsubscribe_token: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    updated_at: datetime = _timestamp_column()


class AppSecret(SQLModel, table=True):
    """A secret the app generates for itself once per database (e.g. the Stripe simulator's
    webhook signing secret): random, never a constant in the source, shared by every instance
    that uses the database."""

    __tablename__ = "app_secrets"

    name: str = Field(sa_column=Column(String(64), primary_key=True))
    value: str = Field(max_length=255)
    created_at: datetime = _timestamp_column()


class StripeWebhookProblem(SQLModel, table=True):
    """A signed Stripe delivery we can never handle (malformed event, a session Stripe does not
    know): recorded for an operator and acknowledged, so Stripe does not retry it for days."""

    __tablename__ = "stripe_webhook_problems"

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    event_id: str | None = Field(default=None, max_length=255)
    event_type: str | None = Field(default=None, max_length=100)
    code: str = Field(max_length=64)
    message: str = Field(max_length=500)
    payload_sha256: str = Field(max_length=64)
    received_at: datetime = _timestamp_column()


class CreditLot(SQLModel, table=True):
    """The units one ledger entry added to a wallet: where they came from and until when they count.

    `remaining` is what is left of `original`; `held` of it is pinned by active holds (never
    expired, never spent by anyone else); `expired` says how much left by `expiry` entries.
    Every write keeps `sum(remaining) == wallet.balance` and `sum(held) == wallet.held`
    (credits/wallet_service.py). Spending order is DESIGN §3b (credits/ledger_sql.py).
    """

    __tablename__ = "credit_lots"
    __table_args__ = (
        CheckConstraint(f"source IN ({sql_in_list(LotSource)})", name="source_known"),
        CheckConstraint("original > 0", name="original_positive"),
        CheckConstraint("remaining >= 0 AND remaining <= original", name="remaining_in_range"),
        CheckConstraint("held >= 0 AND held <= remaining", name="held_in_range"),
        CheckConstraint("expired >= 0 AND expired <= original", name="expired_in_range"),
        CheckConstraint("priority >= 0 AND priority <= 100", name="priority_in_range"),
        Index("ix_credit_lots_wallet", "wallet_id", "expires_at"),
        Index("ix_credit_lots_expires_at", "expires_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    wallet_id: int = Field(
        sa_column=Column(Integer, ForeignKey("wallets.id", ondelete="RESTRICT"), nullable=False)
    )
    source: str = Field(max_length=16)
    entry_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigId, ForeignKey("ledger_entries.id", ondelete="RESTRICT"), nullable=True, index=True
        ),
    )
    original: int = Field(sa_type=BigInteger, nullable=False)
    remaining: int = Field(sa_type=BigInteger, nullable=False)
    held: int = Field(default=0, sa_type=BigInteger, nullable=False)
    expired: int = Field(default=0, sa_type=BigInteger, nullable=False)
    expires_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    priority: int = Field(default=50, nullable=False)
    # Cost basis: what was paid for `original` (minor units of `currency`); None when nothing was.
    cost_minor: int | None = Field(default=None, sa_type=BigInteger)
    currency: str | None = Field(default=None, max_length=3)
    created_at: datetime = _timestamp_column()


class CreditAllocation(SQLModel, table=True):
    """Units of one lot taken by one debit entry, or pinned by one hold (entry_id NULL).

    Together they explain any debit lot by lot; a settled hold's entry records its own rows.
    """

    __tablename__ = "credit_allocations"
    __table_args__ = (
        CheckConstraint("units > 0", name="units_positive"),
        CheckConstraint("entry_id IS NOT NULL OR hold_id IS NOT NULL", name="entry_or_hold"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    entry_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigId, ForeignKey("ledger_entries.id", ondelete="RESTRICT"), nullable=True, index=True
        ),
    )
    hold_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigId, ForeignKey("credit_holds.id", ondelete="RESTRICT"), nullable=True, index=True
        ),
    )
    lot_id: int = Field(
        sa_column=Column(
            BigId, ForeignKey("credit_lots.id", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    units: int = Field(sa_type=BigInteger, nullable=False)


class AiConversation(SQLModel, table=True):
    """A stored 2Bot conversation: whose it is and which wallet context it was billed to.

    Kept in the database (not in one process's memory), so a restart or a second instance sees
    the same history; conversations idle longer than `AI_CONVERSATION_RETENTION_DAYS` are
    deleted with their messages.
    """

    __tablename__ = "ai_conversations"
    __table_args__ = (
        Index(
            "ix_ai_conversations_user_context", "user_id", "owner_kind", "owner_id", "updated_at"
        ),
        CheckConstraint(f"owner_kind IN ({sql_in_list(OwnerKind)})", name="owner_kind_known"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    owner_kind: str = Field(max_length=8)  # the wallet context: "user" or "org"
    owner_id: int = Field(sa_type=Integer, nullable=False)
    title: str = Field(max_length=120)
    created_at: datetime = _timestamp_column()
    updated_at: datetime = _timestamp_column()


class AiMessage(SQLModel, table=True):
    """One line of a stored conversation (media are kept as their prompt, not their bytes)."""

    __tablename__ = "ai_messages"
    __table_args__ = (Index("ix_ai_messages_conversation", "conversation_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    conversation_id: int = Field(
        sa_column=Column(
            BigId, ForeignKey("ai_conversations.id", ondelete="CASCADE"), nullable=False
        )
    )
    role: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    content: str = Field(sa_column=Column(Text, nullable=False))
    model: str = Field(default="", max_length=200)
    credits: str = Field(default="", max_length=40)  # what the line was charged, as shown
    created_at: datetime = _timestamp_column()


class ApiToken(SQLModel, table=True):
    """A personal API token for scripts: named, shown once, stored only as its SHA-256 digest,
    revocable; `last_used_at` tells its owner whether it is still in use."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    name: str = Field(max_length=100)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    created_at: datetime = _timestamp_column()
    last_used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class CreditTransfer(SQLModel, table=True):
    """One transfer between two wallets: its `transfer_out` and `transfer_in` entries share its
    id (`transferId`); the idempotency key is the sender wallet's, one for the pair."""

    __tablename__ = "credit_transfers"
    __table_args__ = (
        UniqueConstraint("from_wallet_id", "idempotency_key", name="uq_credit_transfers_from_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("from_wallet_id <> to_wallet_id", name="not_self"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    from_wallet_id: int = Field(
        sa_column=Column(Integer, ForeignKey("wallets.id", ondelete="RESTRICT"), nullable=False)
    )
    to_wallet_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("wallets.id", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    amount: int = Field(sa_type=BigInteger, nullable=False)
    # Filled in the same transaction, right after the two entries are appended.
    out_entry_id: int | None = Field(
        default=None,
        sa_column=Column(BigId, ForeignKey("ledger_entries.id", ondelete="RESTRICT")),
    )
    in_entry_id: int | None = Field(
        default=None,
        sa_column=Column(BigId, ForeignKey("ledger_entries.id", ondelete="RESTRICT")),
    )
    actor_user_id: int | None = Field(default=None)  # None: an operator (CLI)
    operator: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=500)
    idempotency_key: str | None = Field(default=None, max_length=255)
    request_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = _timestamp_column()


class SpendRefundPart(SQLModel, table=True):
    """Units of one lot a `usage` entry took that one `refund` entry gave back (lot_id NULL: the
    part of a spend from before lots existed). Their sum per usage entry never exceeds it.

    `restored`: the units went back into `lot_id` itself (its `remaining` went up); false: a
    new `refund` lot of the refund entry holds them (refunds made before migration 0011, and
    the part of a spend no lot explains).
    """

    __tablename__ = "spend_refund_parts"
    __table_args__ = (
        CheckConstraint("units > 0", name="units_positive"),
        CheckConstraint("NOT restored OR lot_id IS NOT NULL", name="restored_has_lot"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    usage_entry_id: int = Field(
        sa_column=Column(
            BigId, ForeignKey("ledger_entries.id", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    refund_entry_id: int = Field(
        sa_column=Column(
            BigId, ForeignKey("ledger_entries.id", ondelete="RESTRICT"), nullable=False
        )
    )
    lot_id: int | None = Field(
        default=None,
        sa_column=Column(BigId, ForeignKey("credit_lots.id", ondelete="RESTRICT"), nullable=True),
    )
    units: int = Field(sa_type=BigInteger, nullable=False)
    restored: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )


class OrgInvitation(SQLModel, table=True):
    """An invitation for someone without an account yet: when that email signs up, they join
    the org with `role` (in the sign-up's transaction) and the row is deleted; revoking
    deletes it too. One pending invitation per org and email."""

    __tablename__ = "org_invitations"
    __table_args__ = (
        UniqueConstraint("org_id", "email", name="uq_org_invitations_org_email"),
        CheckConstraint("role IN ('admin', 'member')", name="role_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
        )
    )
    email: str = Field(sa_column=Column(String(320), nullable=False, index=True))
    role: str = Field(max_length=16)
    invited_by_user_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = _timestamp_column()
    emailed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class BillingCustomer(SQLModel, table=True):
    """The Stripe Customer of one wallet (one per wallet owner): saved cards hang off it."""

    __tablename__ = "billing_customers"

    wallet_id: int = Field(
        sa_column=Column(Integer, ForeignKey("wallets.id", ondelete="CASCADE"), primary_key=True)
    )
    stripe_customer_id: str = Field(sa_column=Column(String(255), unique=True, nullable=False))
    created_at: datetime = _timestamp_column()


class SavedPaymentMethod(SQLModel, table=True):
    """The one card a wallet's auto-recharge charges; replaced by a newer setup, never two."""

    __tablename__ = "saved_payment_methods"

    wallet_id: int = Field(
        sa_column=Column(Integer, ForeignKey("wallets.id", ondelete="CASCADE"), primary_key=True)
    )
    stripe_payment_method_id: str = Field(max_length=255)
    stripe_customer_id: str = Field(max_length=255)
    brand: str = Field(max_length=32)
    last4: str = Field(max_length=4)
    fingerprint: str = Field(max_length=64)
    exp_month: int
    exp_year: int
    setup_session_id: str | None = Field(default=None, max_length=255)
    saved_by_user_id: int | None = Field(default=None)
    created_at: datetime = _timestamp_column()


class AutoRechargeSetting(SQLModel, table=True):
    """A wallet's auto-recharge rule and the state its guards need (DESIGN §4b).

    `trigger_seq` names the current trigger: a debit below the threshold enqueues the job
    keyed by it, so any number of debits enqueue one job until an attempt consumes it.
    `paused_until` stops triggers after a failure, a full rate window or a spent monthly cap.
    """

    __tablename__ = "auto_recharge_settings"
    __table_args__ = (
        CheckConstraint("threshold >= 0 AND recharge_to > threshold", name="amounts_ordered"),
        CheckConstraint("monthly_cap_cents > 0", name="cap_positive"),
        CheckConstraint("consecutive_failures >= 0", name="failures_not_negative"),
    )

    wallet_id: int = Field(
        sa_column=Column(Integer, ForeignKey("wallets.id", ondelete="CASCADE"), primary_key=True)
    )
    enabled: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    threshold: int = Field(sa_type=BigInteger, nullable=False)  # units
    recharge_to: int = Field(sa_type=BigInteger, nullable=False)  # units
    monthly_cap_cents: int = Field(sa_type=BigInteger, nullable=False)
    consecutive_failures: int = Field(default=0, nullable=False)
    suspended: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    suspended_fingerprint: str | None = Field(default=None, max_length=64)
    awaiting_action: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    paused_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    trigger_seq: int = Field(default=0, nullable=False)
    updated_at: datetime = _timestamp_column()


class AutoRechargeAttempt(SQLModel, table=True):
    """One off-session charge of a wallet's saved card; credited at most once (its entry)."""

    __tablename__ = "auto_recharge_attempts"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed', 'requires_action')",
            name="status_known",
        ),
        CheckConstraint("amount_cents > 0 AND credits > 0", name="amounts_positive"),
        Index("ix_auto_recharge_attempts_wallet", "wallet_id", "created_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    wallet_id: int = Field(
        sa_column=Column(Integer, ForeignKey("wallets.id", ondelete="CASCADE"), nullable=False)
    )
    idempotency_key: str = Field(sa_column=Column(String(255), unique=True, nullable=False))
    stripe_payment_intent_id: str | None = Field(
        default=None, sa_column=Column(String(255), unique=True, nullable=True)
    )
    amount_cents: int = Field(sa_type=BigInteger, nullable=False)
    currency: str = Field(max_length=3)
    credits: int = Field(sa_type=BigInteger, nullable=False)  # units
    fingerprint: str = Field(max_length=64)
    status: str = Field(default="pending", max_length=16)
    message: str = Field(default="", max_length=500)
    action_url: str | None = Field(default=None, max_length=1000)
    ledger_entry_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = _timestamp_column()
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class SimulatedStripeObject(SQLModel, table=True):
    """The local Stripe simulator's customers, payment methods, setup and payment intents
    (dev and tests only): each object as Stripe would return it, and the answer given to the
    idempotency key that created it, replayed as Stripe replays it."""

    __tablename__ = "simulated_stripe_objects"

    id: str = Field(sa_column=Column(String(255), primary_key=True))
    kind: str = Field(max_length=32)
    idempotency_key: str | None = Field(
        default=None, sa_column=Column(String(255), unique=True, nullable=True)
    )
    params: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    data: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    response_status: int = Field(default=200, nullable=False)
    created_at: datetime = _timestamp_column()


class AiRequestKey(SQLModel, table=True):
    """A 2Bot AI request sent with an Idempotency-Key, and the answer it got (ai/request_keys.py):
    a retry is answered from here instead of asking the model and charging again."""

    __tablename__ = "ai_request_keys"
    __table_args__ = (
        Index("uq_ai_request_keys_user_key", "user_id", "idempotency_key", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    idempotency_key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    response_body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _timestamp_column()
    answered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
