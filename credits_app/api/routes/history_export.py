"""GET /api/credits/history/export and /api/orgs/{orgId}/credits/history/export: CSV downloads.

The History tab's "Export CSV" links here with its current filters. The body streams page by
page (credits/history_export.py, the same columns as the CLI's `export-history`), so a long
ledger never sits in memory. `from`/`to` are days (both included) in the `tz` time zone
(IANA name, default UTC): the page sends the browser's, so the file holds what it shows.
"""

from collections.abc import Iterator
from datetime import date
from typing import Annotated

from fastapi import Query
from fastapi.responses import StreamingResponse

from credits_app.api.deps import CurrentUser, OrgMember
from credits_app.api.responses import api_router
from credits_app.credits.day_range import day_range, parse_time_zone
from credits_app.credits.history_export import HistoryFilter, csv_chunks
from credits_app.credits.owners import WalletOwner

router = api_router("credits")

TypeQuery = Annotated[str | None, Query(max_length=32, description="Ledger entry type")]
CategoryQuery = Annotated[str | None, Query(max_length=32, description="Usage category")]
FromQuery = Annotated[date | None, Query(alias="from", description="First day, YYYY-MM-DD")]
ToQuery = Annotated[date | None, Query(alias="to", description="Last day (included)")]
ZoneQuery = Annotated[
    str | None, Query(max_length=64, description="IANA time zone of the days (default UTC)")
]
SearchQuery = Annotated[str | None, Query(max_length=200, description="Words in descriptions")]


@router.get("/credits/history/export", response_class=StreamingResponse)
def export_personal_history(
    user: CurrentUser,
    type: TypeQuery = None,
    category: CategoryQuery = None,
    from_: FromQuery = None,
    to: ToQuery = None,
    q: SearchQuery = None,
    tz: ZoneQuery = None,
) -> StreamingResponse:
    """My ledger as CSV (newest first), filtered like the History tab."""
    owner = WalletOwner.user(user.id)
    filters = _filter(type, category, from_, to, q, tz)
    return _csv(owner, filters, f"history-user-{user.id}.csv")


@router.get("/orgs/{orgId}/credits/history/export", response_class=StreamingResponse)
def export_org_history(
    access: OrgMember,
    type: TypeQuery = None,
    category: CategoryQuery = None,
    from_: FromQuery = None,
    to: ToQuery = None,
    q: SearchQuery = None,
    tz: ZoneQuery = None,
) -> StreamingResponse:
    """The organization wallet's ledger as CSV (any member may read it)."""
    owner = WalletOwner.org(access.org_id)
    filters = _filter(type, category, from_, to, q, tz)
    return _csv(owner, filters, f"history-org-{access.org_id}.csv")


def _filter(
    type: str | None,
    category: str | None,
    first: date | None,
    last: date | None,
    q: str | None,
    tz: str | None,
) -> HistoryFilter:
    since, until = day_range(first, last, parse_time_zone(tz))
    return HistoryFilter(
        type=type,
        category=category,
        since=since,
        until=until,
        search=(q or "").strip() or None,
    )


def _csv(owner: WalletOwner, filters: HistoryFilter, filename: str) -> StreamingResponse:
    chunks = csv_chunks(owner, filters)
    first = next(chunks)  # bad filters (unknown type…) fail here, as a 400, before streaming
    return StreamingResponse(
        _prepend(first, chunks),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _prepend(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest
