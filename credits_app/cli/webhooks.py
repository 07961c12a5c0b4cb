"""Webhook commands: `webhooks problems` lists signed Stripe deliveries that could not be handled.

Such a delivery was acknowledged (so Stripe stops retrying it) and recorded; this listing is
where an operator finds it, e.g. an event for a Checkout Session Stripe does not know.
"""

from typing import Annotated

import typer

from credits_app.billing.webhook_problems import list_problems
from credits_app.cli.common import console, reports_errors

app = typer.Typer(help="Stripe webhook deliveries.", no_args_is_help=True)


@app.command("problems")
@reports_errors
def problems(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many, newest first.")] = 50,
) -> None:
    """Signed deliveries recorded as permanent problems (acknowledged, never handled)."""
    rows = list_problems(limit)
    if not rows:
        console.print("No webhook problems recorded.")
        return
    # One tab-separated line per problem, whole ids and messages: greppable and pipeable.
    console.print("received_utc\tevent_id\tevent_type\tproblem\tmessage")
    for row in rows:
        fields = (
            row.received_at.strftime("%Y-%m-%dT%H:%M:%S"),
            row.event_id or "-",
            row.event_type or "-",
            row.code,
            row.message.replace("\t", " ").replace("\n", " "),
        )
        console.print("\t".join(fields))
