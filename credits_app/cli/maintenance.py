"""Database setup commands: `migrate` and `load-demo`."""

from rich.text import Text

from credits_app.cli.common import console, reports_errors
from credits_app.credits import credit_service
from credits_app.credits.amounts import format_balance
from credits_app.credits.lot_expiry import sweep_expired_lots
from credits_app.db import get_engine
from credits_app.demo import load_demo_data
from credits_app.migrations import upgrade_to_head
from credits_app.settings import get_settings


@reports_errors
def migrate() -> None:
    """Apply every database migration (alembic upgrade head)."""
    engine = get_engine()
    upgrade_to_head(engine)
    where = engine.url.render_as_string(hide_password=True)
    console.print(Text("Database is up to date", style="green"), f"({where})")


@reports_errors
def load_demo() -> None:
    """Create the demo user and org with funded wallets and history (safe to re-run)."""
    accounts = load_demo_data()
    balance = credit_service.get_personal_balance(accounts.user.id)
    settings = get_settings()
    console.print(Text("Demo data ready.", style="bold"))
    console.print(f"  login:    {settings.demo_user_email}")
    console.print(f"  password: {settings.demo_user_password}")
    console.print(f"  personal balance: {format_balance(balance)} credits")
    console.print(f"  organization: {accounts.org.name} (/{accounts.org.slug})")


@reports_errors
def expire_credits() -> None:
    """Write the expiry entries of every lot whose expiry has passed (safe to run any time)."""
    report = sweep_expired_lots()
    console.print(f"Expired {report.lots} lots in {report.wallets} wallets.")
