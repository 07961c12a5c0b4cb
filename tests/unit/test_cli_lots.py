"""CLI for credit lots: grants that expire, package bonus expiry, and the expiry sweep."""

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import Result
from typer.testing import CliRunner

from credits_app.billing.packages import list_all_packages
from credits_app.cli import app
from credits_app.clock import frozen_at
from credits_app.credits import credit_service as credits
from credits_app.credits import lot_reads
from credits_app.credits.owners import WalletOwner
from tests.conftest import make_user
from tests.support.lots import assert_lots_match_ledger

pytestmark = pytest.mark.usefixtures("sqlite_engine")
runner = CliRunner()
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def succeeds(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def fails(message: str, *args: str) -> None:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert message in result.stderr


def test_grant_expires_in_creates_an_expiring_lot_with_its_priority() -> None:
    user = make_user("cli")
    with frozen_at(NOW):
        result = succeeds(
            "grant",
            "30",
            "--user",
            user.email,
            "--reason",
            "goodwill",
            "--expires-in",
            "30d",
            "--priority",
            "10",
        )
        [lot] = lot_reads.list_lots(WalletOwner.user(user.id))
    assert (lot.remaining, lot.expires_at, lot.priority) == (300_000, NOW + timedelta(days=30), 10)
    assert f"lot #{lot.id}, expires 2026-12-31 09:00 UTC" in result.stdout


def test_grant_expires_at_takes_an_iso_timestamp_and_refuses_bad_ones() -> None:
    user = make_user("cli")
    grant = ("grant", "1", "--user", user.email, "--reason", "r")
    with frozen_at(NOW):
        succeeds(*grant, "--expires-at", "2027-01-01T00:00:00+00:00")
        for message, options in (
            ("must name its timezone", ("--expires-at", "2027-01-01T00:00")),
            ("in the future", ("--expires-at", "2026-01-01T00:00Z")),
            ("30d, 12h or 90m", ("--expires-in", "soon")),
            ("not both", ("--expires-in", "1d", "--expires-at", "2027-01-01T00:00Z")),
        ):
            fails(message, *grant, *options)
    assert credits.balance(WalletOwner.user(user.id)) == 1


def test_expire_credits_writes_the_due_expiry_entries_once() -> None:
    user = make_user("cli")
    owner = WalletOwner.user(user.id)
    with frozen_at(NOW):
        succeeds("grant", "5", "--user", user.email, "--reason", "r", "--expires-in", "1h")
        succeeds("grant", "2", "--user", user.email, "--reason", "r")
    with frozen_at(NOW + timedelta(hours=2)):
        assert "Expired 1 lots in 1 wallets." in succeeds("expire-credits").stdout
        assert "Expired 0 lots in 0 wallets." in succeeds("expire-credits").stdout
        [expiry, *_] = credits.get_history(owner).items
        assert_lots_match_ledger(owner)
    assert (expiry.type, expiry.amount, expiry.metadata["source"]) == ("expiry", -5, "grant")


def test_packages_upsert_sets_and_clears_the_bonus_expiry() -> None:
    result = succeeds(
        "packages",
        "upsert",
        "promo",
        "--name",
        "Promo",
        "--credits",
        "100",
        "--bonus-credits",
        "10",
        "--price-cents",
        "500",
        "--bonus-expires-in-days",
        "7",
    )
    assert "10 bonus (expiring after 7 days)" in result.stdout
    assert {p.id: p.bonus_expires_in_days for p in list_all_packages()}["promo"] == 7
    succeeds("packages", "upsert", "promo", "--bonus-expires-in-days", "0")
    assert {p.id: p.bonus_expires_in_days for p in list_all_packages()}["promo"] is None
    result = runner.invoke(app, ["packages", "upsert", "promo", "--bonus-expires-in-days", "-1"])
    assert result.exit_code == 1 and "Bonus expiry" in result.stderr
