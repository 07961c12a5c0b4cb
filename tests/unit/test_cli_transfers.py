"""`transfer` and `refund` on the command line: lots preserved, recorded with the operator."""

import pytest
from click.testing import Result
from typer.testing import CliRunner

from credits_app.cli import app
from credits_app.credits import credit_service as credits
from credits_app.credits.wallet_service import WalletOwner
from tests.conftest import make_org, make_user
from tests.support.lots import assert_lots_match_ledger

pytestmark = pytest.mark.usefixtures("sqlite_engine")
runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


def test_transfer_between_a_user_and_an_org_records_the_operator() -> None:
    ada, bob = make_user("ada"), make_user("bob")
    org = make_org(bob, "acme")
    credits.grant(WalletOwner.user(ada.id), 10, description="grant")
    result = run(
        "transfer", "4", "--from-user", ada.email, "--to-org", org.slug,
        "--reason", "team budget", "--operator", "ops",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "Transferred 4 credits" in result.stdout
    item = credits.get_history(WalletOwner.org(org.id)).items[0]
    assert item.type == "transfer_in" and item.metadata["operator"] == "ops"
    assert item.metadata["note"] == "team budget"
    assert credits.balance(WalletOwner.user(ada.id)) == 6
    assert_lots_match_ledger(WalletOwner.org(org.id))


def test_transfer_refuses_without_a_reason_or_when_short() -> None:
    ada, bob = make_user("ada"), make_user("bob")
    no_reason = run("transfer", "1", "--from-user", ada.email, "--to-user", bob.email)
    assert no_reason.exit_code == 1 and "reason is required" in no_reason.stderr
    short = run("transfer", "1", "--from-user", ada.email, "--to-user", bob.email, "--reason", "x")
    assert short.exit_code == 1 and "Insufficient credits" in short.stderr


def test_refund_gives_back_a_spend_partially_then_the_rest() -> None:
    ada = make_user("ada")
    owner = WalletOwner.user(ada.id)
    credits.grant(owner, 10, description="grant")
    entry = credits.deduct(owner, 6, category="ai_usage").transaction_id
    first = run("refund", str(entry), "2", "--reason", "bad answer", "--operator", "ops")
    assert first.exit_code == 0, first.stderr
    assert "4 still refundable" in first.stdout
    rest = run("refund", str(entry), "--reason", "all of it")
    assert rest.exit_code == 0 and credits.balance(owner) == 10
    again = run("refund", str(entry), "--reason", "more")
    assert again.exit_code == 1 and "can still be refunded" in again.stderr
    assert credits.get_history(owner).items[1].metadata["operator"] == "ops"
    assert_lots_match_ledger(owner)
