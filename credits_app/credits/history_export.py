"""A wallet's ledger as CSV: the columns, one row per entry, and a page-by-page stream.

One definition for the operator CLI (`export-history`) and the dashboard's "Export CSV"
(GET …/credits/history/export), so both files have exactly the same columns and formats.
"""

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from credits_app.credits.credit_service import MAX_HISTORY_LIMIT, HistoryItem, get_history
from credits_app.credits.owners import WalletOwner

HEADER = [
    "id",
    "created_at",
    "type",
    "category",
    "amount",
    "balance_after",
    "description",
    "metadata",
]


@dataclass(frozen=True)
class HistoryFilter:
    """The filters of the History tab (all optional), as `get_history` takes them."""

    type: str | None = None
    category: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    search: str | None = None


def csv_row(item: HistoryItem) -> list[str]:
    """One entry as exact text: decimal amounts, ISO-8601 UTC time, metadata as JSON."""
    return [
        str(item.id),
        item.created_at.astimezone(UTC).isoformat(),
        item.type,
        item.category or "",
        str(item.amount),
        str(item.balance_after),
        item.description,
        json.dumps(item.metadata, sort_keys=True, ensure_ascii=False),
    ]


def history_pages(owner: WalletOwner, filters: HistoryFilter) -> Iterator[list[HistoryItem]]:
    """Every matching entry, newest first, one keyset page (of the largest size) at a time."""
    cursor: str | None = None
    while True:
        page = get_history(
            owner,
            type=filters.type,
            category=filters.category,
            since=filters.since,
            until=filters.until,
            search=filters.search,
            limit=MAX_HISTORY_LIMIT,
            cursor=cursor,
        )
        yield page.items
        cursor = page.next_cursor
        if cursor is None:
            return


def csv_chunks(owner: WalletOwner, filters: HistoryFilter) -> Iterator[str]:
    """The CSV text, header first, one chunk per page: memory stays flat for any ledger size."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for items in history_pages(owner, filters):
        writer.writerows(csv_row(item) for item in items)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
