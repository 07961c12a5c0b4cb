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

from sqlalchemy import BindParameter, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import ReturningInsert
from sqlmodel import Session

from credits_app.clock import utcnow
from credits_app.db import read_only, unit_of_work
from credits_app.models import StripeEvent

MAX_OUTCOME_LENGTH = 100

stripe_events = cast(Table, StripeEvent.__table__)  # type: ignore[attr-defined]

# Built once: every delivery runs them, and a statement object caches its compiled form.
_HANDLED = select(stripe_events.c.id).where(stripe_events.c.id == bindparam("event_id"))
_SET_OUTCOME = (
    update(stripe_events)
    .where(stripe_events.c.id == bindparam("event_id"))
    .values(outcome=bindparam("outcome"))
)
_ROW: dict[str, BindParameter[Any]] = {
    "id": bindparam("event_id"),
    "type": bindparam("event_type"),
    "outcome": bindparam("outcome"),
    "received_at": bindparam("received_at"),
}
_RECORD = {
    name: insert(stripe_events).values(_ROW).on_conflict_do_nothing(index_elements=["id"])
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}
_CLAIM = {name: insert.returning(stripe_events.c.id) for name, insert in _RECORD.items()}


def already_handled(event_id: str) -> bool:
    """True when the event id is recorded: one read, no transaction to commit."""
    with read_only() as db:
        return db.execute(_HANDLED, {"event_id": event_id}).first() is not None


def claim(db: Session, event_id: str, event_type: str, outcome: str) -> bool:
    """Take the event id for the caller's transaction (call it first); False when taken.

    The row is written with the `outcome` the caller expects; if the transaction ends
    otherwise, `set_outcome` corrects it before commit, and nobody sees the row before.
    """
    statement = _CLAIM[db.get_bind().dialect.name]
    return db.execute(statement, claim_params(event_id, event_type, outcome)).first() is not None


def claim_statement(dialect_name: str) -> ReturningInsert[Any]:
    """The claim's INSERT ... ON CONFLICT DO NOTHING RETURNING id, for a caller that runs it
    inside a statement of its own (as a CTE); its parameters are `claim_params`."""
    return _CLAIM[dialect_name]


def set_outcome(db: Session, event_id: str, outcome: str) -> None:
    """Correct the outcome of an event this transaction claimed."""
    db.execute(_SET_OUTCOME, {"event_id": event_id, "outcome": outcome[:MAX_OUTCOME_LENGTH]})


def record(event_id: str, event_type: str, outcome: str, *, session: Session | None = None) -> None:
    """Record a handled event (in the caller's transaction when given); a copy recorded
    concurrently wins silently: both handled the same event idempotently."""
    with unit_of_work(session) as db:
        statement = _RECORD[db.get_bind().dialect.name]
        db.execute(statement, claim_params(event_id, event_type, outcome))


def claim_params(event_id: str, event_type: str, outcome: str) -> dict[str, object]:
    """The bind parameters of the claim and record statements."""
    return {
        "event_id": event_id,
        "event_type": event_type,
        "outcome": outcome[:MAX_OUTCOME_LENGTH],
        "received_at": utcnow(),
    }
