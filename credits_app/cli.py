"""Operator CLI: `python -m credits_app COMMAND`."""

import typer
from rich.console import Console

from credits_app.credits import credit_service
from credits_app.credits.amounts import format_balance
from credits_app.db import get_engine
from credits_app.demo import load_demo_data
from credits_app.migrations import upgrade_to_head
from credits_app.settings import get_settings

app = typer.Typer(help="Universal Credits operator commands.", no_args_is_help=True)
console = Console()


@app.command()
def migrate() -> None:
    """Apply every database migration (alembic upgrade head)."""
    upgrade_to_head(get_engine())
    console.print(f"[green]Database is up to date[/green] ({get_settings().database_url})")


@app.command("load-demo")
def load_demo() -> None:
    """Create the demo user and org with funded wallets and history (safe to re-run)."""
    accounts = load_demo_data()
    balance = credit_service.get_personal_balance(accounts.user.id)
    settings = get_settings()
    console.print("[bold]Demo data ready.[/bold]")
    console.print(f"  login:    [cyan]{settings.demo_user_email}[/cyan]")
    console.print(f"  password: [cyan]{settings.demo_user_password}[/cyan]")
    console.print(f"  personal balance: {format_balance(balance)} credits")
    console.print(f"  organization: {accounts.org.name} (/{accounts.org.slug})")
