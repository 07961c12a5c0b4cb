"""Turn an email's pending org invitations into memberships when that email signs up.

Its own small module (tables only) so that `accounts.create_user` can call it inside the
sign-up's transaction without importing the invitation service, which imports accounts.
"""

from typing import cast

from sqlalchemy import Table, delete, insert, select
from sqlmodel import Session

from credits_app.clock import utcnow
from credits_app.models import Membership, OrgInvitation

invitations = cast(Table, OrgInvitation.__table__)  # type: ignore[attr-defined]
memberships = cast(Table, Membership.__table__)  # type: ignore[attr-defined]


def accept_pending_invitations(db: Session, user_id: int, email: str) -> list[int]:
    """Make the new user a member of every org that invited `email` (normalized), with the
    invited role, and delete those invitations; returns the org ids, in invitation order.
    Rows are locked so a revocation racing the sign-up either wins or loses whole."""
    rows = db.execute(
        select(invitations.c.id, invitations.c.org_id, invitations.c.role)
        .where(invitations.c.email == email)
        .order_by(invitations.c.id)
        .with_for_update()
    ).all()
    now = utcnow()
    for row in rows:
        db.execute(
            insert(memberships).values(
                org_id=row.org_id, user_id=user_id, role=row.role, created_at=now
            )
        )
    if rows:
        db.execute(delete(invitations).where(invitations.c.id.in_([row.id for row in rows])))
    return [int(row.org_id) for row in rows]
