"""Operator CLI: `python -m credits_app COMMAND` (`--help` lists the commands).

Each command is a thin door onto the same services as the API and the UI; expected failures
print one red line on stderr and exit 1 (see `common.reports_errors`).
"""

from typing import Annotated

import typer
from sqlalchemy.exc import ArgumentError

from credits_app.cli import (
    accounts,
    export,
    jobs,
    maintenance,
    packages,
    pricing,
    serve,
    transfers,
    wallets,
    webhooks,
)
from credits_app.cli.common import fail
from credits_app.db import make_engine, use_engine

app = typer.Typer(
    help="Universal Credits operator commands.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # a crash must not print passwords from local variables
)


@app.callback()
def main(
    database: Annotated[
        str | None,
        typer.Option(
            metavar="URL", help="Database URL (default: DATABASE_URL from the environment/.env)."
        ),
    ] = None,
) -> None:
    """Universal Credits operator commands."""
    if database is not None:
        try:
            use_engine(make_engine(database))
        except ArgumentError as error:
            fail(f"Bad --database URL: {error}")


app.command()(maintenance.migrate)
app.command("load-demo")(maintenance.load_demo)
app.command("expire-credits")(maintenance.expire_credits)
app.command("create-user")(accounts.create_user)
app.command("create-org")(accounts.create_org)
app.command("add-member")(accounts.add_member)
# Unknown options are taken as arguments, so `-12.5` reaches the amount parser, not click.
signed_amounts = {"ignore_unknown_options": True}
app.command(context_settings=signed_amounts)(wallets.grant)
app.command(context_settings=signed_amounts)(wallets.adjust)
app.command()(wallets.balance)
app.command()(transfers.transfer)
app.command()(transfers.refund)
app.command("export-history")(export.export_history)
app.command()(serve.serve)
app.add_typer(packages.app, name="packages")
app.add_typer(pricing.app, name="pricing")
app.command()(jobs.worker)
app.add_typer(jobs.app, name="jobs")
app.add_typer(webhooks.app, name="webhooks")
