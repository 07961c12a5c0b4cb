"""`export-history`: a wallet's ledger as CSV, paged through the same history service as the API."""

import csv
import sys
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from credits_app.cli.common import (
    OrgOption,
    Target,
    UserOption,
    err_console,
    fail,
    note,
    reports_errors,
    resolve_target,
)
from credits_app.credits import credit_service
from credits_app.credits.history_export import HEADER, csv_row
from credits_app.credits.ledger_counts import count_entries

PAGE_SIZE = credit_service.MAX_HISTORY_LIMIT


@reports_errors
def export_history(
    user: UserOption = None,
    org: OrgOption = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE.csv",
            help="Where to write; '-' for stdout (default: history-<owner>.csv).",
        ),
    ] = None,
    type_: Annotated[
        str | None, typer.Option("--type", metavar="T", help="Only entries of this type.")
    ] = None,
    category: Annotated[
        str | None, typer.Option(metavar="C", help="Only entries of this usage category.")
    ] = None,
) -> None:
    """Write a wallet's ledger entries (newest first) as CSV, with a progress bar."""
    target = resolve_target(user, org)
    total = count_entries(target.owner, type=type_, category=category)
    if output == "-":
        _write_csv(sys.stdout, target, total, type_, category)
        return
    destination = Path(output or f"history-{target.owner.kind.value}-{target.owner.id}.csv")
    partial = destination.with_name(destination.name + ".part")
    try:
        with partial.open("w", newline="", encoding="utf-8") as file:
            written = _write_csv(file, target, total, type_, category)
        partial.replace(destination)  # a failed export never leaves a truncated file behind
    except OSError as error:
        fail(f"Cannot write {destination}: {error.strerror or error}")
    finally:
        partial.unlink(missing_ok=True)
    note(f"Wrote {written} entries for {target.label} to {destination}.")


def _write_csv(
    stream: TextIO, target: Target, total: int, type_: str | None, category: str | None
) -> int:
    """Page with the keyset cursor until the last page; return the number of rows written."""
    writer = csv.writer(stream)
    writer.writerow(HEADER)
    written = 0
    cursor: str | None = None
    with Progress(
        TextColumn("Exporting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,  # no bar (nor blank lines) in logs and pipes
    ) as progress:
        task = progress.add_task("export", total=total)
        while True:
            page = credit_service.get_history(
                target.owner, type=type_, category=category, limit=PAGE_SIZE, cursor=cursor
            )
            writer.writerows(csv_row(item) for item in page.items)
            written += len(page.items)
            progress.advance(task, len(page.items))
            cursor = page.next_cursor
            if cursor is None:
                return written
