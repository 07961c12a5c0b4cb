"""Which Stripe events are handled: the `stripe_events` row of each event id, in Core statements.

A redelivery is answered from here with one statement. A fulfillment *claims* its event id
as the first statement of the transaction that credits (`claim`): the row's unique index
makes a concurrent copy of the same event wait for that transaction and then see the id
taken (a duplicate, nothing done), and a transaction that rolls back (an error, a crash)
takes its claim with it, so Stripe's redelivery still does the work. There is no
"processing" state to time out: an uncommitted claim is invisible to everyone else.

Other events are handled first and recorded after (`record`); their handlers are idempotent
on their own, so a copy that slips in between does no harm.
"""

from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from credits_app.clock import utcnow
from credits_app.db import read_only, unit_of_work
from credits_app.models import StripeEvent

MAX_OUTCOME_LENGTH = 100

stripe_events = cast(Table, StripeEvent.__table__)  # type: ignore[attr-defined]


def already_handled(event_id: str) -> bool:
    """True when the event id is recorded: one read, no transaction to commit."""
    with read_only() as db:
        query = select(stripe_events.c.id).where(stripe_events.c.id == event_id)
        return db.execute(query).first() is not None


def claim(db: Session, event_id: str, event_type: str, outcome: str) -> bool:
    """Take the event id for the caller's transaction (call it first); False when taken.

    The row is written with the `outcome` the caller expects; if the transaction ends
    otherwise, `set_outcome` corrects it before commit, and nobody sees the row before.
    """
    statement = _insert(db, event_id, event_type, outcome).returning(stripe_events.c.id)
    return db.execute(statement).first() is not None


def set_outcome(db: Session, event_id: str, outcome: str) -> None:
    """Correct the outcome of an event this transaction claimed."""
    db.execute(
        update(stripe_events)
        .where(stripe_events.c.id == event_id)
        .values(outcome=outcome[:MAX_OUTCOME_LENGTH])
    )


def record(event_id: str, event_type: str, outcome: str, *, session: Session | None = None) -> None:
    """Record a handled event (in the caller's transaction when given); a copy recorded
    concurrently wins silently: both handled the same event idempotently."""
    with unit_of_work(session) as db:
        db.execute(_insert(db, event_id, event_type, outcome))


def _insert(db: Session, event_id: str, event_type: str, outcome: str) -> Any:
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(stripe_events)
        .values(
            id=event_id,
            type=event_type,
            outcome=outcome[:MAX_OUTCOME_LENGTH],
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
