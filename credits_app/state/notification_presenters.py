"""How a notification reads in the bell's panel: pure functions over the inbox service's data."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from credits_app.notifications.inbox import NotificationItem


@dataclass(frozen=True)
class NotificationRow:
    """One row of the panel."""

    id: int = 0
    title: str = ""
    body: str = ""
    when: str = ""  # "just now", "5 min ago", "3 h ago", "Mar 4"
    when_exact: str = ""  # ISO 8601 UTC, for the tooltip
    unread: bool = False
    severity: str = "info"  # info | warning | danger: the row's accent
    href: str = "/credits"  # the wallet's credits page


SEVERITY = {
    "balance.low": "warning",
    "monthly_limit.warning": "warning",
    "credits.expiring": "warning",
    "balance.critical": "danger",
    "monthly_limit.reached": "danger",
    "auto_recharge.failed": "danger",
    "auto_recharge.suspended": "danger",
}


def relative_time(moment: datetime, now: datetime) -> str:
    """A short age: under a minute "just now", then minutes, hours, then the date."""
    age = now - moment
    if age < timedelta(minutes=1):
        return "just now"
    if age < timedelta(hours=1):
        return f"{int(age.total_seconds() // 60)} min ago"
    if age < timedelta(days=1):
        return f"{int(age.total_seconds() // 3600)} h ago"
    return f"{moment:%b} {moment.day}"


def notification_row(
    item: NotificationItem, now: datetime, org_slugs: dict[int, str]
) -> NotificationRow:
    """The panel row of one notification; org wallets link to that org's credits page."""
    slug = org_slugs.get(item.wallet_id) if item.wallet_type == "org" else None
    return NotificationRow(
        id=item.id,
        title=item.title,
        body=item.body,
        when=relative_time(item.created_at, now),
        when_exact=item.created_at.isoformat(),
        unread=item.read_at is None,
        severity=SEVERITY.get(item.kind, "info"),
        href=f"/organizations/{slug}/credits" if slug else "/credits",
    )


def badge_text(unread: int) -> str:
    """The bell's badge: the count, "9+" above nine, nothing at zero."""
    if unread <= 0:
        return ""
    return "9+" if unread > 9 else str(unread)
