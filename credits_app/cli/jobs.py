"""Background job commands: `worker` runs the worker alone; `jobs list|retry|purge-dead`."""

import logging
import signal
from types import FrameType
from typing import Annotated

import typer
from rich.table import Table

from credits_app.cli.common import console, note, reports_errors
from credits_app.jobs import admin
from credits_app.jobs.catalog import default_registry
from credits_app.jobs.embedded import worker_options
from credits_app.jobs.worker import Worker
from credits_app.settings import get_settings

app = typer.Typer(help="Inspect and repair the background job queue.", no_args_is_help=True)
STATUSES = ("pending", "running", "done", "dead")


@reports_errors
def worker() -> None:
    """Run the job worker in this process until SIGINT/SIGTERM (scaled mode, DESIGN §8)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    job_worker = Worker(default_registry(), worker_options(get_settings()))

    def stop(_signal: int, _frame: FrameType | None) -> None:
        job_worker.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    note(f"Worker {job_worker.id} running (Ctrl-C to stop)")
    job_worker.run_forever()


@app.command("list")
@reports_errors
def list_jobs(
    status: Annotated[
        str | None, typer.Option(help="Also list the newest jobs in this status (e.g. dead).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """Job counts per kind and status; with --status, the jobs themselves."""
    counts = admin.count_by_status()
    table = Table(title="Jobs", title_justify="left")
    table.add_column("kind")
    for name in STATUSES:
        table.add_column(name, justify="right")
    for kind in sorted(counts):
        table.add_row(kind, *(str(counts[kind].get(name, 0)) for name in STATUSES))
    totals = [str(sum(c.get(name, 0) for c in counts.values())) for name in STATUSES]
    table.add_row("total", *totals, style="bold")
    console.print(table)
    if status is not None:
        rows = Table(title=f"{status} jobs (newest first)", title_justify="left")
        for header in ("id", "kind", "attempts", "run at", "last error"):
            rows.add_column(header, overflow="fold")
        for job in admin.list_jobs(status, limit):
            attempts = f"{job.attempts}/{job.max_attempts}"
            rows.add_row(
                str(job.id), job.kind, attempts, job.run_at.isoformat(), job.last_error or ""
            )
        console.print(rows)


@app.command()
@reports_errors
def retry(
    job_ids: Annotated[
        list[int] | None, typer.Argument(help="Dead job ids (default: every dead job).")
    ] = None,
) -> None:
    """Run dead jobs again, with a fresh set of attempts."""
    console.print(f"Retrying {admin.retry_dead(job_ids)} dead job(s).")


@app.command("purge-dead")
@reports_errors
def purge_dead() -> None:
    """Delete every dead job."""
    console.print(f"Purged {admin.purge_dead()} dead job(s).")
